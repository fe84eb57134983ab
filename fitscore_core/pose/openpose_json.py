"""OpenPose `--write_json` output in and out: a folder or a zip of `*_keypoints.json` files.

    >>> import tempfile, numpy as np
    >>> from fitscore_core.pose.sequence import PoseSequence
    >>> from fitscore_core.pose.openpose_json import read_openpose, write_openpose_zip
    >>> kps = np.zeros((3, 25, 3), np.float32); kps[:, :, :2] = 100.0; kps[:, :, 2] = 0.9
    >>> seq = PoseSequence(kps, fps=25.0, size=(640, 480), source="squat.mp4")
    >>> zip_path = write_openpose_zip(seq, tempfile.mkdtemp() + "/squat.zip", name="squat")
    >>> frames = read_openpose(zip_path)
    >>> frames.n_frames, frames.fps, frames.size, frames.people[0].shape, frames.fps_source
    (3, 25.0, (640, 480), (1, 25, 3), 'sidecar')

OpenPose writes one `<name>_<frame:012d>_keypoints.json` per frame holding every person found
(`pose_keypoints_2d` = x0, y0, c0, x1, ...; confidence 0 means "not found"). It records neither
the frame rate nor the frame size, so FitScore adds a `fitscore_meta.json` sidecar when it
exports, and reads one back if present; without it the fps defaults to DEFAULT_FPS and the
caller should tell the user (`fps_source == "default"`). The sidecar also records the frame
count, so a folder that lost frames (an interrupted copy) is refused rather than read short.

The clip is checked against the limits before any frame is parsed: a frame rate in
LIMITS.keypoint_fps, at most LIMITS.max_duration_s long (as a video), a sidecar frame size
within LIMITS.max_resolution, coordinates within ±LIMITS.max_coordinate_px. A tiny frame rate
would otherwise make a 10 s clip hours long once resampled, and gigabytes with it.

Zips come from users, so they are read in memory with limits (file size, entry count, declared
and actually decompressed bytes) and refused whole if any entry name tries to leave the folder.
"""

from __future__ import annotations

import io
import json
import math
import numbers
import os
import posixpath
import re
import secrets
import struct
import shutil
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from fitscore_core.config import LIMITS, Limits
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.sequence import MultiPoseFrames, PoseSequence
from fitscore_core.pose.skeletons import coco18_to_body25

DEFAULT_FPS = 30.0            # OpenPose JSON carries no frame rate; most phone clips are 30 fps
BACKEND = "openpose-json"
META_NAME = "fitscore_meta.json"
KEYPOINT_SUFFIX = "_keypoints.json"
OPENPOSE_VERSION = 1.3
XY_DECIMALS = 3               # a thousandth of a pixel: far below any detector's precision
CONF_DECIMALS = 4             # finer than xy so a small, real confidence never rounds to 0

_FRAME_NUMBER = re.compile(r"_(\d{12})_keypoints\.json$")
_LAYOUTS = {25: "BODY_25", 18: "COCO_18"}
_EMPTY_KEYS = ("face_keypoints_2d", "hand_left_keypoints_2d", "hand_right_keypoints_2d",
               "pose_keypoints_3d", "face_keypoints_3d", "hand_left_keypoints_3d",
               "hand_right_keypoints_3d")
MB = 1_000_000                      # config.Limits: sizes in MB of 10^6 bytes

Progress = Callable[[int, int], None]
_NUMBER_TYPES = {int, float}      # JSON numbers; bool (true/false) and None (null) are not


@dataclass(frozen=True)
class OpenPoseFrames(MultiPoseFrames):
    """MultiPoseFrames plus what only an import knows: where the fps came from, which layout.

    fps_source: "argument", "sidecar" or "default" (DEFAULT_FPS was assumed: tell the user).
    layout: "BODY_25" or "COCO_18" as found in the files (people are always BODY_25 here),
    "" when no frame holds anybody.
    """

    fps_source: str = "default"
    layout: str = ""
    label: str = ""   # the folder or zip as the user named it (source may be the sidecar's)

    @property
    def fps_is_default(self) -> bool:
        return self.fps_source == "default"

    @property
    def input_name(self) -> str:
        return self.label or super().input_name


# ----------------------------------------------------------------------------------- reading

