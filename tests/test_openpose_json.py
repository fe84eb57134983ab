"""OpenPose JSON import/export: round trips, layouts, ordering, and every refusal's message."""

import dataclasses
import doctest
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from fitscore_core.config import LIMITS
from fitscore_core.errors import FitScoreError
from fitscore_core.pose import openpose_json
from fitscore_core.pose.openpose_json import (
    DEFAULT_FPS,
    openpose_zip_bytes,
    read_openpose,
    read_openpose_zip_bytes,
    write_openpose,
    write_openpose_zip,
)
from fitscore_core.pose.sequence import PoseSequence


def _sequence(n_frames: int = 6, seed: int = 0) -> PoseSequence:
    """Random BODY_25 clip with a few missing joints and one frame where nobody was found."""
    rng = np.random.default_rng(seed)
    kps = np.zeros((n_frames, 25, 3), np.float32)
    kps[:, :, 0] = rng.uniform(0, 640, (n_frames, 25))
    kps[:, :, 1] = rng.uniform(0, 480, (n_frames, 25))
    kps[:, :, 2] = rng.uniform(0.05, 1.0, (n_frames, 25))
    kps[1, [3, 19, 20], :] = 0.0          # missing joints
    kps[2] = 0.0                          # nobody in frame 2
    return PoseSequence(kps, fps=25.0, size=(640, 480), source="client_squat.mp4")


def _triplets(n_joints: int, x0: float = 10.0) -> list[float]:
    return [v for j in range(n_joints) for v in (x0 + j, 100.0 + j, 0.9)]


def _frame(*people: list[float]) -> bytes:
    return json.dumps({"version": 1.3, "people": [
        {"person_id": [-1], "pose_keypoints_2d": list(p), "face_keypoints_2d": []}
        for p in people]}).encode()


def _write(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def _name(t: int, prefix: str = "clip") -> str:
    return f"{prefix}_{t:012d}_keypoints.json"


def _assert_same_keypoints(frames, seq: PoseSequence) -> None:
    assert frames.n_frames == seq.n_frames
    for t in range(seq.n_frames):
        if not (seq.keypoints[t, :, 2] > 0).any():
            assert frames.people[t].shape == (0, 25, 3)
            continue
        assert frames.people[t].shape == (1, 25, 3)
        got = frames.people[t][0]
        np.testing.assert_allclose(got[:, :2], seq.keypoints[t, :, :2], atol=5e-4)
        np.testing.assert_allclose(got[:, 2], seq.keypoints[t, :, 2], atol=5e-5)


# ------------------------------------------------------------------------------ round trips

def test_folder_round_trip_keeps_keypoints_fps_size_and_openpose_shape(tmp_path):
    seq = _sequence()
    calls = []
    written = write_openpose(seq, tmp_path / "out" / "json", name="squat",
                             progress=lambda done, total: calls.append((done, total)))

    names = [p.name for p in written]
    assert names == [_name(t, "squat") for t in range(6)] + ["fitscore_meta.json"]
    assert calls == [(t, 6) for t in range(1, 7)]

    doc = json.loads(written[0].read_text())
    assert doc["version"] == 1.3
    person = doc["people"][0]
    assert person["person_id"] == [-1] and len(person["pose_keypoints_2d"]) == 75
    for key in ("face_keypoints_2d", "hand_left_keypoints_2d", "hand_right_keypoints_2d",
                "pose_keypoints_3d", "face_keypoints_3d", "hand_left_keypoints_3d",
                "hand_right_keypoints_3d"):
        assert person[key] == []
    values = person["pose_keypoints_2d"]
    assert all(round(v, 3) == v for v in values[0::3] + values[1::3])   # x, y: 3 decimals
    assert all(round(v, 4) == v for v in values[2::3])                  # confidence: 4
    assert json.loads(written[2].read_text())["people"] == []      # nobody -> no person entry
    assert json.loads(written[1].read_text())["people"][0]["pose_keypoints_2d"][9:12] == [0, 0, 0]

    frames = read_openpose(tmp_path / "out" / "json")
    _assert_same_keypoints(frames, seq)
    assert (frames.fps, frames.size, frames.source) == (25.0, (640, 480), "client_squat.mp4")
    assert frames.backend == "openpose-json" and frames.fps_source == "sidecar"
    assert frames.layout == "BODY_25" and not frames.fps_is_default


def test_zip_round_trip_from_disk_and_from_memory(tmp_path):
    seq = _sequence(n_frames=8, seed=1)
    zip_path = write_openpose_zip(seq, tmp_path / "dl" / "squat.zip", name="squat")

    with zipfile.ZipFile(zip_path) as archive:
        infos = archive.infolist()
    assert sorted(i.filename for i in infos) == sorted(
        [_name(t, "squat") for t in range(8)] + ["fitscore_meta.json"])
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos)

    for frames in (read_openpose(zip_path),
                   read_openpose_zip_bytes(openpose_zip_bytes(seq, "squat"), "squat.zip")):
        _assert_same_keypoints(frames, seq)
        assert (frames.fps, frames.size, frames.fps_source) == (25.0, (640, 480), "sidecar")


