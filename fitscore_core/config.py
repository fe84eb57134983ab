"""Limits and feature settings, in one place so the CLI, the app and the tests agree.

    >>> from fitscore_core.config import LIMITS, FEATURES
    >>> LIMITS.max_duration_s, FEATURES.n_frames
    (120.0, 150)
"""

import os
from dataclasses import dataclass
from pathlib import Path

# The shipped checkpoints and their model cards (`models/` beside the package).
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


@dataclass(frozen=True)
class Limits:
    """What the pipeline accepts; anything beyond is refused with a clear message. Sizes are
    in MB of 1,000,000 bytes everywhere (messages, README, the dashboard)."""

    max_file_mb: float = 500.0          # video or zip on disk
    max_duration_s: float = 120.0       # longer clips: trim before uploading
    max_resolution: tuple[int, int] = (3840, 2160)  # long side, short side (4K)
    pose_max_side: int = 640            # frames are downscaled to this long side before pose
    max_zip_uncompressed_mb: float = 200.0  # a keypoint zip may not expand beyond this
    max_zip_entries: int = 20_000       # ~10 min at 30 fps
    # OpenPose JSON records no frame rate: one given (--fps, the sidecar) outside this range
    # is a typo, and a tiny one would turn a short clip into hours of resampled frames.
    keypoint_fps: tuple[float, float] = (1.0, 240.0)
    # Keypoints are pixels: a joint even a 4K frame could place (off-screen included) lies
    # well inside this; 1e308 is an exporter's garbage, refused before any arithmetic.
    max_coordinate_px: float = 100_000.0
    # Tracking cost grows with the people in a frame; a crowd adds nothing to one client's
    # score, so only this many, the largest by bounding box, are followed.
    max_people_per_frame: int = 10


@dataclass(frozen=True)
class FeatureSettings:
    """How a PoseSequence becomes the (30 × N) model tensor; stored in every model card."""

    fps: float = 15.0         # clips are resampled to this rate
    n_frames: int = 150       # N: 10 s at 15 fps; longer clips are windowed, never cut
    window_stride: int = 75   # hop between windows of a long clip (half a window)
    # A joint counts as seen when its detector confidence (OpenPose score, MediaPipe
    # visibility) is at least this and it lies inside the frame; otherwise it is 0 in the
    # tensor, like padding, in training and in inference alike. MediaPipe gives a joint it
    # only guesses (the far arm seen from the side) 0.02-0.15; OpenPose scores real but weak
    # joints 0.3-0.6. 0.3 is also Sports2D's default keypoint likelihood threshold.
    min_confidence: float = 0.3
    normalization: str = "centre-midhip-or-neck/median-torso-or-limbs/seen-in-frame"


# A clip analysed on its own (the dashboard, `analyze`) is posed as this many stretches side
# by side (pose/backends.py): one MediaPipe keeps about one core busy. Batch and training
# keep 1, since they already work on several clips side by side.
ONE_CLIP_POSE_PARTS = min(2, os.cpu_count() or 1)

LIMITS = Limits()
FEATURES = FeatureSettings()