@dataclass(frozen=True)
class _Meta:
    fps: float | None
    size: tuple[int, int] | None
    source: str
    n_frames: int | None = None   # what the export wrote; None in sidecars before it was kept


def read_openpose(path: str | Path, fps: float | None = None,
                  limits: Limits = LIMITS) -> OpenPoseFrames:
    """Every person of every frame from an OpenPose JSON folder or zip, as BODY_25 pixels.

    fps: overrides the sidecar; without either, DEFAULT_FPS is assumed (fps_source="default").
    Raises FitScoreError, naming the file, for anything a user could get wrong.
    """
    path = Path(path)
    label = path.name or str(path.resolve())
    if not path.exists():
        raise FitScoreError(f"{path} does not exist.")
    try:
        if path.is_dir():
            files = _folder_files(path, label, limits)
        elif path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
            _check_size(path.stat().st_size, label, limits)
            files = _zip_files(path, label, limits)
        else:
            raise FitScoreError(f"{label} is neither a folder nor a .zip of OpenPose keypoint "
                                f"files (*{KEYPOINT_SUFFIX}).")
    except OSError as err:  # unreadable file or folder (permissions, vanished mid-read)
        raise FitScoreError(f"{label} cannot be read ({err.strerror or err}).") from None
    return _frames_from_files(files, label, fps, limits)


def read_openpose_zip_bytes(data: bytes, name: str = "upload.zip", fps: float | None = None,
                            limits: Limits = LIMITS) -> OpenPoseFrames:
    """Same as read_openpose for a zip already in memory (an upload), nothing written to disk."""
    _check_size(len(data), name, limits)
    return _frames_from_files(_zip_files(io.BytesIO(data), name, limits), name, fps, limits)


def _check_size(n_bytes: int, label: str, limits: Limits) -> None:
    if n_bytes > limits.max_file_mb * MB:
        raise FitScoreError(f"{label} is {_megabytes(n_bytes)} MB, more than the "
                            f"{limits.max_file_mb:g} MB limit.")


def _megabytes(n_bytes: int) -> str:
    """'523.4', '5.0', '0.021': small sizes keep two significant digits instead of '0.0'."""
    mb = n_bytes / MB
    return f"{mb:.1f}" if mb >= 0.1 else f"{mb:.2g}"


def _ignored(name: str) -> bool:
    """macOS zips carry `__MACOSX/._x_keypoints.json` resource forks: binary, never keypoints."""
    parts = PurePosixPath(name).parts
    return "__MACOSX" in parts or any(p.startswith(".") for p in parts)


def _pick_folder(names: Iterable[str], label: str) -> tuple[str, list[str]]:
    """The one folder (top level or a sub-folder) holding the keypoint files, and those files."""
    keypoints = [n for n in names if n.endswith(KEYPOINT_SUFFIX) and not _ignored(n)]
    if not keypoints:
        raise FitScoreError(f"{label} contains no OpenPose keypoint files (*{KEYPOINT_SUFFIX}).")
    folders = sorted({posixpath.dirname(n) for n in keypoints})
    if len(folders) > 1:
        shown = ", ".join(f"'{f or '.'}'" for f in folders[:3])
        raise FitScoreError(f"{label} has keypoint files in several folders ({shown}); "
                            "put one clip's files in one folder.")
    return folders[0], keypoints


def _folder_files(folder: Path, label: str, limits: Limits) -> dict[str, bytes]:
    """Keypoint files (+ sidecar) of a folder or of its single sub-folder: name -> bytes."""
    names = [p.name for p in folder.iterdir() if p.is_file()]
    if not any(n.endswith(KEYPOINT_SUFFIX) and not _ignored(n) for n in names):
        names = [f"{d.name}/{p.name}" for d in folder.iterdir() if d.is_dir() and
                 not _ignored(d.name) for p in d.iterdir() if p.is_file()]
    root, keypoints = _pick_folder(names, label)
    if len(keypoints) > limits.max_zip_entries:
        raise FitScoreError(f"{label} holds {len(keypoints)} keypoint files, more than "
                            f"the {limits.max_zip_entries} allowed; split the clip.")
    meta = posixpath.join(root, META_NAME)
    wanted = keypoints + ([meta] if (folder / meta).is_file() else [])
    budget = limits.max_zip_uncompressed_mb * MB
    files: dict[str, bytes] = {}
    for name in wanted:
        files[name] = (folder / name).read_bytes()
        budget -= len(files[name])
        if budget < 0:
            raise FitScoreError(f"{label} holds more than "
                                f"{limits.max_zip_uncompressed_mb:g} MB of keypoint files; "
                                "split the clip.")
    return files


