"""Hostile or unlucky input (issue 14): every case is refused in words, never a traceback, a
runaway allocation or a half-written result that passes for a whole one.

Each hostile file is generated here, tiny; limits are lowered through a Limits override where
a real-size input would be needed.
"""

import io
import json
import struct
import warnings
import zipfile
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from fitscore_core import annotate
from fitscore_core.cli import main
from fitscore_core.config import LIMITS
from fitscore_core.errors import FitScoreError
from fitscore_core.features import build_features
from fitscore_core.pose import cleaning, openpose_json
from fitscore_core.pose.backends import estimate_poses
from fitscore_core.pose.cleaning import track_main_person
from fitscore_core.pose.inputs import load_sequence
from fitscore_core.pose.openpose_json import (
    read_openpose,
    read_openpose_zip_bytes,
    write_openpose,
)
from fitscore_core.pose.sequence import MultiPoseFrames, PoseSequence
from fitscore_core.synth.dataset import load_dataset


def _name(t: int, prefix: str = "clip") -> str:
    return f"{prefix}_{t:012d}_keypoints.json"


def _body(x0: float = 100.0, y0: float = 100.0, size: float = 200.0) -> list[float]:
    """A BODY_25 person whose 25 joints spread over a size × size box at (x0, y0)."""
    rng = np.random.default_rng(int(x0 + 7 * y0 + size))
    xy = rng.uniform(0, size, (25, 2)) + [x0, y0]
    return [float(v) for j in range(25) for v in (*xy[j], 0.9)]


def _frame(*people: list) -> bytes:
    return json.dumps({"version": 1.3, "people": [{"pose_keypoints_2d": p}
                                                  for p in people]}).encode()


def _folder(path: Path, n_frames: int = 10, meta: dict | None = None,
            frame: bytes | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for t in range(n_frames):
        (path / _name(t)).write_bytes(frame if frame is not None else _frame(_body(100 + t)))
    if meta is not None:
        (path / "fitscore_meta.json").write_text(json.dumps(meta))
    return path


def _cli(capsys, *argv: str) -> str:
    """Run the CLI; it must exit 2 with exactly one `error: ...` line and no traceback."""
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


# ------------------------------------------------ 5: people per frame

def _person(cx: float, size: float) -> np.ndarray:
    rng = np.random.default_rng(int(cx))
    kps = np.zeros((25, 3), np.float32)
    kps[:, 0] = cx + rng.uniform(-0.25, 0.25, 25) * size
    kps[:, 1] = 400 + rng.uniform(-0.5, 0.5, 25) * size
    kps[:, 2] = 0.9
    return kps


def test_people_per_frame_are_capped_to_the_largest_and_the_notes_say_so(monkeypatch):
    shapes = []
    real = cleaning.linear_sum_assignment

    def spy(cost):
        shapes.append(cost.shape)
        return real(cost)

    monkeypatch.setattr(cleaning, "linear_sum_assignment", spy)
    cap = LIMITS.max_people_per_frame
    crowd = [_person(20.0 + 15 * i, 20.0) for i in range(60)]      # 60 small people
    client = _person(2000.0, 500.0)                                 # listed last
    frames = MultiPoseFrames([np.stack(crowd + [client])] * 12, fps=30.0, source="crowd")
    seq = track_main_person(frames)
    np.testing.assert_allclose(seq.keypoints[:, :, :2], np.stack([client] * 12)[:, :, :2])
    assert shapes and all(rows <= cap and cols <= cap for rows, cols in shapes)
    assert any(f"more than {cap} people" in note and "kept the" in note and "largest" in note
               for note in seq.notes), seq.notes


# ------------------------------------------------ 6: a header that lies about the frame count

def _lying_avi(path: Path, n_frames: int = 40, fps: float = 10.0, claims: int = 5) -> Path:
    """An MJPG AVI of n_frames whose headers (avih, strh) say it holds `claims` frames."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (64, 48))
    for i in range(n_frames):
        writer.write(np.full((48, 64, 3), 5 * i, np.uint8))
    writer.release()
    data = bytearray(path.read_bytes())
    avih, strh = data.find(b"avih"), data.find(b"strh")
    data[avih + 24:avih + 28] = struct.pack("<I", claims)          # dwTotalFrames
    data[strh + 40:strh + 44] = struct.pack("<I", claims)          # dwLength
    path.write_bytes(bytes(data))
    return path


class _OnePerson:
    name = "fake"

    def __init__(self):
        self.calls = 0

    def __call__(self, frame):
        self.calls += 1
        return np.full((1, 25, 3), 10.0, np.float32)


def test_duration_limit_holds_while_decoding_not_only_from_the_header(tmp_path):
    path = _lying_avi(tmp_path / "lying.avi")
    cap = cv2.VideoCapture(str(path))
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == 5                  # the header really lies
    cap.release()
    limits = replace(LIMITS, max_duration_s=1.0)                   # 10 frames at 10 fps
    backend = _OnePerson()
    with pytest.raises(FitScoreError) as err:
        estimate_poses(path, backend=backend, limits=limits)
    assert str(err.value).startswith("lying.avi holds more than 1 s of video although its "
                                     "header says 0.5 s")
    assert backend.calls < 40                                       # stopped, not all posed
    honest = estimate_poses(path, backend=_OnePerson(), limits=replace(LIMITS,
                                                                       max_duration_s=10.0))
    assert honest.n_frames == 40
