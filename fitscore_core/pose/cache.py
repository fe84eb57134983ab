"""A pose cache keyed by file content: a clip's pose is estimated once, whatever it is called.

    >>> from fitscore_core.pose.cache import PoseCache
    >>> cache = PoseCache("/tmp/fitscore-poses")
    >>> frames = cache.poses("sample_videos/squat_good.mp4")   # doctest: +SKIP
    >>> frames = cache.poses("copy_of_squat_good.mp4")  # no pose run   # doctest: +SKIP

What is stored is everyone the backend found in every frame (MultiPoseFrames, before the main
person is chosen and before any visibility threshold), so changing cleaning, features or
thresholds never needs the pose estimator again. The key is the SHA-256 of the file's bytes
plus the backend's name and the frame size the backend sees; entries are written atomically
(a killed run leaves no half-written file). Poses at the models' rate (every k-th frame,
pose/rate.py) are kept under their own key; when only an entry posed on every frame
exists, its every k-th frame serves (MediaPipe then had the frames between to track from,
so the two differ a little). Poses in stretches side by side (estimate_poses(parts=2), the
dashboard's) have their own key too: they serve only requests in parts. An entry is trusted
only when the SHA-256 of its arrays, stored inside it, matches and its shapes make sense: a
truncated, bit-flipped or foreign file is treated as missing, estimated again and
overwritten. The folder is FITSCORE_POSE_CACHE, else ~/.cache/fitscore/poses; it may be
deleted at any time.
"""

import hashlib
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from fitscore_core.config import FEATURES, LIMITS
from fitscore_core.pose.rate import pose_every
from fitscore_core.pose.sequence import MultiPoseFrames

FORMAT = 2  # bump when what is stored changes; old entries are then simply not found
# 2: the entry holds the SHA-256 of its arrays, checked on every read

STORED = ("counts", "people", "fps", "size", "backend", "source")   # what the digest covers
OPTIONAL = ("every", "video_frames")   # stored (and covered) only for poses at the models' rate


