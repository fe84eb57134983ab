import subprocess
import sys

import numpy as np
import pytest
from test_features import squat_clip

from fitscore_core.cli import main
from fitscore_core.pose.openpose_json import write_openpose, write_openpose_zip
from fitscore_core.pose.sequence import PoseSequence


@pytest.fixture
def keypoint_folder(tmp_path):
    seq = squat_clip(n=90, fps=30.0)
    write_openpose(seq, tmp_path / "clip", name="clip")
    return tmp_path / "clip"


def test_tensor_from_openpose_folder(keypoint_folder, tmp_path, capsys):
    out = tmp_path / "clip.npz"
    assert main(["tensor", str(keypoint_folder), "--out", str(out)]) == 0
    data = np.load(out)
    assert data["tensor"].shape == (1, 30, 150)
    assert data["mask"].sum() == 45            # 3 s at 15 fps
    assert data["features"].shape == (30, 90)  # before resampling, at the source 30 fps
    assert data["row_labels"][0] == "Nose x"
    assert "1×30×150" in capsys.readouterr().out


def test_folder_and_zip_of_the_same_clip_give_the_same_tensor(tmp_path):
    seq = squat_clip(n=90, fps=30.0)
    write_openpose(seq, tmp_path / "clip", name="clip")
    zip_path = write_openpose_zip(seq, tmp_path / "clip.zip", name="clip")
    main(["tensor", str(tmp_path / "clip"), "--out", str(tmp_path / "a.npz")])
    main(["tensor", str(zip_path), "--out", str(tmp_path / "b.npz")])
    a, b = np.load(tmp_path / "a.npz"), np.load(tmp_path / "b.npz")
    np.testing.assert_array_equal(a["tensor"], b["tensor"])
    assert np.abs(a["tensor"]).max() > 0.5


def test_info_on_zip(keypoint_folder, tmp_path, capsys):
    from fitscore_core.pose.openpose_json import read_openpose
    kps = np.stack([p[0] for p in read_openpose(keypoint_folder).people])
    zip_path = write_openpose_zip(PoseSequence(kps, 30.0, (640, 480)), tmp_path / "c.zip")
    assert main(["info", str(zip_path)]) == 0
    out = capsys.readouterr().out
    assert "90 (3.00 s at 30 fps)" in out and "640×480" in out and "BODY_25" in out


def test_bad_input_prints_one_error_line_and_exits_2(tmp_path, capsys):
    assert main(["info", str(tmp_path / "missing.mp4")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "does not exist" in err and "Traceback" not in err
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"this is not a zip")
    assert main(["tensor", str(bad), "--out", str(tmp_path / "x.npz")]) == 2
    assert "error: " in capsys.readouterr().err


def test_module_entry_point(tmp_path):
    run = subprocess.run([sys.executable, "-m", "fitscore_core", "info", str(tmp_path / "no")],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "does not exist" in run.stderr