def _unsafe_name(name: str) -> bool:
    """Absolute, drive-lettered or `..` names would land outside the folder if extracted."""
    posix = name.replace("\\", "/")
    return (posix.startswith("/") or re.match(r"^[A-Za-z]:", posix) is not None
            or ".." in posix.split("/"))


MAX_CENTRAL_BYTES_PER_ENTRY = 512      # a keypoint entry's central record is ~100 bytes


def zip_directory_size(source: Path | io.BytesIO) -> tuple[int, int] | None:
    """(entries, central directory bytes) as the zip's end record declares them, read from
    its last 64 KiB only (zip64 records included); None when there is no end record."""
    handle = open(source, "rb") if isinstance(source, Path) else source
    try:
        size = handle.seek(0, io.SEEK_END)
        start = max(0, size - (65_535 + 22))
        handle.seek(start)
        tail = handle.read()
        end = tail.rfind(b"PK\x05\x06")
        if end < 0 or len(tail) - end < 22:
            return None
        entries, central = struct.unpack("<HI", tail[end + 10:end + 16])
        locator = end - 20
        if locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
            (offset,) = struct.unpack("<Q", tail[locator + 8:locator + 16])
            handle.seek(offset)
            record = handle.read(56)
            if record[:4] == b"PK\x06\x06" and len(record) == 56:
                entries, central = struct.unpack("<QQ", record[32:48])
        return entries, central
    finally:
        if isinstance(source, Path):
            handle.close()
        else:
            source.seek(0)


def _zip_files(source: Path | io.BytesIO, label: str, limits: Limits) -> dict[str, bytes]:
    """Keypoint entries (+ sidecar) of a zip, read in memory within the limits: name -> bytes.
    The entry count and the central directory's size are checked from the end record first,
    so a zip of a million entries is refused before zipfile builds a million records."""
    declared = zip_directory_size(source)
    if declared is not None:
        entries, central = declared
        if entries > limits.max_zip_entries:
            raise FitScoreError(f"{label} has {entries:,} entries, more than the "
                                f"{limits.max_zip_entries} allowed; split the clip.")
        if central > limits.max_zip_entries * MAX_CENTRAL_BYTES_PER_ENTRY:
            raise FitScoreError(f"{label} has a {_megabytes(central)} MB list of entries, more "
                                f"than {limits.max_zip_entries} entries could need; split the "
                                "clip.")
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as err:
        raise FitScoreError(f"{label} is not a valid zip file ({err}).") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_zip_entries:
            raise FitScoreError(f"{label} has {len(infos)} entries, more than the "
                                f"{limits.max_zip_entries} allowed; split the clip.")
        for info in infos:
            if _unsafe_name(info.orig_filename) or _unsafe_name(info.filename):
                raise FitScoreError(f"{label} was refused: entry '{info.orig_filename}' points "
                                    "outside the zip's folder.")
        limit = limits.max_zip_uncompressed_mb * MB
        declared = sum(info.file_size for info in infos)
        if declared > limit:
            raise FitScoreError(f"{label} expands to {_megabytes(declared)} MB, more than the "
                                f"{limits.max_zip_uncompressed_mb:g} MB limit.")
        by_name = {info.filename: info for info in infos if not info.is_dir()}
        root, keypoints = _pick_folder(by_name, label)
        meta = posixpath.join(root, META_NAME)
        wanted = keypoints + ([meta] if meta in by_name else [])
        budget = int(limit)
        files: dict[str, bytes] = {}
        for name in wanted:
            files[name] = _read_entry(archive, by_name[name], budget, label)
            budget -= len(files[name])
        return files


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int,
                label: str) -> bytes:
    """Decompress one entry, counting real bytes: a header that lies about sizes gains nothing."""
    try:
        with archive.open(info) as stream:
            data = stream.read(budget + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            RuntimeError) as err:  # RuntimeError: encrypted entry
        raise FitScoreError(f"{label}: entry '{info.filename}' cannot be read ({err}).") from None
    if len(data) > budget:
        raise FitScoreError(f"{label} expands to more than the {_megabytes(budget)} MB left "
                            "under its limit; refused.")
    return data


