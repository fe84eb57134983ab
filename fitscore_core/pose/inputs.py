"""One entry point for every kind of INPUT: a video file, an OpenPose JSON folder, or a .zip.

    >>> from fitscore_core.pose.inputs import load_sequence
    >>> seq = load_sequence("sample_videos/squat_good.mp4")   # doctest: +SKIP
"""

from pathlib import Path
from typing import Callable

from fitscore_core.errors import FitScoreError
from fitscore_core.pose.cleaning import clean
from fitscore_core.pose.rate import upsample
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
               progress: Progress | None = None, cache=None,
               every: int | None = 1, parts: int = 1) -> MultiPoseFrames:
    """Everyone found in each frame: pose estimation for a video, import for OpenPose JSON.

    `fps` overrides the frame rate of OpenPose JSON (which does not record it); `backend`
    defaults to MediaPipe for videos; `cache` (a pose.cache.PoseCache) skips the estimator
    for a video whose content it has seen; `every`: a video is posed on every k-th frame
    (None: at the models' rate, pose/rate.py), in `parts` stretches side by side
    (estimate_poses). JSON always has every frame.
    """
    if input_kind(path) == "video":
        if cache is not None:
            return cache.poses(path, backend=backend, progress=progress, every=every,
                               parts=parts)
        from fitscore_core.pose.backends import (  # mediapipe only when a video needs it
            estimate_poses,
            require_person,
        )
        return require_person(estimate_poses(path, backend, progress, every=every,
                                             parts=parts))
    from fitscore_core.pose.openpose_json import read_openpose
    return read_openpose(path, fps=fps)


def load_sequence(path: str | Path, backend=None, fps: float | None = None,
                  progress: Progress | None = None, smoothing: bool = True,
                  cache=None, every: int | None = None, parts: int = 1) -> PoseSequence:
    """INPUT -> the main person's cleaned BODY_25 PoseSequence, on every frame of the input.

    A video is posed at the models' rate by default (every=None: every 2nd frame of a 30 fps
    clip, pose/rate.py) and the skeleton interpolated onto the frames between; every=1
    poses every frame."""
    frames = load_poses(path, backend, fps, progress, cache, every, parts)
    seq = clean(frames, smoothing=smoothing)
    if frames.every > 1:
        seq = upsample(seq, frames.every, frames.frames_in_video)
    if getattr(frames, "fps_is_default", False):
        seq = seq.with_keypoints(seq.keypoints, f"the keypoint files do not record a frame "
                                 f"rate: assumed {frames.fps:g} fps (set it with --fps)")
    return seq
