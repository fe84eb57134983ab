import numpy as np
import pytest

from fitscore_core.config import FeatureSettings
from fitscore_core.errors import FitScoreError
from fitscore_core.features import (
    ROW_LABELS,
    UPPER_ARM_PER_TORSO,
    build_features,
    normalize,
    pad_or_window,
    resample,
    window_starts,
)
from fitscore_core.pose.sequence import PoseSequence


def squat_clip(n=90, fps=30.0, rng=None):
    """A standing person whose hips go down and up, some jitter."""
    rng = rng or np.random.default_rng(0)
    kps = np.zeros((n, 25, 3), np.float32)
    base = np.array([[320, 100], [320, 140], [290, 140], [280, 190], [275, 240], [350, 140],
                     [360, 190], [365, 240], [320, 260], [300, 260], [300, 340], [300, 420],
                     [340, 260], [340, 340], [340, 420]], np.float32)
    depth = 40 * (1 - np.cos(2 * np.pi * np.arange(n) / 45)) / 2
    kps[:, :15, :2] = base + rng.normal(0, 1, (n, 15, 2))
    kps[:, :11, 1] += depth[:, None]      # upper body and knees go down, ankles stay
    kps[:, 12:14, 1] += depth[:, None]
    kps[:, :15, 2] = 0.9
    return PoseSequence(kps, fps, (640, 480))


def test_row_labels_order():
    assert len(ROW_LABELS) == 30
    assert ROW_LABELS[:4] == ("Nose x", "Nose y", "Neck x", "Neck y")
    assert ROW_LABELS[16:18] == ("MidHip x", "MidHip y")
    assert ROW_LABELS[-1] == "LAnkle y"


def test_normalize_centres_scales_and_flips_y():
    seq = squat_clip()
    f = normalize(seq)
    assert f.values.shape == (30, 90)
    mid = ROW_LABELS.index("MidHip x")
    assert abs(np.median(f.values[mid])) < 1e-6 and abs(np.median(f.values[mid + 1])) < 1e-6
    neck_y = f.values[ROW_LABELS.index("Neck y")]
    assert np.median(neck_y) == pytest.approx(1.0, abs=0.05)   # one torso length above
    ankle_y = f.values[ROW_LABELS.index("RAnkle y")]
    assert (ankle_y < 0).all()                                  # y up: ankles below hips


@pytest.mark.parametrize("shift, scale", [((100, 0), 1.0), ((0, 0), 0.5), ((-37, 64), 0.5)])
def test_features_do_not_depend_on_place_or_size_in_frame(shift, scale):
    seq = squat_clip()
    moved = seq.keypoints.copy()
    moved[:, :, :2] = moved[:, :, :2] * scale + np.array(shift, np.float32)
    a = build_features(seq)
    b = build_features(seq.with_keypoints(moved))
    np.testing.assert_allclose(a.tensor, b.tensor, atol=1e-3)


def test_missing_joint_becomes_zero_and_not_found():
    seq = squat_clip()
    kps = seq.keypoints.copy()
    kps[10:20, 4, :] = 0
    f = normalize(seq.with_keypoints(kps))
    assert not f.found[4, 10:20].any() and f.found[4, :10].all()
    assert (f.values[8:10, 10:20] == 0).all()


def test_nothing_to_measure_the_size_by_is_a_clear_error():
    seq = squat_clip()
    kps = seq.keypoints.copy()
    kps[:, [0, 1, 2, 3, 5, 6], 2] = 0          # no neck, no head, no upper arms
    with pytest.raises(FitScoreError, match="Too little of the body"):
        normalize(seq.with_keypoints(kps))


def test_low_confidence_and_out_of_frame_joints_are_not_seen():
    seq = squat_clip()
    kps = seq.keypoints.copy()
    kps[:, 6, 2] = 0.04                        # a guessed far elbow (MediaPipe visibility)
    kps[:, 11, 1] = 500                        # an ankle below the 480 px frame
    f = normalize(seq.with_keypoints(kps))
    assert not f.found[6].any() and not f.found[11].any() and f.found[3].all()
    assert (f.values[12:14] == 0).all() and (f.values[22:24] == 0).all()


def test_upper_body_clip_is_measured_by_the_arms_and_centred_below_the_neck():
    """Cut at the hips: the size comes from the upper arms, the centre is one torso length
    below the neck, where the hips would be."""
    seq = squat_clip()
    kps = seq.keypoints.copy()
    kps[:, 8:15, 2] = 0                        # hips, knees, ankles out of frame
    upper = normalize(seq.with_keypoints(kps))
    assert not upper.found[8:].any() and upper.found[:8].all()
    arm = max(np.median(np.linalg.norm(kps[:, 2, :2] - kps[:, 3, :2], axis=1)),
              np.median(np.linalg.norm(kps[:, 5, :2] - kps[:, 6, :2], axis=1)))
    assert upper.scale == pytest.approx(arm / UPPER_ARM_PER_TORSO, rel=1e-4)
    neck = np.median(kps[:, 1, :2], axis=0)
    np.testing.assert_allclose(upper.centre, neck + [0.0, upper.scale], atol=1e-3)


def test_resample_halves_frames_and_keeps_timing():
    seq = squat_clip(n=90, fps=30.0)
    f = normalize(seq)
    r = resample(f, 15.0)
    assert r.n_frames == 45 and r.fps == 15.0
    np.testing.assert_allclose(r.values[:, 10], f.values[:, 20], atol=1e-6)
    assert resample(f, 30.0) is f


def test_pad_short_clip_with_mask():
    values = np.ones((30, 40), np.float32)
    tensor, mask, starts = pad_or_window(values, 150, 75)
    assert tensor.shape == (1, 30, 150) and mask.shape == (1, 150)
    assert mask[0, :40].all() and not mask[0, 40:].any()
    assert (tensor[0, :, 40:] == 0).all() and (tensor[0, :, :40] == 1).all()
    assert starts.tolist() == [0]


def test_long_clip_windows_cover_everything():
    length = 400
    values = np.tile(np.arange(length, dtype=np.float32), (30, 1))
    tensor, mask, starts = pad_or_window(values, 150, 75)
    assert starts.tolist() == [0, 75, 150, 225, 250]
    assert mask.all()
    covered = np.zeros(length, bool)
    for w, s in enumerate(starts):
        np.testing.assert_array_equal(tensor[w, 0], np.arange(s, s + 150))
        covered[s:s + 150] = True
    assert covered.all()
    assert window_starts(150, 150, 75).tolist() == [0]


def test_build_features_settings():
    seq = squat_clip(n=300, fps=30.0)
    mi = build_features(seq, FeatureSettings(fps=15.0, n_frames=100, window_stride=50))
    assert mi.n_frames == 150
    assert mi.tensor.shape == (2, 30, 100) and mi.starts.tolist() == [0, 50]
    assert mi.lengths.tolist() == [100, 100]
