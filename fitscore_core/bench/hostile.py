"""Peak memory and CPU of every hostile input of the hostile-input issue, each run through the
CLI in its own process (what a user would run), so one case's memory never hides another's.

    python -m fitscore_core bench hostile [--dir FOLDER] [--json OUT.json]

The inputs are built full size in FOLDER (default: a temporary folder): a 1M-entry zip, an
8000×8000 video, an AVI of 36,000 frames whose header says 300, a 300-person keypoint zip…
Each row: the case, the exit status (2 = refused with a message; 0 = answered), peak RSS
(MB), CPU seconds (user + system) and the first line the CLI printed. The target is under
1 GB and 10 s of CPU per case; `baseline` (a missing file) is what the CLI costs by itself.
"""

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from fitscore_core.compare.reference import builtin_sequence
from fitscore_core.pose.openpose_json import META_NAME, write_openpose
from fitscore_core.pose.sequence import PoseSequence

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_videos" / "squat_good.mp4"
TARGET_MB, TARGET_CPU_S = 1000.0, 10.0


@dataclass(frozen=True)
class CaseResult:
    case: str
    exit_status: int
    peak_mb: float
    cpu_s: float
    said: str


def _keypoints(folder: Path, meta: dict | None = None, n_copies: int = 1) -> Path:
    """An OpenPose JSON folder of the built-in squat (n_copies back to back)."""
    seq = builtin_sequence("squat", yaw=45.0)
    if n_copies > 1:
        seq = PoseSequence(np.concatenate([seq.keypoints] * n_copies), seq.fps, seq.size,
                           seq.source)
    write_openpose(seq, folder)
    if meta is not None:
        sidecar = folder / META_NAME
        data = json.loads(sidecar.read_text()) if sidecar.is_file() else {}
        sidecar.write_text(json.dumps(data | meta))
    return folder


def _zip_folder(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(folder.iterdir()):
            z.write(p, p.name)
    return out


def _crowd_zip(out: Path, people: int = 300, frames: int = 284) -> Path:
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for t in range(frames):
            xy = rng.uniform(0, 600, (people, 25, 2))
            body = [{"pose_keypoints_2d": np.concatenate(
                [xy[k], np.full((25, 1), 0.9)], 1).round(1).ravel().tolist()}
                for k in range(people)]
            z.writestr(f"crowd_{t:012d}_keypoints.json", json.dumps({"people": body}))
    return out


def _million_entry_zip(out: Path, n: int = 1_000_000) -> Path:
    """A real zip of n empty stored entries, written directly (zipfile takes minutes)."""
    local, central, offset = bytearray(), bytearray(), 0
    for i in range(n):
        name = f"m_{i:012d}_keypoints.json".encode()
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0)
        local += header + name
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 20, 0, 0, 0, 0, 0, 0, 0,
                               len(name), 0, 0, 0, 0, 0, offset) + name
        offset += len(header) + len(name)
    zip64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(central),
                        offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, offset + len(central), 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    out.write_bytes(bytes(local + central) + zip64 + locator + end)
    return out