def test_unknown_size_and_nan_keypoints_export_as_not_found(tmp_path):
    kps = np.full((2, 25, 3), 50.0, np.float32)
    kps[0, 4] = [np.nan, np.nan, 0.8]   # a gap a cleaning step left as NaN: not a position
    kps[1, :, 2] = 0.00001               # tiny but real confidence must not become "not found"
    write_openpose(PoseSequence(kps, fps=12.5), tmp_path)

    frames = read_openpose(tmp_path)
    assert frames.size is None and frames.fps == 12.5
    assert frames.people[0][0, 4].tolist() == [0.0, 0.0, 0.0]
    assert (frames.people[1][0, :, 2] > 0).all()


def test_write_refuses_a_folder_holding_another_clip(tmp_path):
    _write(tmp_path, {_name(0, "other"): _frame(_triplets(25))})
    with pytest.raises(FitScoreError, match=r"already holds other OpenPose keypoint files "
                                            r"\(e\.g\. other_000000000000_keypoints\.json\)"):
        write_openpose(_sequence(), tmp_path, name="squat")
    write_openpose(_sequence(), tmp_path / "again", name="squat")
    write_openpose(_sequence(), tmp_path / "again", name="squat")   # re-export over itself: fine


def test_module_usage_example_runs():
    assert doctest.testmod(openpose_json).failed == 0


# ------------------------------------------------------------------------ layouts and people

def test_coco18_import_converts_to_body25(tmp_path):
    coco = np.array(_triplets(18), np.float32).reshape(18, 3)
    coco[8, :2] = [200.0, 300.0]    # RHip
    coco[11, :2] = [260.0, 310.0]   # LHip
    _write(tmp_path, {_name(0): _frame(coco.ravel().tolist())})

    frames = read_openpose(tmp_path)
    body = frames.people[0][0]
    assert frames.layout == "COCO_18"
    np.testing.assert_allclose(body[8], [230.0, 305.0, 0.9], rtol=1e-6)  # MidHip = mean of hips
    np.testing.assert_allclose(body[9], coco[8])                         # RHip
    np.testing.assert_allclose(body[12], coco[11])                       # LHip
    np.testing.assert_allclose(body[14], coco[13])                       # LAnkle
    assert (body[19:25, 2] == 0).all()                                   # no feet in COCO-18


def test_several_people_per_frame_and_empty_frames_are_kept(tmp_path):
    _write(tmp_path, {
        _name(0): _frame(_triplets(25, x0=10), _triplets(25, x0=500)),
        _name(1): _frame(),
        _name(2): _frame(_triplets(25, x0=20), _triplets(25, x0=300), _triplets(25, x0=600)),
    })
    frames = read_openpose(tmp_path)
    assert [p.shape for p in frames.people] == [(2, 25, 3), (0, 25, 3), (3, 25, 3)]
    assert frames.people[0][:, 0, 0].tolist() == [10.0, 500.0]
    assert frames.people[2][:, 0, 0].tolist() == [20.0, 300.0, 600.0]
    assert all(p.dtype == np.float32 for p in frames.people)


def test_not_found_joints_lose_stray_coordinates(tmp_path):
    values = _triplets(25)
    values[3 * 4:3 * 4 + 3] = [321.0, 123.0, 0.0]     # RWrist "not found" but with an x, y
    _write(tmp_path, {_name(0): _frame(values)})
    person = read_openpose(tmp_path).people[0][0]
    assert person[4].tolist() == [0.0, 0.0, 0.0]
    assert person[3].tolist() == pytest.approx([13.0, 103.0, 0.9])


# ---------------------------------------------------------------------------------- ordering

