"""Video decoding: check a clip before any work, then hand out its frames (optionally smaller).

    >>> from fitscore_core.bench.demo_clip import write_demo_clip
    >>> from fitscore_core.pose.video import probe_video, iter_frames
    >>> _ = write_demo_clip("/tmp/demo.mp4", width=1280, height=720, n_frames=10)
    >>> info = probe_video("/tmp/demo.mp4")
    >>> (info.width, info.height, info.fps, info.frame_count)
    (1280, 720, 30.0, 10)
    >>> index, frame, scale = next(iter_frames("/tmp/demo.mp4", max_side=640))
    >>> frame.shape, scale
    ((360, 640, 3), 0.5)

Why a probe first: a trainer should hear "this file is 185 s long, trim it" or "this is not a
video" at once, in words, not a codec traceback half-way through pose extraction. Every
refusal is a FitScoreError naming the file.

Rotation metadata (phone videos filmed upright) is applied while decoding, so width and
height here are those of the frames actually returned, rotation already applied.

The header's frame count can lie (a file patched to say 300 frames that holds 36,000), so
iter_frames also counts what it decodes and stops at the duration limit.
"""

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fitscore_core.config import LIMITS, Limits
from fitscore_core.errors import FitScoreError

MIN_READ_FRACTION = 0.9  # fewer frames than this share of the header's count: truncated
MAX_FPS = 1000.0         # a header frame rate beyond this is garbage, not a real camera
DECODE_MARGIN_S = 1.0    # decoding may run this far past max_duration_s (rounding, a loose header)