def _frame_order(names: list[str]) -> list[str]:
    """By OpenPose's 12-digit frame number; natural name order if any file lacks one."""
    numbers = {n: _FRAME_NUMBER.search(posixpath.basename(n)) for n in sorted(names)}
    if all(numbers.values()):
        seen: dict[int, str] = {}
        for name, match in numbers.items():
            t = int(match.group(1))
            if t in seen:
                raise FitScoreError(f"Two files claim frame {t}: {posixpath.basename(seen[t])} "
                                    f"and {posixpath.basename(name)}; one clip per folder.")
            seen[t] = name
        return [seen[t] for t in sorted(seen)]
    return sorted(names, key=_natural_key)


def _natural_key(name: str) -> list[int | str]:
    """'f2' before 'f10': digit runs compare as numbers (split keeps str/int positions aligned)."""
    return [int(part) if i % 2 else part.lower()
            for i, part in enumerate(re.split(r"(\d+)", posixpath.basename(name)))]


def _parse_int(text: str) -> int | float:
    """JSON integers of more than 18 digits become floats (inf beyond 1e308): Python's int()
    refuses 4300+ digits and float(int) overflows past 308, both as tracebacks."""
    return int(text) if len(text) <= 18 else float(text)


def _load_json(name: str, data: bytes) -> object:
    """Any JSON a user could hand over, or a FitScoreError naming the file: never a traceback."""
    shown = posixpath.basename(name)
    try:
        return json.loads(data, parse_int=_parse_int)
    except json.JSONDecodeError as err:
        raise FitScoreError(f"{shown} is not valid JSON (line {err.lineno}, column "
                            f"{err.colno}: {err.msg}).") from None
    except UnicodeDecodeError:
        raise FitScoreError(f"{shown} is not text (not UTF-8 JSON).") from None
    except RecursionError:
        raise FitScoreError(f"{shown} is nested too deeply to be OpenPose JSON.") from None
    except (ValueError, OverflowError) as err:
        raise FitScoreError(f"{shown} is not valid JSON ({err}).") from None


def _parse_frame(name: str, data: bytes, label: str, limits: Limits
                 ) -> tuple[list[np.ndarray], str | None]:
    """One frame file -> (its people as (J, 3) arrays, layout name or None if nobody)."""
    shown = posixpath.basename(name)
    doc = _load_json(name, data)
    if not isinstance(doc, dict) or "people" not in doc:
        raise FitScoreError(f'{shown} has no "people" list; it is not an OpenPose keypoint file.')
    if not isinstance(doc["people"], list):
        kind = type(doc["people"]).__name__
        raise FitScoreError(f'{shown}: "people" must be a list, got {kind}.')
    rows, layouts = [], set()
    for i, person in enumerate(doc["people"], start=1):   # cheap checks per person...
        values = person.get("pose_keypoints_2d") if isinstance(person, dict) else None
        if not isinstance(values, list):
            raise FitScoreError(f'{shown}: person {i} has no "pose_keypoints_2d" list.')
        if not set(map(type, values)) <= _NUMBER_TYPES:
            raise FitScoreError(f'{shown}: person {i} "pose_keypoints_2d" holds something other '
                                "than numbers.")
        if len(values) % 3:
            raise FitScoreError(f"{shown}: person {i} has {len(values)} numbers in "
                                '"pose_keypoints_2d", not a multiple of 3 (x, y, confidence '
                                "per keypoint).")
        n = len(values) // 3
        if n not in _LAYOUTS:
            raise FitScoreError(f"{shown} has {n} keypoints ({len(values)} numbers); expected "
                                "BODY_25 (75 numbers) or COCO-18 (54).")
        rows.append(values)
        layouts.add(_LAYOUTS[n])
    if len(layouts) > 1:
        raise FitScoreError(f"{shown} mixes BODY_25 and COCO-18 people; export the clip with "
                            "one OpenPose model.")
    if not rows:
        return [], None
    kps = np.asarray(rows, dtype=np.float64).reshape(len(rows), -1, 3)  # ...the rest at once
    finite = np.isfinite(kps).all(axis=(1, 2))
    if not finite.all():
        raise FitScoreError(f"{shown}: person {int(np.argmin(finite)) + 1} has a value that is "
                            "not a finite number.")
    kps[kps[..., 2] <= 0] = 0.0  # "not found": no stray coordinates for later stages to use
    far = (np.abs(kps) > limits.max_coordinate_px).any(axis=(1, 2))
    if far.any():
        i = int(np.argmax(far))
        _check_coordinates(kps[i], f"{shown} in {label}: person {i + 1}", limits)
    return list(kps.astype(np.float32)), layouts.pop()