def test_frames_ordered_by_number_not_by_write_order(tmp_path):
    for t in (11, 2, 0, 7, 1):      # written out of order; x encodes the frame number
        _write(tmp_path, {_name(t): _frame(_triplets(25, x0=float(t)))})
    frames = read_openpose(tmp_path)
    assert [p[0, 0, 0] for p in frames.people] == [0.0, 1.0, 2.0, 7.0, 11.0]


def test_files_without_frame_number_use_natural_order(tmp_path):
    for i in (10, 2, 1):            # OpenPose on an image folder: <image>_keypoints.json
        _write(tmp_path, {f"img{i}_keypoints.json": _frame(_triplets(25, x0=float(i)))})
    frames = read_openpose(tmp_path)
    assert [p[0, 0, 0] for p in frames.people] == [1.0, 2.0, 10.0]


def test_two_files_for_one_frame_number_are_refused(tmp_path):
    _write(tmp_path, {_name(3, "a"): _frame(), _name(3, "b"): _frame()})
    with pytest.raises(FitScoreError, match=r"Two files claim frame 3: a_000000000003_keypoints"
                                            r"\.json and b_000000000003_keypoints\.json"):
        read_openpose(tmp_path)


# ------------------------------------------------------------------------------ zip layouts

def test_zip_with_files_in_a_sub_folder_and_macos_junk(tmp_path):
    files = {f"squat_json/{_name(t)}": _frame(_triplets(25, x0=float(t))) for t in (1, 0)}
    files["squat_json/fitscore_meta.json"] = json.dumps({"fps": 24, "width": 320,
                                                         "height": 240}).encode()
    files[f"__MACOSX/squat_json/._{_name(0)}"] = b"\x00\x05\x16\x07binary resource fork"
    files["squat_json/"] = b""
    frames = read_openpose(_zip(tmp_path / "squat.zip", files))
    assert [p[0, 0, 0] for p in frames.people] == [0.0, 1.0]
    assert (frames.fps, frames.size, frames.source) == (24.0, (320, 240), "squat.zip")


def test_folder_with_files_in_a_single_sub_folder(tmp_path):
    _write(tmp_path / "export" / "json", {_name(0): _frame(_triplets(25))})
    assert read_openpose(tmp_path / "export").n_frames == 1


def test_keypoint_files_in_several_folders_are_refused(tmp_path):
    zip_path = _zip(tmp_path / "two.zip", {f"a/{_name(0)}": _frame(), f"b/{_name(0)}": _frame()})
    with pytest.raises(FitScoreError, match=r"two\.zip has keypoint files in several folders "
                                            r"\('a', 'b'\)"):
        read_openpose(zip_path)


@pytest.mark.parametrize("files", [{}, {"notes.txt": b"hello", "clip.mp4": b"\x00" * 10,
                                        "pose.json": b"{}"}])
def test_zip_without_keypoint_files_is_refused(tmp_path, files):
    zip_path = _zip(tmp_path / "upload.zip", files)
    with pytest.raises(FitScoreError, match=r"^upload\.zip contains no OpenPose keypoint files "
                                            r"\(\*_keypoints\.json\)\.$"):
        read_openpose(zip_path)


def test_empty_folder_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FitScoreError, match=r"^empty contains no OpenPose keypoint files"):
        read_openpose(tmp_path / "empty")


# ------------------------------------------------------------------------------- bad frames

def test_wrong_keypoint_count(tmp_path):
    _write(tmp_path, {_name(0): _frame(_triplets(25)), _name(12, "frame"): _frame(_triplets(20))})
    with pytest.raises(FitScoreError) as err:
        read_openpose(tmp_path)
    assert str(err.value) == ("frame_000000000012_keypoints.json has 20 keypoints (60 numbers); "
                              "expected BODY_25 (75 numbers) or COCO-18 (54).")


def test_length_not_a_multiple_of_three(tmp_path):
    _write(tmp_path, {_name(4): _frame(_triplets(25)[:-1])})
    with pytest.raises(FitScoreError, match=r"^clip_000000000004_keypoints\.json: person 1 has 74 "
                                            r"numbers in \"pose_keypoints_2d\", not a multiple "
                                            r"of 3"):
        read_openpose(tmp_path)