def _zip_bomb(out: Path, inflates_to: int = 50_000_000) -> Path:
    """One entry of zeros whose headers both claim 4 GiB - 2 (near the most a classic header
    holds); the data really inflates to `inflates_to` bytes."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bomb_000000000000_keypoints.json", b"0" * inflates_to)
    return _patch(out, {b"PK\x03\x04": 22, b"PK\x01\x02": 24}, 0xFFFFFFFE)


def _patch(path: Path, fields: dict[bytes, int], value: int) -> Path:
    """Overwrite the 4-byte little-endian field `offset` bytes after each first `marker`."""
    data = bytearray(path.read_bytes())
    for marker, offset in fields.items():
        at = data.find(marker) + offset
        data[at:at + 4] = struct.pack("<I", value)
    path.write_bytes(bytes(data))
    return path


def _video(out: Path, size: tuple[int, int], frames: int, fourcc: str = "MJPG",
           fps: float = 30.0) -> Path:
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    frame = np.zeros((size[1], size[0], 3), np.uint8)
    frame[::40] = 200
    for i in range(frames):
        writer.write(np.roll(frame, i, axis=0))
    writer.release()
    return out


def _lying_avi(out: Path, frames: int = 36_000) -> Path:
    """`frames` frames (36,000: 20 min at 30 fps) whose AVI headers say 300."""
    _video(out, (160, 120), frames)
    return _patch(out, {b"avih": 24, b"strh": 40}, 300)     # dwTotalFrames, dwLength


def _audio_only(out: Path) -> Path:
    import av
    with av.open(str(out), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=48_000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 48_000 * 10), np.float32),
                                           format="flt", layout="mono")
        frame.sample_rate = 48_000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return out


def _nested(folder: Path, body: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bad_000000000000_keypoints.json").write_bytes(body)
    return folder


def _crafted_checkpoint(out: Path, **changes) -> Path:
    import torch
    payload = torch.load(ROOT / "models" / "cnn1d.pt", weights_only=True)
    payload.update(changes)
    torch.save(payload, out)
    return out


def cases(folder: Path) -> list[tuple[str, Callable[[], list[str]]]]:
    """(name, build) pairs; build() writes the input and returns the CLI's argv."""
    def kp(name, **kwargs):
        return _keypoints(folder / name, **kwargs)

    def digits(n):
        return (b'{"people": [{"pose_keypoints_2d": [' + b"9" * n + b", "
                + b", ".join([b"1.0"] * 74) + b"]}]}")

    def non_utf8():
        target = Path(os.fsdecode(os.fsencode(str(folder / "b")) + b"/client\xe9.mp4"))
        target.parent.mkdir(exist_ok=True)
        shutil.copy(SAMPLE, target)
        return ["info", str(target)]

    def labels(text: bytes):
        path = folder / f"labels_{len(text)}.csv"
        path.write_bytes(text)
        return ["train", "--model", "cnn1d", "--data", str(path), "--out",
                str(folder / "m" / "cnn1d.pt")]

    def truncated_npz():
        path = folder / "data.npz"
        np.savez(path, x=np.zeros((200, 30, 150), np.float32))
        path.write_bytes(path.read_bytes()[:5000])
        return ["evaluate", "--model", str(ROOT / "models" / "cnn1d.pt"), "--data", str(path)]

    def huge_coordinates():
        out = kp("op_1e308")
        for p in out.glob("*_keypoints.json"):
            data = json.loads(p.read_text())
            for person in data["people"]:
                person["pose_keypoints_2d"] = [1e308 if i % 3 != 2 else 0.9 for i in
                                               range(len(person["pose_keypoints_2d"]))]
            p.write_text(json.dumps(data))
        return ["analyze", str(out)]

    def person_gone():
        seq = builtin_sequence("squat", yaw=45.0)
        gone = np.zeros_like(seq.keypoints)
        write_openpose(PoseSequence(np.concatenate([seq.keypoints, gone, gone]), seq.fps,
                                    seq.size, "gone"), folder / "op_gone")
        return ["analyze", str(folder / "op_gone")]

    return [
        ("baseline: a missing file", lambda: ["analyze", str(folder / "missing.mp4")]),
        ("1 keypoints --fps 0.01", lambda: ["analyze", str(kp("op_fps")), "--fps", "0.01"]),
        ("1 keypoints --fps 1e-9", lambda: ["analyze", str(kp("op_fps2")), "--fps", "1e-9"]),
        ("1 zip sidecar fps 0.01", lambda: ["analyze", str(_zip_folder(
            kp("op_meta_fps", meta={"fps": 0.01}), folder / "meta_fps.zip"))]),
        ("2 non-UTF-8 file name", non_utf8),
        ("4 sidecar 30000×30000", lambda: ["analyze", str(kp(
            "op_size", meta={"width": 30000, "height": 30000}))]),
        ("5 300 people × 284 frames", lambda: ["analyze", str(_crowd_zip(folder / "crowd.zip"))]),
        ("6 AVI of 36,000 frames saying 300", lambda: ["analyze", str(_lying_avi(
            folder / "lying.avi"))]),
        ("9 JSON nested 100,000 deep", lambda: ["analyze", str(_nested(
            folder / "op_deep", b'{"people": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"))]),
        ("9 a 5000-digit integer", lambda: ["analyze", str(_nested(folder / "op_5000",
                                                                   digits(5000)))]),
        ("10 LABELS.csv in Latin-1", lambda: labels("path,exercise\nclient\xe9.mp4,squat\n"
                                                    .encode("latin-1"))),
        ("10 a 200,000-character field", lambda: labels(b"path,exercise\n" + b"x" * 200_000
                                                        + b",squat\n")),
        ("12 0-byte checkpoint", lambda: ["evaluate", "--model", str(_empty(folder / "e.pt")),
                                          "--data", "synth", "--n", "8"]),
        ("12 checkpoint width 200,000", lambda: ["evaluate", "--model", str(_crafted_checkpoint(
            folder / "wide.pt", config={"width": 200_000})), "--data", "synth", "--n", "8"]),
        ("16 truncated data set .npz", truncated_npz),
        ("16 every coordinate 1e308", huge_coordinates),
        ("zip of 1,000,000 entries", lambda: ["analyze", str(_million_entry_zip(
            folder / "million.zip"))]),
        ("zip claiming 4 GiB of keypoints", lambda: ["analyze", str(_zip_bomb(
            folder / "bomb.zip"))]),
        ("video 8000×8000", lambda: ["analyze", str(_video(folder / "big.avi", (8000, 8000),
                                                           3))]),
        ("audio-only .m4a", lambda: ["analyze", str(_audio_only(folder / "voice.m4a"))]),
        ("person gone for the second half", person_gone),
    ]


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def run_case(argv: list[str]) -> tuple[int, float, float, str]:
    """(exit status, peak RSS MB, CPU s, first line printed) of the CLI in a fresh process."""
    env = os.environ | {"FITSCORE_POSE_CACHE": tempfile.mkdtemp(prefix="fitscore-bench-")}
    proc = subprocess.Popen([sys.executable, "-m", "fitscore_core", *argv], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    shutil.rmtree(env["FITSCORE_POSE_CACHE"], ignore_errors=True)
    said = (err or out).decode("utf-8", "replace").strip().splitlines()
    return (proc.returncode, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime,
            said[0][:110] if said else "")


def build_case(name: str, folder: Path) -> list[str]:
    """Build one case's input in `folder`; its CLI argv."""
    return dict(cases(folder))[name]()


def _built_apart(name: str, folder: Path) -> list[str]:
    """build_case in a process of its own: Linux hands a child the peak memory of the process
    that started it (ru_maxrss survives fork and exec), so this one must stay small."""
    code = ("import json, sys; from pathlib import Path; from fitscore_core.bench.hostile "
            "import build_case; print(json.dumps(build_case(sys.argv[1], Path(sys.argv[2]))))")
    done = subprocess.run([sys.executable, "-c", code, name, str(folder)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_hostile(folder: Path, progress: Callable[[int, int], None] = lambda done, total: None
                ) -> list[CaseResult]:
    folder.mkdir(parents=True, exist_ok=True)
    names, results = [name for name, _ in cases(folder)], []
    for name in names:
        results.append(CaseResult(name, *run_case(_built_apart(name, folder))))
        progress(len(results), len(names))
    return results


def format_hostile(results: list[CaseResult]) -> str:
    lines = ["| case | exit | peak RSS (MB) | CPU (s) | what the CLI said |",
             "| --- | --- | --- | --- | --- |"]
    for r in results:
        over = " ⚠" if r.peak_mb > TARGET_MB or r.cpu_s > TARGET_CPU_S else ""
        said = r.said.replace("|", "\\|")
        lines.append(f"| {r.case} | {r.exit_status} | {r.peak_mb:.0f} | {r.cpu_s:.1f}{over} "
                     f"| {said} |")
    worst_mb = max(r.peak_mb for r in results)
    worst_cpu = max(r.cpu_s for r in results)
    lines.append(f"\nworst: {worst_mb:.0f} MB, {worst_cpu:.1f} s CPU (targets "
                 f"{TARGET_MB:.0f} MB, {TARGET_CPU_S:.0f} s)")
    return "\n".join(lines)


def to_json(results: list[CaseResult]) -> list[dict]:
    return [asdict(r) for r in results]