def default_cache_dir() -> Path:
    env = os.environ.get("FITSCORE_POSE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "fitscore" / "poses"


def file_digest(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of the file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def to_arrays(frames: MultiPoseFrames) -> dict[str, np.ndarray]:
    """What an entry stores: everyone's keypoints flattened to (rows, 25, 3) float32 plus
    the people count of each frame, and the clip's fps, size, backend and source."""
    flat = (np.concatenate(frames.people).astype(np.float32) if frames.people
            else np.zeros((0, 25, 3), np.float32))
    rate = ({"every": np.array(frames.every, np.int64),
             "video_frames": np.array(frames.frames_in_video, np.int64)}
            if frames.every > 1 else {})
    return rate | {"counts": np.array([len(p) for p in frames.people], np.int32), "people": flat,
            "fps": np.array(frames.fps, np.float64),
            "size": np.array(frames.size or (), np.int32),
            "backend": np.array(frames.backend), "source": np.array(frames.source)}


def payload_digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over each stored array's name, dtype, shape and bytes, in a fixed order."""
    digest = hashlib.sha256()
    for name in STORED + tuple(n for n in OPTIONAL if n in arrays):
        a = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()


def intact(arrays: dict[str, np.ndarray]) -> bool:
    """Whether an entry read back can be trusted: its digest matches and its layout is one
    put() writes (a checksum alone would accept an entry written wrongly by other code)."""
    counts, people, fps, size = (arrays[k] for k in ("counts", "people", "fps", "size"))
    layout_ok = (
        counts.ndim == 1 and counts.dtype.kind == "i" and bool((counts >= 0).all())
        and people.dtype == np.float32 and people.ndim == 3 and people.shape[1:] == (25, 3)
        and int(counts.sum()) == len(people)
        and fps.ndim == 0 and fps.dtype.kind == "f" and bool(np.isfinite(fps)) and fps > 0
        and size.ndim == 1 and size.dtype.kind == "i" and len(size) in (0, 2)
        and bool((size > 0).all())
        and all(arrays[k].ndim == 0 and arrays[k].dtype.kind == "U"
                for k in ("backend", "source", "sha256"))
        and all(arrays[k].ndim == 0 and arrays[k].dtype.kind == "i" and arrays[k] >= 1
                for k in OPTIONAL if k in arrays))
    return layout_ok and str(arrays["sha256"]) == payload_digest(arrays)


class PoseCache:
    """Folder of `<key>.npz` files, one per (clip content, backend)."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        self.hits = self.misses = 0
        self.damaged = 0      # entries found but not trusted (counted in misses too)

    def key(self, path: str | Path, backend_name: str, every: int | None = 1,
            parts: int = 1) -> str:
        return self._key(file_digest(path), backend_name, every, parts)

    @staticmethod
    def _key(digest: str, backend_name: str, every: int | None = 1, parts: int = 1) -> str:
        tag = f"{digest}|{backend_name}|{LIMITS.pose_max_side}|{FORMAT}"
        if every != 1:       # the rate follows from the content (its fps): None = the models'
            tag += f"|every={every or 'models'}@{FEATURES.fps:g}"
        if parts != 1:
            tag += f"|parts={parts}"
        return hashlib.sha256(tag.encode()).hexdigest()[:40]

    def get(self, key: str) -> MultiPoseFrames | None:
        """The stored frames, or None when the entry is missing or cannot be trusted."""
        entry = self.folder / f"{key}.npz"
        if not entry.is_file():
            return None
        try:
            with np.load(entry, allow_pickle=False) as data:
                arrays = {name: data[name] for name in STORED + ("sha256",) + tuple(
                    n for n in OPTIONAL if n in data.files)}
        except Exception:  # zipfile, zlib, EOF, OS or npy errors: whatever a damaged file raises
            arrays = None
        if arrays is None or not intact(arrays):
            self.damaged += 1
            return None        # estimated again and overwritten by poses()
        counts, flat, size = arrays["counts"], arrays["people"], arrays["size"]
        people = np.split(flat, np.cumsum(counts)[:-1]) if len(counts) else []
        return MultiPoseFrames(people=list(people), fps=float(arrays["fps"]),
                               size=tuple(int(v) for v in size) if size.size else None,
                               source=str(arrays["source"]), backend=str(arrays["backend"]),
                               every=int(arrays.get("every", 1)),
                               video_frames=int(arrays.get("video_frames", 0)))

    def put(self, key: str, frames: MultiPoseFrames) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)   # clients' skeletons
        arrays = to_arrays(frames)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez_compressed(f, **arrays, sha256=np.array(payload_digest(arrays)))
            os.replace(tmp, self.folder / f"{key}.npz")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def poses(self, path: str | Path, backend=None, progress=None,
              every: int | None = 1, parts: int = 1) -> MultiPoseFrames:
        """The clip's MultiPoseFrames: from the cache, else estimated (and then stored).
        every: pose every k-th frame; None: at the models' rate; parts: stretches posed side
        by side (estimate_poses), kept under their own key so an answer never depends on
        which command posed the clip first."""
        from fitscore_core.pose.backends import (DEFAULT_BACKEND_NAME, estimate_poses,
                                                 require_person)
        name, digest = getattr(backend, "name", DEFAULT_BACKEND_NAME), file_digest(path)
        key = self._key(digest, name, every, parts)
        found = self.get(key)
        if found is None and every != 1:       # the file is read (hashed) once for both keys
            full = self.get(self._key(digest, name))
            if full is not None:
                found = full.subsampled(every or pose_every(full.fps))
        if found is not None:
            self.hits += 1
            if progress is not None:
                progress(found.n_frames, found.n_frames)
            return require_person(replace(found, source=str(path)))
        self.misses += 1
        frames = estimate_poses(path, backend=backend, progress=progress, every=every,
                                parts=parts)
        self.put(key, frames)              # a clip with nobody in it is remembered too
        return require_person(frames)
