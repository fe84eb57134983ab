"""fitscore_core.annotate: frame-index mapping, denormalizing reference poses, OpenPose-style
skeleton drawing (colours, faded low-confidence joints), frame seeking, annotated videos."""

import doctest
from fractions import Fraction

import numpy as np
import pytest

from fitscore_core import annotate
from fitscore_core.annotate import (
    FADE,
    annotated_video_bytes,
    blank_canvas,
    comparison_frame,
    draw_skeleton,
    features_to_pixels,
    frame_image,
    frame_size,
    person_box,
    read_frame,
    source_frame,
)
from fitscore_core.bench.demo_clip import write_demo_clip
from fitscore_core.errors import FitScoreError
from fitscore_core.features import normalize
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.pose.skeletons import BODY_25
from fitscore_core.pose.video import iter_frames, probe_video

NECK, RSHOULDER, MIDHIP = 1, 2, 8


def test_doctest():
    assert doctest.testmod(annotate).failed == 0


def test_frame_mapping_goes_by_time_and_stays_in_range():
    assert comparison_frame(100, 30.0, 15.0, 144) == 50
    assert comparison_frame(101, 30.0, 15.0, 144) == 50      # 50.5 -> nearest (even)
    assert comparison_frame(103, 30.0, 15.0, 144) == 52
    assert comparison_frame(10_000, 30.0, 15.0, 144) == 143  # clipped to the last frame
    assert source_frame(69, 15.0, 30.0, 287) == 138           # a worst moment at 4.6 s
    assert source_frame(200, 15.0, 30.0, 287) == 286
    assert source_frame(-3, 15.0, 30.0, 287) == 0
    # a comparison frame -> video frame -> the same comparison frame, at any pair of rates
    for fps in (24.0, 25.0, 29.97, 30.0, 60.0):
        n = 300
        k_max = round((n - 1) * 15.0 / fps)
        for k in range(k_max + 1):
            t = source_frame(k, 15.0, fps, n)
            assert comparison_frame(t, fps, 15.0, k_max + 1) == k


def test_features_to_pixels_undoes_normalize():
    rng = np.random.default_rng(3)
    kps = np.zeros((4, 25, 3), np.float32)
    kps[..., 0] = rng.uniform(100, 500, (4, 25))
    kps[..., 1] = rng.uniform(50, 400, (4, 25))
    kps[..., 2] = 0.9
    kps[2, 6, 2] = 0.0                               # LElbow not found in frame 2
    seq = PoseSequence(kps, fps=30.0, size=(640, 480))
    f = normalize(seq)
    for t in range(4):
        values = f.values[:, t].astype(np.float64)
        values[np.repeat(~f.found[:, t], 2)] = np.nan  # unknown = NaN, as aligned_reference
        px = features_to_pixels(values, f.centre, f.scale)
        seen = f.found[:, t]
        np.testing.assert_allclose(px[seen, :2], kps[t, :15, :2][seen], atol=1e-3)
        assert (px[seen, 2] == 1).all() and (px[~seen] == 0).all()
    assert not f.found[6, 2]


def _skeleton(neck_conf=1.0, shoulder_conf=1.0, hip_conf=1.0) -> np.ndarray:
    kps = np.zeros((25, 3), np.float32)
    kps[NECK] = (50, 50, neck_conf)
    kps[MIDHIP] = (50, 150, hip_conf)
    kps[RSHOULDER] = (150, 50, shoulder_conf)
    return kps


def _bgr(rgb):
    return np.array(rgb[::-1], np.float64)


def test_limbs_take_openpose_colours_and_the_input_is_left_alone():
    canvas = np.zeros((200, 200, 3), np.uint8)
    out = draw_skeleton(canvas, _skeleton(), thickness=4)
    assert not canvas.any()
    # Neck-MidHip is drawn in MidHip's colour, Neck-RShoulder in RShoulder's (OpenPose's rule)
    np.testing.assert_array_equal(out[100, 50], _bgr(BODY_25.limb_color((NECK, MIDHIP))))
    np.testing.assert_array_equal(out[50, 100], _bgr(BODY_25.colors[RSHOULDER]))
    assert out[100, 52].any()                          # 4 px wide
    assert not out[100, 120].any()                     # nothing else drawn


def test_low_confidence_joints_are_thin_and_faded_and_missing_ones_absent():
    canvas = np.zeros((200, 200, 3), np.uint8)
    faint = draw_skeleton(canvas, _skeleton(shoulder_conf=0.1), thickness=4)
    colour = _bgr(BODY_25.colors[RSHOULDER])
    line = faint[50, 100].astype(np.float64)
    assert line.any()
    np.testing.assert_allclose(line, FADE * colour, atol=12)   # faded, not full colour
    assert not faint[52, 100].any()                            # 1 px, not 4
    np.testing.assert_array_equal(faint[100, 50], _bgr(BODY_25.colors[MIDHIP]))  # still sure
    gone = draw_skeleton(canvas, _skeleton(shoulder_conf=0.0), thickness=4)
    assert not gone[50, 100].any() and not gone[50, 150].any()
    flat = draw_skeleton(canvas, _skeleton(), color=(0, 114, 178), thickness=4)
    np.testing.assert_array_equal(flat[100, 50], _bgr((0, 114, 178)))
    np.testing.assert_array_equal(flat[50, 100], _bgr((0, 114, 178)))


