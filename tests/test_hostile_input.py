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


# ------------------------------------------------ 1: the frame rate of keypoint input

@pytest.mark.parametrize("fps", [0.01, 1e-9, 0.5, 241.0, 1e9])
def test_keypoint_fps_outside_the_sane_range_is_refused(tmp_path, fps):
    folder = _folder(tmp_path / "op", n_frames=3)
    with pytest.raises(FitScoreError, match=r"^The frame rate .* is outside the 1–240 fps"):
        read_openpose(folder, fps=fps)


@pytest.mark.parametrize("fps", [0.01, 1000])
def test_sidecar_fps_outside_the_range_is_refused_in_a_folder_and_an_upload(tmp_path, fps):
    folder = _folder(tmp_path / "op", n_frames=3, meta={"fps": fps})
    with pytest.raises(FitScoreError, match=r"^fitscore_meta\.json: \"fps\" .* outside the "
                                            r"1–240 fps"):
        read_openpose(folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.iterdir():
            archive.writestr(path.name, path.read_bytes())
    with pytest.raises(FitScoreError, match=r"outside the 1–240 fps"):
        read_openpose_zip_bytes(buffer.getvalue(), "upload.zip")


def test_keypoint_input_longer_than_the_duration_limit_is_refused(tmp_path):
    folder = _folder(tmp_path / "long", n_frames=10)
    limits = replace(LIMITS, max_duration_s=5.0)
    assert read_openpose(folder, fps=2.0, limits=limits).n_frames == 10   # 5 s: at the limit
    with pytest.raises(FitScoreError) as err:
        read_openpose(folder, fps=1.0, limits=limits)                    # 10 s
    assert str(err.value) == ("long is 10 s long at 1 fps (10 frames); the limit is 5 s — "
                              "trim it, or check the frame rate.")


def test_cli_tiny_fps_on_keypoint_input_is_one_error_line(tmp_path, capsys):
    folder = _folder(tmp_path / "OP", n_frames=4)
    err = _cli(capsys, "info", str(folder), "--fps", "0.01")
    assert "outside the 1–240 fps" in err
    err = _cli(capsys, "tensor", str(folder), "--fps", "1e-9", "--out", str(tmp_path / "x.npz"))
    assert "outside the 1–240 fps" in err


def test_features_refuse_a_clip_whose_frame_rate_makes_it_absurdly_long():
    kps = np.zeros((10, 25, 3), np.float32)
    kps[:, :, :2] = np.random.default_rng(0).uniform(100, 300, (10, 25, 2))
    kps[:, :, 2] = 0.9
    with pytest.raises(FitScoreError, match=r"frame rate"):
        build_features(PoseSequence(kps, fps=1e-9, size=(640, 480)))


# ------------------------------------------------ 4: the frame size in the sidecar

def test_sidecar_frame_size_beyond_the_resolution_limit_is_refused(tmp_path):
    folder = _folder(tmp_path / "op", n_frames=2, meta={"fps": 30, "width": 30000,
                                                        "height": 30000})
    with pytest.raises(FitScoreError) as err:
        read_openpose(folder)
    assert str(err.value) == ("op was refused: its fitscore_meta.json gives a frame size of "
                              "30000×30000, beyond the 3840×2160 limit; correct or delete the "
                              "sidecar.")
    portrait = _folder(tmp_path / "portrait", n_frames=2, meta={"width": 2160, "height": 3840})
    assert read_openpose(portrait).size == (2160, 3840)


def test_drawing_never_allocates_beyond_the_resolution_limit():
    canvas = annotate.blank_canvas((5000, 100))
    assert canvas.shape == (100, 3840, 3)
    assert annotate.blank_canvas((100, 5000)).shape == (3840, 100, 3)
    assert annotate.blank_canvas((4000, 3000)).shape == (2160, 3840, 3)
    kps = np.zeros((2, 25, 3), np.float32)
    kps[:, :, :2] = 90_000.0
    kps[:, :, 2] = 0.9
    width, height = annotate.frame_size(PoseSequence(kps, fps=30.0))   # size from keypoints
    assert max(width, height) <= 3840 and min(width, height) <= 2160


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


# ------------------------------------------------ 9: keypoint JSON that parses badly

def _first_number(digits: bytes) -> bytes:
    """A BODY_25 frame whose first number is written out as `digits`."""
    return (b'{"people": [{"pose_keypoints_2d": [' + digits + b", "
            + b", ".join([b"1.0"] * 74) + b"]}]}")


@pytest.mark.parametrize("body, message", [
    (b'{"people": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", r"nested too deeply"),
    (_first_number(b"9" * 5000), r"not a finite number"),              # int() refuses it
    (_first_number(b"9" * 401), r"not a finite number"),               # float() overflows
], ids=["nested-100000", "int-5000-digits", "int-401-digits"])
def test_keypoint_json_that_parses_badly_is_refused_naming_the_file(tmp_path, body, message):
    folder = _folder(tmp_path / "bad", n_frames=2)
    (folder / _name(1)).write_bytes(body)
    with pytest.raises(FitScoreError, match=r"^clip_000000000001_keypoints\.json.*" + message):
        read_openpose(folder)


@pytest.mark.parametrize("meta", [b'{"fps": ' + b"3" * 5000 + b"}",
                                  b'{"fps": ' + b"3" * 401 + b"}",
                                  b'{"width": ' + b"6" * 5000 + b', "height": 480}',
                                  b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"],
                         ids=["fps-5000-digits", "fps-401-digits", "width-5000-digits",
                              "nested-100000"])
def test_sidecar_that_parses_badly_is_refused(tmp_path, meta):
    folder = _folder(tmp_path / "bad", n_frames=2)
    (folder / "fitscore_meta.json").write_bytes(meta)
    with pytest.raises(FitScoreError, match=r"^fitscore_meta\.json"):
        read_openpose(folder)


def test_cli_deeply_nested_keypoint_json_is_one_error_line(tmp_path, capsys):
    folder = _folder(tmp_path / "deep", n_frames=2)
    (folder / _name(0)).write_bytes(b"[" * 100_000)
    assert "clip_000000000000_keypoints.json" in _cli(capsys, "info", str(folder))


# ------------------------------------------------ 11: an interrupted extract

def _clip(n_frames: int, x: float) -> PoseSequence:
    kps = np.zeros((n_frames, 25, 3), np.float32)
    kps[:, :, 0], kps[:, :, 1], kps[:, :, 2] = x, 200.0, 0.9
    return PoseSequence(kps, fps=30.0, size=(640, 480), source="clip.mp4")


def _interrupt_after(monkeypatch, n_writes: int) -> None:
    """Ctrl-C while the export writes: the n_writes + 1-th file write raises KeyboardInterrupt."""
    real = Path.write_bytes
    count = [0]

    def write_bytes(self, data):
        if self.name.endswith(openpose_json.KEYPOINT_SUFFIX) or self.name == "fitscore_meta.json":
            count[0] += 1
            if count[0] > n_writes:
                raise KeyboardInterrupt
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)


def test_an_interrupted_export_leaves_nothing_that_passes_for_a_clip(tmp_path, monkeypatch):
    target = tmp_path / "out" / "OP"
    _interrupt_after(monkeypatch, 4)
    with pytest.raises(KeyboardInterrupt):
        write_openpose(_clip(20, 100.0), target, name="clip")
    monkeypatch.undo()
    with pytest.raises(FitScoreError):
        read_openpose(target)
    assert list((tmp_path / "out").iterdir()) == []                # no temporary folder left
    written = write_openpose(_clip(20, 100.0), target, name="clip")
    assert written[-1].name == "fitscore_meta.json" and read_openpose(target).n_frames == 20


def test_an_interrupted_re_export_keeps_the_previous_complete_one(tmp_path, monkeypatch):
    target = tmp_path / "OP"
    write_openpose(_clip(6, 100.0), target, name="clip")
    _interrupt_after(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        write_openpose(_clip(6, 300.0), target, name="clip")
    monkeypatch.undo()
    frames = read_openpose(target)
    assert frames.n_frames == 6 and all(p[0, 0, 0] == 100.0 for p in frames.people)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["OP"]


def test_a_folder_missing_frames_its_sidecar_counts_is_refused(tmp_path):
    target = tmp_path / "OP"
    write_openpose(_clip(10, 100.0), target, name="clip")
    for t in range(4, 10):
        (target / _name(t)).unlink()
    with pytest.raises(FitScoreError) as err:
        read_openpose(target)
    assert str(err.value) == ("OP is incomplete: its fitscore_meta.json says 10 frames but 4 "
                              "keypoint files are there (an interrupted export?); extract it "
                              "again.")


# ------------------------------------------------ 16: absurd coordinates, a truncated data set

def test_absurd_coordinates_are_refused_naming_the_input_without_warnings(tmp_path):
    huge = [1e308 if i % 3 < 2 else 0.9 for i in range(75)]
    folder = _folder(tmp_path / "huge", n_frames=3, frame=_frame(huge),
                     meta={"fps": 30, "source": "squat_good.mp4"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FitScoreError) as err:
            load_sequence(folder)
    message = str(err.value)
    assert "huge" in message and "squat_good.mp4" not in message
    assert "far outside any frame" in message


def test_no_person_message_names_the_input_not_the_sidecar_source(tmp_path):
    folder = _folder(tmp_path / "empty_clip", n_frames=3, frame=_frame(),
                     meta={"fps": 30, "source": "squat_good.mp4"})
    with pytest.raises(FitScoreError, match=r"^No person was found in any frame of "
                                            r"empty_clip\.$"):
        load_sequence(folder)


def test_truncated_data_set_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "synth.npz"
    np.savez_compressed(path, format_version=np.array(1),
                        keypoints=np.random.default_rng(0).random((200, 25, 3)))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(FitScoreError, match=r"synth\.npz"):
        load_dataset(path)


# ----------------------------------------------- weak answers: counted before anything is read

def test_a_zip_with_too_many_entries_is_refused_from_its_end_record(tmp_path, monkeypatch):
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as z:
        for t in range(30):
            z.writestr(_name(t), b"{}")
    assert openpose_json.zip_directory_size(path)[0] == 30

    def never(*args, **kwargs):
        raise AssertionError("zipfile parsed the central directory")
    monkeypatch.setattr(openpose_json.zipfile, "ZipFile", never)
    with pytest.raises(FitScoreError, match=r"^many\.zip has 30 entries, more than the 20 "):
        read_openpose(path, limits=replace(LIMITS, max_zip_entries=20))


def test_a_zip64_end_record_declaring_a_million_entries_is_refused_unread(tmp_path, monkeypatch):
    """The end record alone (no entries at all): zip64 record, locator, classic record with
    0xFFFF, as a zip of more than 65,535 entries ends."""
    record = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 1_000_000, 1_000_000,
                         60_000_000, 0)
    locator = struct.pack("<IIQI", 0x07064B50, 0, 0, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    path = tmp_path / "million.zip"
    path.write_bytes(record + locator + end)
    assert openpose_json.zip_directory_size(path) == (1_000_000, 60_000_000)
    monkeypatch.setattr(openpose_json.zipfile, "ZipFile", None)
    with pytest.raises(FitScoreError, match=r"^million\.zip has 1,000,000 entries"):
        read_openpose_zip_bytes(path.read_bytes(), "million.zip")


def test_a_zip_whose_entry_list_is_too_big_is_refused_though_its_count_is_small(tmp_path):
    path = tmp_path / "long_names.zip"
    with zipfile.ZipFile(path, "w") as z:
        for t in range(5):
            z.writestr("x" * 2000 + _name(t), b"{}")
    with pytest.raises(FitScoreError, match=r"has a 0\.01 MB list of entries, more than 5 entries could "):
        read_openpose(path, limits=replace(LIMITS, max_zip_entries=5))


def test_a_frame_size_beyond_the_limit_is_refused_from_the_header_before_decoding(
        tmp_path, monkeypatch):
    from fitscore_core.pose import video
    path = _lying_avi(tmp_path / "wide.avi")
    opened = video.open_capture

    class NoDecoding:
        def __init__(self, cap):
            self.cap = cap

        def __getattr__(self, name):
            if name in ("read", "grab", "retrieve"):
                raise AssertionError("a frame was decoded")
            return getattr(self.cap, name)

    monkeypatch.setattr(video, "open_capture", lambda p: NoDecoding(opened(p)))
    with pytest.raises(FitScoreError, match=r"^wide\.avi is 64×48; the limit is 40×30 "):
        video.probe_video(path, limits=replace(LIMITS, max_resolution=(40, 30)))


@pytest.mark.parametrize("name, fmt", [("voice.m4a", "mp4"), ("voice.mp4", "mp4")])
def test_an_audio_only_file_is_said_to_have_no_video(tmp_path, capsys, name, fmt):
    import av
    path = tmp_path / name
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream("aac", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 8000), np.float32), format="flt",
                                           layout="mono")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    err = _cli(capsys, "info", str(path))
    assert err == f"error: {name} holds sound but no video (an audio file?). Choose the " \
                  "video of the exercise.\n"


def test_a_client_gone_for_the_second_half_gets_a_low_confidence_answer_that_says_so():
    from fitscore_core.analysis import analyze_sequence, load_scorers
    from fitscore_core.compare.reference import builtin_sequence
    whole = builtin_sequence("squat", yaw=45.0)
    gone = np.zeros_like(whole.keypoints)
    clip = PoseSequence(np.concatenate([whole.keypoints, gone, gone]), fps=whole.fps,
                        size=whole.size, source="walked_out.mp4")
    scorers = load_scorers()
    for name, p in analyze_sequence(clip, scorers).predictions.items():
        assert p.low_confidence, name
        assert any(r.startswith("the person is in view in only 3") for r in p.reasons), p.reasons
    for name, p in analyze_sequence(whole, scorers).predictions.items():
        assert not any("in view in only" in r for r in p.reasons), (name, p.reasons)


def test_a_header_that_lies_about_the_frame_count_is_caught_by_counting_packets(tmp_path):
    from fitscore_core.pose.video import count_packets, probe_video
    path = _lying_avi(tmp_path / "lying.avi")                     # 40 frames, says 5
    assert count_packets(path, stop_after=1000) == 40
    assert count_packets(path, stop_after=10) == 11               # stops early
    with pytest.raises(FitScoreError, match=r"^lying\.avi holds more than 1 s of video "
                                            r"although its header says 0\.5 s"):
        probe_video(path, limits=replace(LIMITS, max_duration_s=1.0))
    assert probe_video(path).frame_count == 40                   # counted, not the header's 5
