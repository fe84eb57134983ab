"""Video probing and decoding: what a trainer is told about bad files, and frame geometry."""

import struct
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from fitscore_core.bench.demo_clip import make_background, write_clip, write_demo_clip
from fitscore_core.config import LIMITS
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.video import downscale, iter_frames, probe_video


def cut(src: Path, dst: Path, fraction: float) -> Path:
    """Copy the first `fraction` of src's bytes: what an interrupted upload leaves behind."""
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("video") / "squat.mp4"
    write_demo_clip(path, width=320, height=240, n_frames=30)
    return path


def test_probe_reads_the_clip_header(small_clip):
    info = probe_video(small_clip)
    assert (info.width, info.height, info.fps, info.frame_count) == (320, 240, 30.0, 30)
    assert info.duration_s == pytest.approx(1.0)
    assert info.rotation == 0
    assert info.codec  # a printable fourcc
    assert info.file_mb == pytest.approx(small_clip.stat().st_size / 1e6)


def test_missing_file(tmp_path):
    with pytest.raises(FitScoreError, match=r"nowhere\.mp4 was not found"):
        probe_video(tmp_path / "nowhere.mp4")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mp4"
    path.touch()
    with pytest.raises(FitScoreError, match=r"empty\.mp4 is empty \(0 bytes\)"):
        probe_video(path)


def test_text_renamed_mp4_is_not_a_video(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("Client: Anna\nSquats 3x10, knees caving on rep 7\n" * 20)
    with pytest.raises(FitScoreError, match=r"notes\.mp4 is not a video"):
        probe_video(path)


def test_image_renamed_mp4_is_called_an_image(tmp_path):
    path = tmp_path / "photo.mp4"
    ok, png = cv2.imencode(".png", make_background(64, 48))
    path.write_bytes(png.tobytes())
    with pytest.raises(FitScoreError, match=r"photo\.mp4 is a still PNG image, not a video"):
        probe_video(path)


def test_file_over_the_size_limit(small_clip):
    limits = replace(LIMITS, max_file_mb=0.001)
    with pytest.raises(FitScoreError, match=r"squat\.mp4 is \d+ MB; the limit is 0 MB"):
        probe_video(small_clip, limits)


def test_cut_mp4_is_damaged_or_truncated(small_clip, tmp_path):
    # OpenCV's mp4v writer puts the index (moov atom) at the end: a cut file does not open.
    path = cut(small_clip, tmp_path / "cut.mp4", 0.4)
    message = r"cut\.mp4 looks like an MP4/MOV video but is damaged or truncated"
    with pytest.raises(FitScoreError, match=message):
        probe_video(path)
    with pytest.raises(FitScoreError, match=message):
        next(iter_frames(path))


def test_cut_avi_stops_short_and_says_so(tmp_path):
    # An MJPG AVI keeps decoding up to the cut, so the probe passes; decoding must not.
    full = tmp_path / "full.avi"
    write_demo_clip(full, width=320, height=240, n_frames=30, fourcc="MJPG")
    path = cut(full, tmp_path / "cut.avi", 0.4)
    assert probe_video(path).frame_count == 30  # the header still promises 30 frames
    with pytest.raises(FitScoreError, match=r"cut\.avi is truncated or damaged: "
                                            r"only \d+ of 30 frames could be read"):
        for _ in iter_frames(path):
            pass


def test_damaged_matroska_is_recognised_by_its_signature(tmp_path):
    path = tmp_path / "clip.webm"
    path.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 8)
    with pytest.raises(FitScoreError, match=r"clip\.webm looks like an MKV/WebM video but is "
                                            r"damaged or truncated"):
        probe_video(path)


