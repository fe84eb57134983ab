"""A pose cache keyed by file content: a clip's pose is estimated once, whatever it is called.

    >>> from fitscore_core.pose.cache import PoseCache
    >>> cache = PoseCache("/tmp/fitscore-poses")
    >>> frames = cache.poses("sample_videos/squat_good.mp4")   # doctest: +SKIP
    >>> frames = cache.poses("copy_of_squat_good.mp4")          # doctest: +SKIP  (no pose run)

What is stored is everyone the backend found in every frame (MultiPoseFrames, before the main
person is chosen and before any visibility threshold), so changing cleaning, features or
thresholds never needs the pose estimator again. The key is the SHA-256 of the file's bytes
plus the backend's name and the frame size the backend sees; entries are written atomically
(a killed run leaves no half-written file). The folder is FITSCORE_POSE_CACHE, else
~/.cache/fitscore/poses; it may be deleted at any time.
"""

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from fitscore_core.config import LIMITS
from fitscore_core.pose.sequence import MultiPoseFrames

FORMAT = 1  # bump when what is stored changes; old entries are then simply not found


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


class PoseCache:
    """Folder of `<key>.npz` files, one per (clip content, backend)."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        self.hits = self.misses = 0

    def key(self, path: str | Path, backend_name: str) -> str:
        tag = f"{file_digest(path)}|{backend_name}|{LIMITS.pose_max_side}|{FORMAT}"
        return hashlib.sha256(tag.encode()).hexdigest()[:40]

    def get(self, key: str) -> MultiPoseFrames | None:
        entry = self.folder / f"{key}.npz"
        if not entry.is_file():
            return None
        try:
            with np.load(entry, allow_pickle=False) as data:
                counts = data["counts"]
                flat = data["people"]
                size = tuple(int(v) for v in data["size"]) if data["size"].size else None
                fps, backend, source = float(data["fps"]), str(data["backend"]), str(data["source"])
        except (OSError, ValueError, KeyError):
            return None  # unreadable entry: estimate again and overwrite it
        people = np.split(flat, np.cumsum(counts)[:-1]) if len(counts) else []
        return MultiPoseFrames(people=list(people), fps=fps, size=size, source=source,
                               backend=backend)

    def put(self, key: str, frames: MultiPoseFrames) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        counts = np.array([len(p) for p in frames.people], np.int32)
        flat = (np.concatenate(frames.people).astype(np.float32) if frames.people
                else np.zeros((0, 25, 3), np.float32))
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez_compressed(f, counts=counts, people=flat, fps=frames.fps,
                                    size=np.array(frames.size or (), np.int32),
                                    backend=frames.backend, source=frames.source)
            os.replace(tmp, self.folder / f"{key}.npz")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def poses(self, path: str | Path, backend=None, progress=None) -> MultiPoseFrames:
        """The clip's MultiPoseFrames: from the cache, else estimated (and then stored)."""
        from fitscore_core.pose.backends import (DEFAULT_BACKEND_NAME, estimate_poses,
                                                 require_person)
        key = self.key(path, getattr(backend, "name", DEFAULT_BACKEND_NAME))
        found = self.get(key)
        if found is not None:
            self.hits += 1
            if progress is not None:
                progress(found.n_frames, found.n_frames)
            return require_person(MultiPoseFrames(found.people, found.fps, found.size,
                                                  str(path), found.backend))
        self.misses += 1
        frames = estimate_poses(path, backend=backend, progress=progress)
        self.put(key, frames)              # a clip with nobody in it is remembered too
        return require_person(frames)