def test_person_box_frames_the_found_joints():
    kps = _skeleton()
    kps[5] = (0, 0, 0.0)                                # a missing joint at the origin: ignored
    assert person_box(kps, (200, 200), margin=0.1) == (40, 40, 160, 160)
    assert person_box(kps, (120, 120), margin=0.5) == (0, 0, 120, 120)
    assert person_box(np.zeros((25, 3)), (64, 48)) == (0, 0, 64, 48)
    # a 3:4 box: widened or heightened around the person, slid back inside the frame
    assert person_box(kps, (400, 400), margin=0.1, aspect=0.75) == (40, 20, 160, 180)
    assert person_box(kps, (400, 400), margin=0.1, aspect=2.0) == (0, 40, 240, 160)  # slid
    assert person_box(kps, (150, 400), margin=0.1, aspect=0.75) == (30, 20, 150, 180)  # slid
    assert person_box(kps, (400, 150), margin=0.1, aspect=0.75) == (44, 0, 156, 150)  # fit


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("annotate") / "demo.mp4"
    truth = write_demo_clip(path, width=320, height=240, n_frames=30)
    return path, PoseSequence(truth, fps=30.0, size=(320, 240), source=path.name)


def test_read_frame_returns_the_frame_iter_frames_decodes(demo):
    path, _ = demo
    decoded = {t: frame for t, frame, _ in iter_frames(path)}
    for t in (0, 13, 29):
        np.testing.assert_array_equal(read_frame(path, t), decoded[t])
    with pytest.raises(FitScoreError, match="Frame 30 of demo.mp4"):
        read_frame(path, 30)


def test_frame_image_draws_on_the_video_or_on_a_canvas_and_crops(demo):
    path, seq = demo
    plain = read_frame(path, 5)
    drawn = frame_image(seq, 5, path)
    assert drawn.shape == plain.shape and (drawn != plain).any()
    canvas = frame_image(seq, 5, None)
    assert canvas.shape == (240, 320, 3)
    crop = frame_image(seq, 5, path, crop=0.75)
    x0, y0, x1, y1 = person_box(seq.keypoints[5], (320, 240), aspect=0.75)
    assert crop.shape == (y1 - y0, x1 - x0, 3)
    assert crop.shape[0] == 240 and abs(crop.shape[1] / 240 - 0.75) < 0.01  # tall: full height
    found = seq.keypoints[5][seq.keypoints[5, :, 2] > 0, :2]
    assert x0 < found[:, 0].min() and found[:, 0].max() < x1  # and nobody cut off


def test_annotated_video_has_every_frame_with_the_skeleton(demo, tmp_path):
    path, seq = demo
    out = tmp_path / "annotated.mp4"
    out.write_bytes(annotated_video_bytes(seq, path))
    info = probe_video(out)
    assert (info.width, info.height, info.frame_count, info.fps) == (320, 240, 30, 30.0)
    first = next(iter_frames(out))[1].astype(int)
    x, y = np.round(seq.keypoints[0, [NECK, MIDHIP], :2].mean(axis=0)).astype(int)
    expected = _bgr(BODY_25.limb_color((NECK, MIDHIP)))     # red torso line, through codec
    assert np.abs(first[y, x] - expected).max() < 60
    assert np.abs(read_frame(path, 0).astype(int)[y, x] - expected).max() > 100


def test_annotated_video_of_a_keypoint_import_is_drawn_on_a_canvas(demo, tmp_path):
    _, seq = demo
    no_size = PoseSequence(seq.keypoints[:5], fps=25.0, size=None)
    w, h = frame_size(no_size)
    assert w > seq.keypoints[:5, :, 0].max() and h > seq.keypoints[:5, :, 1].max()
    out = tmp_path / "canvas.mp4"
    out.write_bytes(annotated_video_bytes(no_size))
    info = probe_video(out)
    assert (info.frame_count, info.fps) == (5, 25.0)
    assert abs(info.width - w) <= 1 and abs(info.height - h) <= 1  # encoders round to even
    assert frame_size(PoseSequence(np.zeros((2, 25, 3), np.float32), 30.0)) == (640, 480)
    assert blank_canvas((4, 3)).shape == (3, 4, 3)


def test_annotated_video_is_h264_a_browser_plays_inline(demo, tmp_path):
    """H.264 in yuv420p with even sides and the index (moov) before the media (mdat): what
    Chromium and phones play inline while it downloads; an odd-sized canvas is cut to even."""
    import av
    _, seq = demo
    odd = PoseSequence(seq.keypoints[:6], fps=29.97, size=(321, 241))
    data = annotated_video_bytes(odd)
    assert 0 <= data.find(b"moov") < data.find(b"mdat")            # +faststart
    out = tmp_path / "odd.mp4"
    out.write_bytes(data)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.width, stream.height) == (320, 240)
        assert stream.average_rate == annotate.video_rate(29.97) == Fraction(30000, 1001)
        assert sum(1 for _ in container.decode(stream)) == 6


def test_an_empty_clip_is_refused_in_words():
    empty = PoseSequence(np.zeros((0, 25, 3), np.float32), fps=30.0, size=(64, 48))
    with pytest.raises(FitScoreError, match="no frames"):
        annotated_video_bytes(empty)