def test_clip_longer_than_the_limit(tmp_path):
    path = tmp_path / "long.mp4"
    write_demo_clip(path, width=160, height=120, n_frames=20, fps=10)  # 2 s
    limits = replace(LIMITS, max_duration_s=1.5)
    with pytest.raises(FitScoreError,
                       match=r"long\.mp4 is 2 s long; the limit is 1\.5 s — trim it first"):
        probe_video(path, limits)
    assert probe_video(path).duration_s == pytest.approx(2.0)  # fine under the real limit


def test_resolution_over_the_limit(small_clip):
    limits = replace(LIMITS, max_resolution=(300, 200))
    with pytest.raises(FitScoreError, match=r"squat\.mp4 is 320×240; the limit is 300×200"):
        probe_video(small_clip, limits)


def test_plain_background_clip_probes_fine(tmp_path):
    # "no person" is pose extraction's verdict, not the decoder's
    path = tmp_path / "wall.mp4"
    assert write_clip(path, [make_background(160, 120)] * 5) == 5
    assert probe_video(path).frame_count == 5


@pytest.mark.parametrize("shape, max_side, expected", [
    ((720, 1280, 3), 640, ((360, 640, 3), 0.5)),
    ((1280, 720, 3), 640, ((640, 360, 3), 0.5)),
    ((480, 640, 3), 640, ((480, 640, 3), 1.0)),
    ((240, 320, 3), None, ((240, 320, 3), 1.0)),
])
def test_downscale(shape, max_side, expected):
    frame = np.zeros(shape, np.uint8)
    out, scale = downscale(frame, max_side)
    assert (out.shape, scale) == expected
    if scale == 1.0:
        assert out is frame  # no copy when nothing to do


def test_downscale_keeps_positions():
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[400:440, 1000:1040] = 255          # a white square centred on (1020, 420)
    out, scale = downscale(frame, 640)
    ys, xs = np.nonzero(out[..., 0] > 127)
    assert (xs.mean() + 0.5) / scale - 0.5 == pytest.approx(1019.5, abs=1)
    assert (ys.mean() + 0.5) / scale - 0.5 == pytest.approx(419.5, abs=1)


def test_iter_frames_downscales_and_counts(tmp_path):
    path = tmp_path / "hd.mp4"
    write_demo_clip(path, width=1280, height=720, n_frames=6)
    got = [(i, f.shape, s) for i, f, s in iter_frames(path, max_side=640)]
    assert got == [(i, (360, 640, 3), 0.5) for i in range(6)]
    assert [f.shape for _, f, _ in iter_frames(path)] == [(720, 1280, 3)] * 6


def test_iter_frames_from_a_later_frame_gives_the_same_frames(tmp_path):
    path = tmp_path / "clip.mp4"
    write_demo_clip(path, width=320, height=240, n_frames=8)
    every = list(iter_frames(path))
    later = list(iter_frames(path, first=5))
    assert [i for i, _, _ in later] == [5, 6, 7]
    for (i, frame, _), (j, again, _) in zip(every[5:], later):
        assert i == j and np.array_equal(frame, again)


def _rotate_90(src: Path, dst: Path) -> Path:
    """Copy an MP4 with its track matrix set to "display turned 90° clockwise" (phones do)."""
    data = bytearray(src.read_bytes())
    box = data.find(b"tkhd") - 4
    assert box > 0 and data[box + 8] == 0, "expected a version-0 tkhd box"
    data[box + 48: box + 84] = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0,
                                           0x40000000)
    dst.write_bytes(bytes(data))
    return dst


def test_rotation_metadata_is_applied_and_reported(small_clip, tmp_path):
    path = _rotate_90(small_clip, tmp_path / "phone.mp4")
    info = probe_video(path)
    assert (info.rotation, info.width, info.height) == (90, 240, 320)
    upright = [f for _, f, _ in iter_frames(path)]
    original = [f for _, f, _ in iter_frames(small_clip)]
    assert upright[0].shape == (info.height, info.width, 3)
    assert np.array_equal(upright[5], cv2.rotate(original[5], cv2.ROTATE_90_CLOCKWISE))