def _check_coordinates(kps: np.ndarray, who: str, limits: Limits) -> None:
    """Refuse a found joint placed absurdly far away (1e308): garbage, not a position, and it
    would overflow float32 and every size computed from it."""
    limit = limits.max_coordinate_px
    bad = np.abs(kps) > limit
    if bad.any():
        value = kps[bad][0]
        raise FitScoreError(f"{who} has the value {value:g}, far outside any frame (keypoint "
                            f"pixels stay within ±{limit:g}); the file is not usable.")


def _positive_number(value: object) -> bool:
    """A real, finite, > 0 number; bools and strings are not ("30" in JSON is a typo to report)."""
    try:
        return (isinstance(value, numbers.Real) and not isinstance(value, bool)
                and math.isfinite(value) and value > 0)
    except OverflowError:   # an int beyond float's range
        return False


def _fps_range(limits: Limits) -> str:
    low, high = limits.keypoint_fps
    return f"{low:g}–{high:g} fps"


def _fps_in_range(fps: float, limits: Limits) -> bool:
    low, high = limits.keypoint_fps
    return low <= fps <= high


def _parse_meta(name: str, data: bytes, label: str, limits: Limits) -> _Meta:
    """The sidecar FitScore writes; a hand-edited one is checked as strictly as the frames."""
    doc = _load_json(name, data)
    if not isinstance(doc, dict):
        raise FitScoreError(f"{META_NAME} must be a JSON object.")
    fps = doc.get("fps")
    if fps is not None and not _positive_number(fps):
        raise FitScoreError(f'{META_NAME}: "fps" must be a positive number, got {fps!r}.')
    if fps is not None and not _fps_in_range(fps, limits):
        raise FitScoreError(f'{META_NAME}: "fps" is {fps:g}, outside the {_fps_range(limits)} '
                            "a clip can have; correct or delete the sidecar.")
    width, height = doc.get("width"), doc.get("height")
    size = None
    if width is not None or height is not None:
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                   for v in (width, height)):
            raise FitScoreError(f'{META_NAME}: "width" and "height" must be positive whole '
                                f"numbers, got {width!r} and {height!r}.")
        max_long, max_short = limits.max_resolution
        if max(width, height) > max_long or min(width, height) > max_short:
            raise FitScoreError(f"{label} was refused: its {META_NAME} gives a frame size of "
                                f"{width}×{height}, beyond the {max_long}×{max_short} limit; "
                                "correct or delete the sidecar.")
        size = (width, height)
    n_frames = doc.get("frames")
    if n_frames is not None and not (isinstance(n_frames, int) and not isinstance(n_frames, bool)
                                     and n_frames >= 0):
        raise FitScoreError(f'{META_NAME}: "frames" must be a whole number, got {n_frames!r}.')
    source = doc.get("source") or ""
    return _Meta(float(fps) if fps is not None else None, size, str(source), n_frames)


def _seconds(s: float) -> str:
    """185.0 -> "185", 120.033 -> "120.03" (as video.py words a duration)."""
    return f"{round(s, 2):g}"


