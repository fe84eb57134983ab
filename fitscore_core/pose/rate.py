"""Posing at the models' rate: how many frames to skip, and the skeleton interpolated back
onto every frame of the video.

    >>> import numpy as np
    >>> from fitscore_core.pose.rate import pose_every, upsample
    >>> from fitscore_core.pose.sequence import PoseSequence
    >>> pose_every(30.0), pose_every(29.97), pose_every(60.0), pose_every(25.0), pose_every(12.0)
    (2, 2, 4, 1, 1)
    >>> kps = np.zeros((3, 25, 3), np.float32)
    >>> kps[..., 2], kps[1, :, :2] = 1.0, 10.0        # posed frames 0, 2, 4 of the video
    >>> up = upsample(PoseSequence(kps, 15.0), 2, 6)
    >>> up.n_frames, up.fps, float(up.keypoints[1, 0, 0]), float(up.keypoints[5, 0, 0])
    (6, 30.0, 5.0, 0.0)

The models read FEATURES.fps (15) frames a second, so a 30 fps clip posed on every 2nd frame
(a 60 fps one on every 4th) gives them the same input rate for half (a quarter) of the pose
work. `upsample` puts the skeleton back on every video frame by linear interpolation
between the posed frames (a joint is as sure as the less sure of its two ends; one not
found at either end stays not found), holding the last pose for the frames after it, so
the overlay lines up with each frame of the video.
"""

import math

import numpy as np

from fitscore_core.config import FEATURES
from fitscore_core.pose.sequence import PoseSequence


RATE_SLACK = 0.01   # a posed rate 1 % under the models' still counts (29.97 / 2 = 14.985)


def pose_every(fps: float, models_fps: float = FEATURES.fps) -> int:
    """The largest k with fps / k >= models_fps (within RATE_SLACK: phones film at 29.97
    and 59.94 fps); 1 when the clip is at or below the models' rate."""
    return max(1, math.floor(fps / (models_fps * (1 - RATE_SLACK)) + 1e-9))


def upsample(low: PoseSequence, every: int, n_frames: int) -> PoseSequence:
    """A sequence posed on frames 0, k, 2k, ... -> n_frames frames at low.fps * k."""
    kps = low.keypoints.astype(np.float64)
    t = np.arange(n_frames) / every
    i0 = np.clip(np.floor(t).astype(int), 0, len(kps) - 1)
    i1 = np.clip(i0 + 1, 0, len(kps) - 1)
    w = np.clip(t - i0, 0.0, 1.0)[:, None, None]
    a, b = kps[i0], kps[i1]
    xy = a[..., :2] * (1 - w) + b[..., :2] * w
    conf = np.where(w[..., 0] > 0, np.minimum(a[..., 2], b[..., 2]), a[..., 2])
    out = np.concatenate([xy, conf[..., None]], axis=-1)
    out[conf <= 0] = 0.0
    return PoseSequence(out.astype(np.float32), low.fps * every, low.size, low.source,
                        low.backend, low.notes)