def test_malformed_json_names_file_and_line(tmp_path):
    _write(tmp_path, {_name(0): _frame(), _name(1): b'{\n  "version": 1.3,\n  "people": [\n'})
    with pytest.raises(FitScoreError, match=r"^clip_000000000001_keypoints\.json is not valid "
                                            r"JSON \(line 4, column 1: "):
        read_openpose(tmp_path)


def test_missing_people_key(tmp_path):
    _write(tmp_path, {_name(0): json.dumps({"version": 1.3, "persons": []}).encode()})
    with pytest.raises(FitScoreError, match=r'^clip_000000000000_keypoints\.json has no "people" '
                                            r"list; it is not an OpenPose keypoint file\.$"):
        read_openpose(tmp_path)


@pytest.mark.parametrize("doc, message", [
    ({"people": {"pose_keypoints_2d": []}}, r'"people" must be a list, got dict'),
    ({"people": [{"face_keypoints_2d": []}]}, r'person 1 has no "pose_keypoints_2d" list'),
    ({"people": [{"pose_keypoints_2d": [1, "2", 0.5]}]}, r"holds something other than numbers"),
    ({"people": [{"pose_keypoints_2d": [None] * 75}]}, r"holds something other than numbers"),
])
def test_wrong_types_are_refused(tmp_path, doc, message):
    _write(tmp_path, {_name(0): json.dumps(doc).encode()})
    with pytest.raises(FitScoreError, match=r"^clip_000000000000_keypoints\.json.*" + message):
        read_openpose(tmp_path)


def test_mixed_layouts_across_frames(tmp_path):
    _write(tmp_path, {_name(0): _frame(_triplets(25)), _name(1): _frame(),
                      _name(2): _frame(_triplets(18))})
    with pytest.raises(FitScoreError, match=r"mixes keypoint layouts: clip_000000000000_keypoints"
                                            r"\.json is BODY_25 but clip_000000000002_keypoints"
                                            r"\.json is COCO_18"):
        read_openpose(tmp_path)


def test_mixed_layouts_within_a_frame(tmp_path):
    _write(tmp_path, {_name(0): _frame(_triplets(25), _triplets(18))})
    with pytest.raises(FitScoreError, match=r"^clip_000000000000_keypoints\.json mixes BODY_25 "
                                            r"and COCO-18 people"):
        read_openpose(tmp_path)


# ----------------------------------------------------------------------------- hostile zips

@pytest.mark.parametrize("entry", ["../evil_000000000000_keypoints.json",
                                   "/tmp/evil_000000000000_keypoints.json",
                                   "C:/evil_000000000000_keypoints.json",
                                   "json\\..\\..\\evil.txt"])
def test_zip_entry_escaping_the_folder_refuses_the_whole_zip(tmp_path, entry):
    zip_path = _zip(tmp_path / "evil.zip", {_name(0): _frame(_triplets(25)), entry: _frame()})
    with zipfile.ZipFile(zip_path) as archive:
        assert entry in archive.namelist()          # the hostile name really is in the zip
    with pytest.raises(FitScoreError) as err:
        read_openpose(zip_path)
    assert str(err.value) == (f"evil.zip was refused: entry '{entry}' points outside the "
                              "zip's folder.")
    assert not (tmp_path.parent / "evil_000000000000_keypoints.json").exists()


def test_zip_bomb_refused_by_declared_size(tmp_path):
    zip_path = _zip(tmp_path / "bomb.zip", {_name(0): b"0" * 5_000_000})
    assert zip_path.stat().st_size < 50_000
    limits = dataclasses.replace(LIMITS, max_zip_uncompressed_mb=1)
    with pytest.raises(FitScoreError, match=r"^bomb\.zip expands to 5\.0 MB, more than the 1 MB "
                                            r"limit\.$"):
        read_openpose(zip_path, limits=limits)
    assert read_openpose(_zip(tmp_path / "ok.zip", {_name(0): _frame()}), limits=limits).n_frames


def _patch_sizes(data: bytes, size: int) -> bytes:
    """Rewrite the uncompressed size in both local and central headers: a lying zip."""
    out = bytearray(data)
    local, central = out.find(b"PK\x03\x04"), out.find(b"PK\x01\x02")
    out[local + 22:local + 26] = struct.pack("<I", size)
    out[central + 24:central + 28] = struct.pack("<I", size)
    return bytes(out)