def _frames_from_files(files: dict[str, bytes], label: str, fps: float | None,
                       limits: Limits = LIMITS) -> OpenPoseFrames:
    """Parsed, ordered, layout-checked frames; fps from argument > sidecar > DEFAULT_FPS.

    Everything the limits bound (frame rate, duration, completeness) is checked from the file
    count and the sidecar before a single frame is parsed.
    """
    if fps is not None and not _positive_number(fps):
        raise FitScoreError(f"The frame rate must be a positive number, got {fps!r}.")
    if fps is not None and not _fps_in_range(fps, limits):
        raise FitScoreError(f"The frame rate {fps:g} is outside the {_fps_range(limits)} "
                            "keypoint input may have; give the clip's real frame rate.")
    meta_name = next((n for n in files if posixpath.basename(n) == META_NAME), None)
    meta = (_parse_meta(meta_name, files[meta_name], label, limits) if meta_name
            else _Meta(None, None, ""))
    names = [n for n in files if n != meta_name]
    if meta.n_frames is not None and meta.n_frames != len(names):
        raise FitScoreError(f"{label} is incomplete: its {META_NAME} says {meta.n_frames} frames "
                            f"but {len(names)} keypoint files are there (an interrupted "
                            "export?); extract it again.")
    if fps is not None:
        chosen, fps_source = float(fps), "argument"
    elif meta.fps is not None:
        chosen, fps_source = meta.fps, "sidecar"
    else:
        chosen, fps_source = DEFAULT_FPS, "default"
    duration = len(names) / chosen
    if duration > limits.max_duration_s:
        raise FitScoreError(f"{label} is {_seconds(duration)} s long at {chosen:g} fps "
                            f"({len(names)} frames); the limit is "
                            f"{_seconds(limits.max_duration_s)} s — trim it, or check the "
                            "frame rate.")
    people: list[np.ndarray] = []
    layout, layout_file = "", ""
    for name in _frame_order(names):
        frame, frame_layout = _parse_frame(name, files[name], label, limits)
        if frame_layout and layout and frame_layout != layout:
            raise FitScoreError(
                f"The clip mixes keypoint layouts: {posixpath.basename(layout_file)} is "
                f"{layout} but {posixpath.basename(name)} is {frame_layout}; export the whole "
                "clip with one OpenPose model.")
        if frame_layout and not layout:
            layout, layout_file = frame_layout, name
        body25 = [coco18_to_body25(p) if len(p) == 18 else p for p in frame]
        people.append(np.stack(body25).astype(np.float32) if body25
                      else np.zeros((0, 25, 3), np.float32))
    return OpenPoseFrames(people=people, fps=chosen, size=meta.size,
                          source=meta.source or label, backend=BACKEND,
                          fps_source=fps_source, layout=layout, label=label)


# ----------------------------------------------------------------------------------- writing

def _round_keypoints(kps: np.ndarray) -> list[float]:
    """(25, 3) -> flat OpenPose list; unknown (conf <= 0 or not finite) -> 0, 0, 0 as OpenPose."""
    kps = np.asarray(kps, dtype=np.float64)
    missing = ~np.isfinite(kps).all(axis=1) | ~(kps[:, 2] > 0)
    xy = np.round(np.where(missing[:, None], 0.0, kps[:, :2]), XY_DECIMALS)
    conf = np.where(missing, 0.0, np.maximum(np.round(kps[:, 2], CONF_DECIMALS),
                                             10.0 ** -CONF_DECIMALS))
    return [float(v) for v in np.column_stack([xy, conf]).ravel()]


def _frame_doc(kps: np.ndarray) -> dict:
    """One frame in OpenPose's own shape; nobody found -> an empty "people" list."""
    if not (kps[:, 2] > 0).any():
        return {"version": OPENPOSE_VERSION, "people": []}
    person = {"person_id": [-1], "pose_keypoints_2d": _round_keypoints(kps)}
    person.update({key: [] for key in _EMPTY_KEYS})
    return {"version": OPENPOSE_VERSION, "people": [person]}


def _check_name(name: str) -> None:
    if not name or re.search(r'[\\/:*?"<>|\x00]', name) or name.startswith("."):
        raise FitScoreError(f"{name!r} cannot be used as a file name prefix; use letters, "
                            "digits, '-' or '_'.")


def frame_filename(name: str, t: int) -> str:
    """OpenPose's own naming: `<name>_<frame:012d>_keypoints.json`."""
    return f"{name}_{t:012d}{KEYPOINT_SUFFIX}"