_FORMATS = "MP4, MOV, AVI, MKV or WebM"
_QUICKTIME_ATOMS = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_IMAGE_SIGNATURES = ((b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"),
                     (b"BM", "BMP"))


@dataclass(frozen=True)
class VideoInfo:
    """What the probe learnt about a clip; width/height are after rotation (as decoded)."""

    path: str
    width: int
    height: int
    fps: float
    frame_count: int
    duration_s: float
    rotation: int   # degrees from the file's orientation metadata, already applied by decoding
    codec: str      # fourcc as OpenCV reports it, e.g. "avc1", "FMP4" (mp4v), "MJPG"
    file_mb: float


def container_kind(head: bytes) -> str | None:
    """Name of the video container the first bytes announce, or None if not a known one."""
    if head[4:8] in _QUICKTIME_ATOMS:
        return "MP4/MOV"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "AVI"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "MKV/WebM"
    return None


def image_kind(head: bytes) -> str | None:
    """Name of the still-image format the first bytes announce, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((name for sig, name in _IMAGE_SIGNATURES if head.startswith(sig)), None)


def downscale(frame: np.ndarray, max_side: int | None) -> tuple[np.ndarray, float]:
    """Shrink frame so its long side is at most max_side; returns (frame, scale applied).

    INTER_AREA averages the pixels it merges, so small details (wrists) survive the shrink.
    A point (x, y) in the result is (x / scale, y / scale) in the original.
    """
    h, w = frame.shape[:2]
    if max_side is None or max(h, w) <= max_side:
        return frame, 1.0
    scale = max_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA), scale


def _check_file(path: Path, limits: Limits) -> float:
    """Refuse a missing, empty or oversized file; returns its size in MB."""
    if not path.is_file():
        raise FitScoreError(f"The video {path.name} was not found (looked for {path}).")
    size_mb = path.stat().st_size / 1e6
    if size_mb == 0:
        raise FitScoreError(f"{path.name} is empty (0 bytes): the upload or copy did not "
                            "finish. Export or copy the video again.")
    if size_mb > limits.max_file_mb:
        raise FitScoreError(f"{path.name} is {size_mb:.0f} MB; the limit is "
                            f"{limits.max_file_mb:.0f} MB — trim or compress it first.")
    return size_mb


def count_packets(path: Path, stop_after: int) -> int | None:
    """Video packets (one per frame) in the container, stopping past stop_after: PyAV
    demuxes without decoding, so a header that lies about the frame count is caught in
    milliseconds instead of after minutes of pose. None when PyAV cannot read the file."""
    import av
    try:
        with av.open(os.fspath(path), metadata_errors="ignore") as container:
            if not container.streams.video:
                return None
            n = 0
            for packet in container.demux(container.streams.video[0]):
                n += packet.size > 0        # the flushing packet at the end is empty
                if n > stop_after:
                    break
            return n
    except (av.FFmpegError, OSError, ValueError, UnicodeError):
        return None


def _streams(path: Path) -> tuple[int, int] | None:
    """(video streams, audio streams) as the container lists them (PyAV reads the header
    only); None when PyAV cannot open it."""
    import av                                  # here: only a refused file needs it
    try:
        with av.open(os.fspath(path), metadata_errors="ignore") as container:
            return len(container.streams.video), len(container.streams.audio)
    except (av.FFmpegError, OSError, ValueError, UnicodeError):
        return None


def _unreadable(name: str, head: bytes, path: Path | None = None) -> FitScoreError:
    """The error for a file OpenCV cannot decode, worded by what the file claims to be."""
    kind = container_kind(head)
    streams = _streams(path) if path is not None else None
    if streams is not None and streams[0] == 0 and streams[1] > 0:
        return FitScoreError(f"{name} holds sound but no video (an audio file?). Choose the "
                             "video of the exercise.")
    if kind:
        return FitScoreError(f"{name} looks like an {kind} video but is damaged or truncated: "
                             "no frame could be decoded. Export or copy it again.")
    image = image_kind(head)
    if image:
        return FitScoreError(f"{name} is a still {image} image, not a video.")
    return FitScoreError(f"{name} is not a video (expected {_FORMATS}).")


def _capture(path: Path) -> cv2.VideoCapture:
    """cv2.VideoCapture that survives any file name. OpenCV crashes the process (SIGSEGV) on
    a name that is not valid UTF-8 (Python holds its odd bytes as lone surrogates), so such a
    file is opened through a symlink with an ASCII name in a private temporary folder, removed
    as soon as the file is open (the capture keeps its own handle)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return cv2.VideoCapture(str(path))
    suffix = path.suffix if path.suffix.isascii() else ""
    try:
        with tempfile.TemporaryDirectory(prefix="fitscore-open-") as folder:
            link = os.path.join(folder, "clip" + suffix)
            os.symlink(os.path.abspath(path), link)
            return cv2.VideoCapture(link)
    except OSError as error:
        shown = os.fsencode(path.name).decode("utf-8", "backslashreplace")
        raise FitScoreError(f"{shown}: its name is not valid UTF-8 and the file could not be "
                            f"opened another way ({error.strerror}); rename it.") from None


def open_capture(path: Path) -> cv2.VideoCapture:
    """A capture that applies the file's rotation metadata.

    Why set it: this OpenCV build (4.11, pip wheel) leaves CAP_PROP_ORIENTATION_AUTO off, so
    a phone clip filmed upright would otherwise come out lying on its side.
    """
    cap = _capture(path)
    if cap.isOpened():
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return cap


def _count_frames(path: Path, stop_after: int) -> int:
    """Count decodable frames when the header has no count, stopping early past stop_after."""
    cap = open_capture(path)
    n = 0
    try:
        while n <= stop_after and cap.grab():
            n += 1
    finally:
        cap.release()
    return n


def _seconds(s: float) -> str:
    """185.0 -> "185", 120.033 -> "120.03": short, yet one frame over a limit still shows."""
    return f"{round(s, 2):g}"


def _too_long_while_decoding(name: str, expected: int, fps: float,
                             limits: Limits) -> FitScoreError:
    limit = _seconds(limits.max_duration_s)
    header = (f" although its header says {_seconds(expected / fps)} s"
              if expected and np.isfinite(fps) and fps > 0 else "")
    return FitScoreError(f"{name} holds more than {limit} s of video{header}; the limit is "
                         f"{limit} s — trim it (and export it again if its header is wrong).")


def _fourcc(value: float) -> str:
    code = int(value) if np.isfinite(value) else 0
    text = "".join(chr((code >> 8 * i) & 0xFF) for i in range(4))
    return text if text.isprintable() and text.strip() else ""


def _check_resolution(name: str, width: float, height: float, limits: Limits) -> None:
    """Refuse a frame beyond limits.max_resolution (either orientation); 0 or NaN (a header
    that does not say) passes, the decoded frame is checked then."""
    width, height = (int(v) if np.isfinite(v) and v > 0 else 0 for v in (width, height))
    max_long, max_short = limits.max_resolution
    if max(width, height) > max_long or min(width, height) > max_short:
        raise FitScoreError(f"{name} is {width}×{height}; the limit is {max_long}×{max_short} "
                            "— export it at a lower resolution first.")


def probe_video(path: str | Path, limits: Limits = LIMITS) -> VideoInfo:
    """Open path, decode one frame and check it against limits; FitScoreError if refused."""
    path = Path(path)
    name = path.name
    size_mb = _check_file(path, limits)
    with open(path, "rb") as f:
        head = f.read(16)
    cap = open_capture(path)
    try:
        if cap.isOpened():   # the header's size first: decoding an 8000×8000 frame takes 1 GB
            _check_resolution(name, cap.get(cv2.CAP_PROP_FRAME_WIDTH),
                              cap.get(cv2.CAP_PROP_FRAME_HEIGHT), limits)
        ok, frame = cap.read() if cap.isOpened() else (False, None)
        if not ok or frame is None:
            raise _unreadable(name, head, path)
        fps = cap.get(cv2.CAP_PROP_FPS)
        header_count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        rotation = cap.get(cv2.CAP_PROP_ORIENTATION_META)
        codec = _fourcc(cap.get(cv2.CAP_PROP_FOURCC))
    finally:
        cap.release()
    if container_kind(head) is None and image_kind(head):
        raise _unreadable(name, head, path)
    if not (np.isfinite(fps) and 0 < fps <= MAX_FPS):
        raise FitScoreError(f"{name} is damaged: its frame rate cannot be read. "
                            "Export or copy it again.")
    frame_count = int(header_count) if np.isfinite(header_count) and header_count > 0 else 0
    # the header may lie or (streamed WebM) say nothing: count the packets, else decode
    most = int(limits.max_duration_s * fps) + 1
    packets = count_packets(path, stop_after=most)
    if packets is None and frame_count == 0:
        packets = _count_frames(path, stop_after=most)
    if packets is not None and packets > most and frame_count <= most:
        raise _too_long_while_decoding(name, frame_count, fps, limits)   # the header lies
    frame_count = max(frame_count, packets or 0)
    if frame_count < 2 and container_kind(head) is None:
        raise _unreadable(name, head, path)
    duration = frame_count / fps
    if duration > limits.max_duration_s:
        raise FitScoreError(f"{name} is {_seconds(duration)} s long; the limit is "
                            f"{_seconds(limits.max_duration_s)} s — trim it first.")
    height, width = frame.shape[:2]
    _check_resolution(name, width, height, limits)   # a header may lie: the decoded frame too
    return VideoInfo(
        path=str(path), width=width, height=height, fps=float(fps), frame_count=frame_count,
        duration_s=duration, rotation=int(rotation) % 360 if np.isfinite(rotation) else 0,
        codec=codec, file_mb=size_mb,
    )


def decode_limit(fps: float, limits: Limits = LIMITS) -> int:
    """Most frames iter_frames decodes: limits.max_duration_s at the clip's frame rate (a
    rate the header cannot tell counts as MAX_FPS), plus DECODE_MARGIN_S."""
    rate = fps if np.isfinite(fps) and 0 < fps <= MAX_FPS else MAX_FPS
    return int((limits.max_duration_s + DECODE_MARGIN_S) * rate)


def iter_frames(path: str | Path, max_side: int | None = None, limits: Limits = LIMITS,
                first: int = 0) -> Iterator[tuple[int, np.ndarray, float]]:
    """Yield (index, frame_bgr, scale) for every frame from `first` on, shrunk to max_side
    when larger (the frames before `first` are decoded, since a video can only be read in
    order, but neither converted nor shrunk).

    Raises FitScoreError if decoding stops clearly short of the header's frame count: a
    half-copied file must not pass for a short clip; and once more frames are decoded than
    decode_limit allows, whatever the header said: a lying header must not buy hours of work.
    """
    path = Path(path)
    cap = open_capture(path)
    try:
        if not cap.isOpened():
            _check_file(path, LIMITS)  # missing or empty: say so rather than "damaged"
            with open(path, "rb") as f:
                raise _unreadable(path.name, f.read(16), path)
        header_count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        expected = int(header_count) if np.isfinite(header_count) and header_count > 0 else 0
        fps = cap.get(cv2.CAP_PROP_FPS)
        most = decode_limit(fps, limits)
        n = 0
        while True:
            ok, frame = cap.read() if n >= first else (cap.grab(), None)
            if not ok:
                break
            if n >= most:
                raise _too_long_while_decoding(path.name, expected, fps, limits)
            if frame is not None:
                small, scale = downscale(frame, max_side)
                yield n, small, scale
            n += 1
        if expected and n < MIN_READ_FRACTION * expected:
            raise FitScoreError(f"{path.name} is truncated or damaged: only {n} of {expected} "
                                "frames could be read. Export or copy it again.")
    finally:
        cap.release()
