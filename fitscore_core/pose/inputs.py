"""One entry point for every kind of INPUT: a video file, an OpenPose JSON folder, or a .zip.

    >>> from fitscore_core.pose.inputs import load_sequence
    >>> seq = load_sequence("sample_videos/squat_good.mp4")   # doctest: +SKIP
"""

from pathlib import Path
from typing import Callable

from fitscore_core.errors import FitScoreError
from fitscore_core.pose.cleaning import clean
from fitscore_core.pose.sequence import MultiPoseFrames, PoseSequence

Progress = Callable[[int, int], None]


def input_kind(path: str | Path) -> str:
    """'openpose-folder', 'openpose-zip' or 'video'; a missing path is the user's error."""
    path = Path(path)
    if not path.exists():
        raise FitScoreError(f"{path} does not exist.")
    if path.is_dir():
        return "openpose-folder"
    if path.suffix.lower() == ".zip":
        return "openpose-zip"
    return "video"


def load_poses(path: str | Path, backend=None, fps: float | None = None,
               progress: Progress | None = None, cache=None) -> MultiPoseFrames:
    """Everyone found in every frame: pose estimation for a video, import for OpenPose JSON.

    `fps` overrides the frame rate of OpenPose JSON (which does not record it); `backend`
    defaults to MediaPipe for videos; `cache` (a pose.cache.PoseCache) skips the estimator
    for a video whose content it has seen.
    """
    if input_kind(path) == "video":
        if cache is not None:
            return cache.poses(path, backend=backend, progress=progress)
        from fitscore_core.pose.backends import (
            extract_poses,  # mediapipe is only imported when a video needs it
        )
        return extract_poses(path, backend=backend, progress=progress)
    from fitscore_core.pose.openpose_json import read_openpose
    return read_openpose(path, fps=fps)


def load_sequence(path: str | Path, backend=None, fps: float | None = None,
                  progress: Progress | None = None, smoothing: bool = True,
                  cache=None) -> PoseSequence:
    """INPUT -> the main person's cleaned BODY_25 PoseSequence."""
    frames = load_poses(path, backend, fps, progress, cache)
    seq = clean(frames, smoothing=smoothing)
    if getattr(frames, "fps_is_default", False):
        seq = seq.with_keypoints(seq.keypoints, f"the keypoint files do not record a frame "
                                 f"rate: assumed {frames.fps:g} fps (set it with --fps)")
    return seq