def _openpose_files(seq: PoseSequence, name: str,
                    progress: Progress | None) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) for every frame, then the sidecar; progress(done, total) per frame."""
    _check_name(name)
    for t in range(seq.n_frames):
        doc = _frame_doc(seq.keypoints[t])
        yield frame_filename(name, t), json.dumps(doc, separators=(",", ":"),
                                                  allow_nan=False).encode()
        if progress:
            progress(t + 1, seq.n_frames)
    width, height = seq.size if seq.size else (None, None)
    meta = {"fps": float(seq.fps), "width": width, "height": height, "source": seq.source,
            "frames": seq.n_frames}
    yield META_NAME, json.dumps(meta, indent=1).encode()


def write_openpose(seq: PoseSequence, out_dir: str | Path, name: str = "fitscore",
                   progress: Progress | None = None) -> list[Path]:
    """One OpenPose JSON per frame plus the sidecar in out_dir; returns them (sidecar last).

    Refuses a folder already holding other clips' keypoint files: reading it back would
    silently mix the two clips. Everything is written into a temporary folder beside out_dir
    and moved into place only once complete, so an interrupted export (Ctrl-C, a full disk)
    leaves out_dir as it was, never a few hundred frames that pass for a short clip; the
    sidecar, moved last, records the frame count the reader checks.
    """
    out_dir = Path(out_dir)
    _check_name(name)
    if out_dir.exists() and not out_dir.is_dir():
        raise FitScoreError(f"{out_dir} is a file; give a folder for the keypoint files.")
    ours = {frame_filename(name, t) for t in range(seq.n_frames)}
    if out_dir.is_dir():
        stale = sorted(p.name for p in out_dir.glob(f"*{KEYPOINT_SUFFIX}")
                       if p.name not in ours)
        if stale:
            raise FitScoreError(f"{out_dir} already holds other OpenPose keypoint files (e.g. "
                                f"{stale[0]}); choose an empty folder.")
    try:
        partial = _partial_folder(out_dir)
        try:
            names = []
            for filename, data in _openpose_files(seq, name, progress):
                (partial / filename).write_bytes(data)
                names.append(filename)
            _move_into_place(partial, out_dir, names)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    except OSError as err:  # no permission, disk full, a path that cannot be a folder
        raise FitScoreError(f"{out_dir} cannot be written ({err.strerror or err}).") from None
    return [out_dir / filename for filename in names]


def _partial_folder(out_dir: Path) -> Path:
    """A new hidden folder for the export: beside out_dir, so one rename completes it, or
    inside an existing out_dir whose parent is not writable (`--out .` in a home folder).
    os.mkdir, not mkdtemp: the export keeps the permissions the user's umask gives."""
    target = out_dir.absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    beside = target.parent / f".{target.name}.partial-{token}"
    try:
        beside.mkdir()
        return beside
    except OSError:
        if not out_dir.is_dir():
            raise
    inside = out_dir / f".partial-{token}"
    inside.mkdir()
    return inside


def _move_into_place(partial: Path, out_dir: Path, names: list[str]) -> None:
    """The complete export in `partial` becomes out_dir: one rename when out_dir is absent or
    empty (and partial is beside it); else file by file (the user's other files stay), the
    old sidecar removed first and the new one moved last, so a folder caught half-way has
    no sidecar vouching for it."""
    try:
        os.rename(partial, out_dir)
        return
    except OSError:
        if not out_dir.is_dir():
            raise
    (out_dir / META_NAME).unlink(missing_ok=True)
    for filename in names:   # the sidecar is the last name
        os.replace(partial / filename, out_dir / filename)


def openpose_zip_bytes(seq: PoseSequence, name: str = "fitscore",
                       progress: Progress | None = None) -> bytes:
    """The write_openpose files as a deflated zip in memory (a dashboard download)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for filename, data in _openpose_files(seq, name, progress):
            archive.writestr(filename, data)
    return buffer.getvalue()


def write_openpose_zip(seq: PoseSequence, zip_path: str | Path, name: str = "fitscore",
                       progress: Progress | None = None) -> Path:
    """openpose_zip_bytes written to zip_path (parent folders created)."""
    zip_path = Path(zip_path)
    data = openpose_zip_bytes(seq, name, progress)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    zip_path.write_bytes(data)
    return zip_path
