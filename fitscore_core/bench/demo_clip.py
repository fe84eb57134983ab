"""A cartoon person doing a slow arm raise + half squat, drawn with OpenCV, with ground truth.

    >>> from fitscore_core.bench.demo_clip import write_demo_clip
    >>> truth = write_demo_clip("/tmp/demo.mp4", n_frames=30)   # (30, 25, 3) BODY_25 pixels
    >>> truth.shape, float(truth[0, 1, 2])
    ((30, 25, 3), 1.0)

Why: tests and the benchmark need a video with a person whose joints are known exactly, made
here, with nothing downloaded. MediaPipe tracks this flat-shaded, front-facing figure; the
returned keypoints are where the joints were drawn (confidence 1), points not drawn get 0.
The figure faces the camera, so its right side (BODY_25 "R" joints) is on the image's left.
"""

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

# Body proportions in units of the figure's height (top of head -> ankle), front view.
_NOSE_Y, _HEAD_R = 0.085, 0.068
_NECK_Y, _SHOULDER_HALF = 0.20, 0.105
_HIP_Y, _HIP_HALF = 0.52, 0.062
_KNEE_Y, _KNEE_HALF = 0.745, 0.066
_ANKLE_Y, _ANKLE_HALF = 0.97, 0.07
_UPPER_ARM, _FOREARM = 0.17, 0.15
_FIGURE_HEIGHT = 0.80   # figure height as a fraction of the frame height (scale=1)
_SQUAT_DROP = 0.07      # hip drop at the bottom of the half squat
_ARM_DOWN_DEG, _ARM_UP_DEG = 12.0, 95.0  # arm angle from hanging straight down

_SKIN, _SHIRT, _PANTS, _SHOE = (150, 180, 225), (170, 90, 40), (70, 60, 50), (40, 40, 40)
_EYE, _MOUTH = (40, 30, 30), (60, 60, 150)


def demo_phase(t: int, n_frames: int) -> float:
    """0 at the first frame, 1 half-way, back to 0 at the end: one slow repetition."""
    return float(0.5 - 0.5 * np.cos(2 * np.pi * t / max(n_frames, 1)))


def demo_joints(t: int, n_frames: int, width: int = 640, height: int = 480,
                shift: tuple[float, float] = (0, 0), scale: float = 1.0) -> np.ndarray:
    """(25, 3) BODY_25 pixel keypoints of the figure at frame t (pure; the drawing follows it).

    Joints 0-14 and the eyes are drawn (confidence 1); ears and feet points are 0.
    """
    p = demo_phase(t, n_frames)
    h = _FIGURE_HEIGHT * height * scale
    cx = width / 2 + shift[0]
    top = (height - h * 1.04) / 2 + shift[1]   # centre the figure including its feet
    drop = _SQUAT_DROP * p

    def at(x: float, y: float) -> tuple[float, float]:
        return cx + x * h, top + y * h

    kps = np.zeros((25, 3), np.float32)

    def put(j: int, x: float, y: float) -> None:
        kps[j] = (*at(x, y), 1.0)

    put(0, 0.0, _NOSE_Y + drop)
    put(1, 0.0, _NECK_Y + drop)
    angle = np.radians(_ARM_DOWN_DEG + (_ARM_UP_DEG - _ARM_DOWN_DEG) * p)
    bend = np.radians(8.0)  # a slight elbow bend, as people do when raising their arms
    for side, (sh, el, wr) in ((-1, (2, 3, 4)), (1, (5, 6, 7))):  # -1: person's right
        sx, sy = side * _SHOULDER_HALF, _NECK_Y + drop
        ex, ey = sx + side * _UPPER_ARM * np.sin(angle), sy + _UPPER_ARM * np.cos(angle)
        wx = ex + side * _FOREARM * np.sin(angle + bend)
        wy = ey + _FOREARM * np.cos(angle + bend)
        put(sh, sx, sy)
        put(el, ex, ey)
        put(wr, wx, wy)
    put(8, 0.0, _HIP_Y + drop)
    knee_drop, knee_out = 0.3 * drop, 0.25 * drop  # knees travel forward: they drop a little
    for side, (hip, knee, ankle) in ((-1, (9, 10, 11)), (1, (12, 13, 14))):
        put(hip, side * _HIP_HALF, _HIP_Y + drop)
        put(knee, side * (_KNEE_HALF + knee_out), _KNEE_Y + knee_drop)
        put(ankle, side * _ANKLE_HALF, _ANKLE_Y)
    head_y = _NOSE_Y + drop - 0.012
    put(15, -0.025, head_y - 0.012)  # REye (image left)
    put(16, 0.025, head_y - 0.012)   # LEye
    return kps


