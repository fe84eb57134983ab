import numpy as np
import pytest

from fitscore_core.errors import FitScoreError
from fitscore_core.pose.cleaning import clean, fill_gaps, find_gaps, smooth, track_main_person
from fitscore_core.pose.sequence import MultiPoseFrames, PoseSequence


def person(cx, cy, height, conf=0.9):
    """A crude BODY_25 person: joints spread over a box of the given height."""
    rng = np.random.default_rng(int(cx * 7 + cy))
    kps = np.zeros((25, 3), np.float32)
    kps[:, 0] = cx + rng.uniform(-0.25, 0.25, 25) * height
    kps[:, 1] = cy + rng.uniform(-0.5, 0.5, 25) * height
    kps[:, 2] = conf
    return kps


def test_main_person_is_largest_steady_track_not_first_listed():
    frames = []
    for t in range(40):
        client = person(300 + t, 240, 300)          # big, present all along, listed second
        passer = person(50 + 10 * t, 100, 120)      # small passer-by, listed first
        frames.append(np.stack([passer, client]) if t < 30 else client[None])
    seq = track_main_person(MultiPoseFrames(frames, fps=30.0, source="clip"))
    np.testing.assert_allclose(seq.keypoints[:, 1, 0],
                               [person(300 + t, 240, 300)[1, 0] for t in range(40)])
    assert "2 people tracks" in seq.notes[0]


def test_tracks_do_not_swap_when_people_cross_list_order():
    frames = []
    for t in range(20):
        a, b = person(200, 240, 250), person(500, 240, 200)
        frames.append(np.stack([a, b] if t % 2 else [b, a]))  # order flips every frame
    seq = track_main_person(MultiPoseFrames(frames, fps=30.0))
    assert np.allclose(seq.keypoints[:, 8, 0], person(200, 240, 250)[8, 0])


def test_empty_clip_is_a_clear_error():
    frames = MultiPoseFrames([np.zeros((0, 25, 3), np.float32)] * 5, fps=30.0, source="x.mp4")
    with pytest.raises(FitScoreError, match="No person was found in any frame of x.mp4"):
        track_main_person(frames)


def _line_sequence(n=60, fps=30.0):
    t = np.arange(n, dtype=np.float32)
    kps = np.zeros((n, 25, 3), np.float32)
    spread = 10 * np.arange(25, dtype=np.float32)
    kps[:, :, 0] = 100 + 2 * t[:, None] + spread
    kps[:, :, 1] = 50 + t[:, None] + spread
    kps[:, :, 2] = 0.8
    return PoseSequence(kps, fps)


def test_find_gaps():
    conf = np.ones((10, 2))
    conf[2:4, 0] = 0
    conf[0, 1] = 0
    conf[7:, 1] = 0
    gaps = {(g.joint, g.start, g.end) for g in find_gaps(conf)}
    assert gaps == {(0, 2, 4), (1, 0, 1), (1, 7, 10)}


def test_short_gap_interpolated_long_gap_marked():
    seq = _line_sequence()
    kps = seq.keypoints.copy()
    kps[10:14, 4] = 0        # 4 frames: short at 30 fps (limit 9)
    kps[20:40, 7] = 0        # 20 frames: long
    kps[55:, 3] = 0          # at the end: nothing to interpolate towards
    filled = fill_gaps(seq.with_keypoints(kps))
    np.testing.assert_allclose(filled.keypoints[10:14, 4, :2], seq.keypoints[10:14, 4, :2],
                               atol=1e-4)
    assert (filled.keypoints[10:14, 4, 2] == pytest.approx(0.8))
    assert (filled.keypoints[20:40, 7, 2] == 0).all()
    assert (filled.keypoints[55:, 3, 2] == 0).all()
    assert "filled 1 short gap" in filled.notes[-1] and "2 longer or edge" in filled.notes[-1]


def test_smoothing_removes_jitter_without_lagging_a_fast_rep():
    fps, n = 30.0, 120
    t = np.arange(n) / fps
    truth = 200 + 80 * np.sin(2 * np.pi * 1.0 * t)   # one rep per second: fast
    rng = np.random.default_rng(0)
    kps = np.zeros((n, 25, 3), np.float32)
    kps[:, :, 0] = truth[:, None] + rng.normal(0, 3, (n, 25))
    kps[:, :, 1] = 100
    kps[:, :, 2] = 1
    out = smooth(PoseSequence(kps, fps)).keypoints[:, 0, 0]
    raw_err = np.abs(kps[:, 0, 0] - truth).mean()
    assert np.abs(out - truth).mean() < 0.6 * raw_err
    # no lag: the smoothed curve peaks where the truth does, amplitude kept
    inner = slice(10, n - 10)
    lag = np.argmax(np.correlate(out[inner] - out[inner].mean(),
                                 truth[inner] - truth[inner].mean(), "full")) - (n - 21)
    assert lag == 0
    assert out[inner].max() - out[inner].min() > 0.95 * 160


def test_smoothing_leaves_missing_frames_missing():
    seq = _line_sequence()
    kps = seq.keypoints.copy()
    kps[30:, 2, :] = 0
    out = smooth(seq.with_keypoints(kps)).keypoints
    assert (out[30:, 2] == 0).all()
    np.testing.assert_allclose(out[:30, 2, :2], kps[:30, 2, :2], atol=1e-3)  # a line stays


def test_clean_composes_tracking_gaps_and_smoothing():
    seq = _line_sequence()
    people = [seq.keypoints[t][None] for t in range(seq.n_frames)]
    people[5] = np.zeros((0, 25, 3), np.float32)   # nobody found in one frame
    out = clean(MultiPoseFrames(people, fps=30.0))
    assert out.keypoints.shape == (60, 25, 3)
    assert (out.keypoints[5, :, 2] > 0).all()
    np.testing.assert_allclose(out.keypoints[5, :, :2], seq.keypoints[5, :, :2], atol=1e-3)
