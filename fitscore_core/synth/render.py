"""Humanoid renderer: a 3D BODY_25 pose drawn as a shaded, clothed person, and videos of it.

    >>> import numpy as np
    >>> from fitscore_core.synth.backgrounds import make_background
    >>> from fitscore_core.synth.camera import Camera
    >>> from fitscore_core.synth.proportions import standing_pose
    >>> from fitscore_core.synth.render import random_appearance, render_frame
    >>> rng = np.random.default_rng(0)
    >>> cam = Camera(yaw_deg=45)
    >>> bg = make_background("gym", cam.width, cam.height, rng)
    >>> frame = render_frame(standing_pose(), cam, random_appearance(rng), bg)
    >>> frame.shape, frame.dtype.name
    ((480, 640, 3), 'uint8')

Why: no labelled exercise video can be shipped, so the project films its own synthetic people.
The figure has to pass for a person with a real pose estimator (BlazePose finds it from the
face and the body outline), so it has a face that turns with the head, a torso with volume,
tapered limbs, hands, clothes and shading (figure.py builds the parts, solids.py paints
them far-to-near). This module adds what makes a frame: light from above, a soft shadow on
the floor, the far side of the body a little darker, and writes the video.
"""

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from fitscore_core.errors import FitScoreError

from .appearance import Appearance, random_appearance
from .camera import Camera
from .figure import MID_HIP, body_groups
from .solids import NEAR_PLANE_M, draw_groups

__all__ = ["Appearance", "random_appearance", "render_frame", "render_video"]

DEPTH_DIM_PER_M = 1.0  # parts 0.2 m behind the body centre are 20% darker


def _light_direction(j: np.ndarray, camera: Camera) -> np.ndarray:
    """Image direction of 'up in the world' at the body, tilted left: light from above."""
    c = j[MID_HIP]
    xy, _ = camera.project(np.stack([c, c + (0.0, 0.3, 0.0)]))
    up2d = xy[1] - xy[0]
    up2d = up2d / max(float(np.linalg.norm(up2d)), 1e-9)
    return up2d + np.array([-0.35, 0.0])


def _ground_shadow(img: np.ndarray, j: np.ndarray, camera: Camera) -> None:
    """A soft dark ellipse on the floor (y = 0) under the body: it stands on something."""
    lo, hi = j[:, [0, 2]].min(0), j[:, [0, 2]].max(0)
    centre, radii = (lo + hi) / 2, (hi - lo) / 2 + 0.12
    t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    ground = np.stack([centre[0] + radii[0] * np.cos(t), np.zeros_like(t),
                       centre[1] + radii[1] * np.sin(t)], 1)
    xy, depth = camera.project(ground)
    if depth.min() < NEAR_PLANE_M:
        return
    h, w = img.shape[:2]
    blur = max(2.0, camera.focal_px * 0.06 / float(depth.mean()))
    pad = int(3 * blur) + 2
    # the mask covers the shadow's box clipped to the frame (plus the blur's reach)
    x0, y0 = np.maximum(np.floor(xy.min(0)).astype(int) - pad, -pad)
    x1, y1 = np.minimum(np.ceil(xy.max(0)).astype(int) + pad, (w + pad, h + pad))
    X0, Y0, X1, Y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if X1 <= X0 or Y1 <= Y0:
        return
    k = max(1.0, blur / 3)  # blur at a coarser scale: a wide soft shadow costs little
    small = (max(1, int(np.ceil((x1 - x0) / k))), max(1, int(np.ceil((y1 - y0) / k))))
    mask = np.zeros(small[::-1], np.float32)
    poly = np.clip((xy - (x0, y0)) / k, -1e4, 1e4)
    cv2.fillConvexPoly(mask, np.round(poly * 16).astype(np.int32), 1.0, cv2.LINE_AA, 4)
    mask = cv2.resize(cv2.GaussianBlur(mask, (0, 0), blur / k), (x1 - x0, y1 - y0),
                      interpolation=cv2.INTER_LINEAR)[Y0 - y0:Y1 - y0, X0 - x0:X1 - x0]
    keep = cv2.convertScaleAbs(mask, alpha=-0.35 * 255, beta=255)  # 255 = untouched
    roi = img[Y0:Y1, X0:X1]
    roi[:] = cv2.multiply(roi, cv2.merge([keep, keep, keep]), scale=1 / 255)


def render_frame(joints3d: np.ndarray, camera: Camera, appearance: Appearance,
                 background: np.ndarray) -> np.ndarray:
    """(25, 3) BODY_25 world joints -> (H, W, 3) uint8 BGR frame of the person on background."""
    j = np.asarray(joints3d, float)
    if j.shape != (25, 3) or not np.isfinite(j).all():
        raise ValueError(f"joints3d must be a finite (25, 3) array, got shape {j.shape}")
    if background.shape != (camera.height, camera.width, 3) or background.dtype != np.uint8:
        raise ValueError(f"background must be ({camera.height}, {camera.width}, 3) uint8, "
                         f"got {background.shape} {background.dtype}")
    img = background.copy()
    _ground_shadow(img, j, camera)
    centre_depth = float(camera.project(j[MID_HIP])[1])
    draw_groups(img, body_groups(j, appearance, camera), camera, _light_direction(j, camera),
                depth_dim=(centre_depth, DEPTH_DIM_PER_M))
    return img


def render_video(joints3d_seq: np.ndarray, camera: Camera, appearance: Appearance,
                 background: np.ndarray, path: str | Path,
                 progress: Callable[[int, int], None] | None = None) -> Path:
    """Write the (T, 25, 3) pose sequence as an mp4 (mp4v) at camera.fps; returns the path."""
    seq = np.asarray(joints3d_seq, float)
    if seq.ndim != 3 or seq.shape[1:] != (25, 3) or len(seq) == 0:
        raise ValueError(f"joints3d_seq must be (T, 25, 3) with T > 0, got {seq.shape}")
    path = Path(path)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), camera.fps,
                             (camera.width, camera.height))
    if not writer.isOpened():
        raise FitScoreError(f"Cannot write the video to {path}: check that the folder exists "
                            "and is writable.")
    try:
        for t, joints in enumerate(seq):
            writer.write(render_frame(joints, camera, appearance, background))
            if progress is not None:
                progress(t + 1, len(seq))
    finally:
        writer.release()
    if not path.is_file() or path.stat().st_size == 0:
        raise FitScoreError(f"Writing the video to {path} failed (nothing was saved).")
    return path