def make_background(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A light wall with a gentle vertical gradient, soft texture and a floor (BGR uint8)."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    wall = np.array([205, 210, 200], np.float32) - 25 * y
    noise = cv2.GaussianBlur(rng.normal(0, 6, (height, width)).astype(np.float32), (0, 0), 3)
    img = np.broadcast_to(wall, (height, width, 3)) + noise[..., None]
    floor = int(height * 0.93)
    img[floor:] = np.array([150, 160, 170], np.float32) + noise[floor:, :, None]
    return np.clip(img, 0, 255).astype(np.uint8)


def draw_demo_frame(kps: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Draw the cartoon whose joints are kps (25, 3) onto a copy of background (BGR)."""
    img = background.copy()
    neck, mid_hip = kps[1, :2], kps[8, :2]
    h = float(mid_hip[1] - neck[1]) / (_HIP_Y - _NECK_Y)  # figure height in pixels
    aa = cv2.LINE_AA

    def pt(xy) -> tuple[int, int]:
        return int(round(xy[0])), int(round(xy[1]))

    def limb(a: int, b: int, width: float, color) -> None:
        cv2.line(img, pt(kps[a]), pt(kps[b]), color, max(1, int(width * h)), aa)
        cv2.circle(img, pt(kps[b]), max(1, int(width * h / 2)), color, -1, aa)

    # legs first (behind the torso), then torso, arms, head
    for hip, knee, ankle in ((9, 10, 11), (12, 13, 14)):
        limb(hip, knee, 0.085, _PANTS)
        limb(knee, ankle, 0.065, _PANTS)
        side = np.sign(kps[ankle, 0] - kps[1, 0])
        foot = kps[ankle, :2] + np.array([side * 0.03 * h, 0.03 * h])
        cv2.ellipse(img, pt(foot), (int(0.045 * h), int(0.022 * h)), 0, 0, 360, _SHOE, -1, aa)
    cv2.circle(img, pt(kps[9]), int(0.045 * h), _PANTS, -1, aa)
    cv2.circle(img, pt(kps[12]), int(0.045 * h), _PANTS, -1, aa)
    rs, ls, rh, lh = kps[2, :2], kps[5, :2], kps[9, :2], kps[12, :2]
    pad = np.array([0.035 * h, 0.0])
    torso = np.array([rs - pad + [0, 0.02 * h], ls + pad + [0, 0.02 * h],
                      lh + pad * 0.8 + [0, 0.03 * h], rh - pad * 0.8 + [0, 0.03 * h]])
    cv2.fillPoly(img, [np.round(torso).astype(np.int32)], _SHIRT, aa)
    cv2.ellipse(img, pt(neck + [0, 0.015 * h]), (int(0.12 * h), int(0.035 * h)), 0, 0, 360,
                _SHIRT, -1, aa)
    for sh, el, wr in ((2, 3, 4), (5, 6, 7)):
        cv2.circle(img, pt(kps[sh]), int(0.035 * h), _SHIRT, -1, aa)
        limb(sh, el, 0.06, _SHIRT)
        limb(el, wr, 0.045, _SKIN)
        direction = kps[wr, :2] - kps[el, :2]
        hand = kps[wr, :2] + 0.04 * h * direction / max(float(np.linalg.norm(direction)), 1e-6)
        angle = float(np.degrees(np.arctan2(direction[1], direction[0])))
        cv2.ellipse(img, pt(hand), (int(0.04 * h), int(0.025 * h)), angle, 0, 360, _SKIN, -1, aa)
    cv2.line(img, pt(neck), pt(neck - [0, 0.06 * h]), _SKIN, int(0.05 * h), aa)
    head = kps[0, :2] - [0, 0.012 * h]
    cv2.circle(img, pt(head), int(_HEAD_R * h), _SKIN, -1, aa)
    for eye in (15, 16):
        cv2.circle(img, pt(kps[eye]), max(1, int(0.008 * h)), _EYE, -1, aa)
    cv2.circle(img, pt(kps[0]), max(1, int(0.006 * h)), (110, 130, 190), -1, aa)
    cv2.ellipse(img, pt(kps[0, :2] + [0, 0.025 * h]), (int(0.018 * h), int(0.006 * h)), 0, 0, 180,
                _MOUTH, max(1, int(0.005 * h)), aa)
    return img


def write_clip(path: str | Path, frames: Iterable[np.ndarray], fps: float = 30,
               fourcc: str = "mp4v") -> int:
    """Write BGR frames (all the same size) to path; returns the number of frames written."""
    writer, n = None, 0
    try:
        for frame in frames:
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
                if not writer.isOpened():
                    raise OSError(f"cannot write {fourcc} video to {path}")
            writer.write(frame)
            n += 1
    finally:
        if writer is not None:
            writer.release()
    return n


def write_demo_clip(path: str | Path, width: int = 640, height: int = 480, n_frames: int = 90,
                    fps: float = 30, shift: tuple[float, float] = (0, 0), scale: float = 1.0,
                    seed: int = 0, fourcc: str = "mp4v") -> np.ndarray:
    """Write the demo clip to path; returns the drawn joints (T, 25, 3) in BODY_25 pixels."""
    background = make_background(width, height, seed)
    truth = np.stack([demo_joints(t, n_frames, width, height, shift, scale)
                      for t in range(n_frames)])
    write_clip(path, (draw_demo_frame(k, background) for k in truth), fps, fourcc)
    return truth