def test_zip_whose_header_lies_about_its_size_is_refused(tmp_path):
    honest = _zip(tmp_path / "honest.zip", {_name(0): b" " * (5 * 1024 * 1024) + _frame()})
    lying = tmp_path / "lying.zip"
    lying.write_bytes(_patch_sizes(honest.read_bytes(), 100))
    limits = dataclasses.replace(LIMITS, max_zip_uncompressed_mb=1)
    with pytest.raises(FitScoreError, match=r"^lying\.zip: entry 'clip_000000000000_keypoints"
                                            r"\.json' cannot be read"):
        read_openpose(lying, limits=limits)


def test_zip_with_too_many_entries(tmp_path):
    zip_path = _zip(tmp_path / "many.zip", {_name(t): _frame() for t in range(6)})
    limits = dataclasses.replace(LIMITS, max_zip_entries=5)
    with pytest.raises(FitScoreError, match=r"^many\.zip has 6 entries, more than the 5 allowed"):
        read_openpose(zip_path, limits=limits)
    with pytest.raises(FitScoreError, match=r"^many holds 6 keypoint files, more than the 5"):
        read_openpose(_write(tmp_path / "many", {_name(t): _frame() for t in range(6)}),
                      limits=limits)


def test_zip_file_over_the_size_limit(tmp_path):
    zip_path = tmp_path / "big.zip"
    zip_path.write_bytes(openpose_zip_bytes(_sequence(n_frames=40)))
    limits = dataclasses.replace(LIMITS, max_file_mb=0.001)
    with pytest.raises(FitScoreError, match=r"^big\.zip is 0\.0\d+ MB, more than the 0\.001 MB "
                                            r"limit\.$"):
        read_openpose(zip_path, limits=limits)
    with pytest.raises(FitScoreError, match=r"^big\.zip is 0\.0\d+ MB"):
        read_openpose_zip_bytes(zip_path.read_bytes(), "big.zip", limits=limits)


def test_not_a_zip_and_missing_path(tmp_path):
    (tmp_path / "fake.zip").write_bytes(b"this is not a zip")
    with pytest.raises(FitScoreError, match=r"^fake\.zip is not a valid zip file"):
        read_openpose(tmp_path / "fake.zip")
    (tmp_path / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    with pytest.raises(FitScoreError, match=r"^clip\.mp4 is neither a folder nor a \.zip"):
        read_openpose(tmp_path / "clip.mp4")
    with pytest.raises(FitScoreError, match=r"nowhere\.zip does not exist\.$"):
        read_openpose(tmp_path / "nowhere.zip")


# --------------------------------------------------------------------------------------- fps

def test_sidecar_fps_and_size_honoured_and_argument_wins(tmp_path):
    _write(tmp_path, {_name(0): _frame(_triplets(25)), "fitscore_meta.json": json.dumps(
        {"fps": 59.94, "width": 1920, "height": 1080, "source": "deadlift.mov"}).encode()})
    frames = read_openpose(tmp_path)
    assert (frames.fps, frames.size, frames.source) == (59.94, (1920, 1080), "deadlift.mov")
    assert frames.fps_source == "sidecar"
    forced = read_openpose(tmp_path, fps=np.float32(15))
    assert (forced.fps, forced.fps_source, forced.size) == (15.0, "argument", (1920, 1080))
    with pytest.raises(FitScoreError, match=r"^The frame rate must be a positive number, got 0"):
        read_openpose(tmp_path, fps=0)


def test_default_fps_when_no_sidecar(tmp_path):
    _write(tmp_path / "run", {_name(0): _frame(_triplets(25))})
    frames = read_openpose(tmp_path / "run")
    assert DEFAULT_FPS == 30.0
    assert (frames.fps, frames.fps_source, frames.fps_is_default) == (30.0, "default", True)
    assert (frames.size, frames.source, frames.backend) == (None, "run", "openpose-json")


@pytest.mark.parametrize("meta, message", [
    ({"fps": 0}, r'"fps" must be a positive number, got 0'),
    ({"fps": "30"}, r"\"fps\" must be a positive number, got '30'"),
    ({"width": 640}, r'"width" and "height" must be positive whole numbers'),
])
def test_bad_sidecar_is_refused(tmp_path, meta, message):
    _write(tmp_path, {_name(0): _frame(), "fitscore_meta.json": json.dumps(meta).encode()})
    with pytest.raises(FitScoreError, match=r"^fitscore_meta\.json: " + message):
        read_openpose(tmp_path)
