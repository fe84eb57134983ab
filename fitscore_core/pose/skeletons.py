"""Skeleton layouts as pure data, and conversions between them.

    >>> from fitscore_core.pose.skeletons import BODY_25, MODEL_15, blazepose_to_body25
    >>> BODY_25.joints[8], BODY_25.mirror[2], len(MODEL_15.joints)
    ('MidHip', 5, 15)

Keypoint arrays are (..., J, 3): x, y in pixels and a confidence, 0 meaning "not found"
(OpenPose's convention). Colours are OpenPose's own render colours (RGB); a limb is drawn
in the colour of its second joint, as OpenPose does.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Layout:
    """A named joint set: names, limbs (index pairs), RGB colour per joint, mirror partner."""

    name: str
    joints: tuple[str, ...]
    limbs: tuple[tuple[int, int], ...]
    colors: tuple[tuple[int, int, int], ...]
    mirror: tuple[int, ...]  # mirror[j] = the left/right partner of j (itself on the midline)

    def index(self, joint: str) -> int:
        return self.joints.index(joint)

    def limb_color(self, limb: tuple[int, int]) -> tuple[int, int, int]:
        return self.colors[limb[1]]


def _mirror(joints: tuple[str, ...]) -> tuple[int, ...]:
    """Partner of every joint, found by swapping the L/R (or left_/right_) prefix."""

    def swap(name: str) -> str:
        for a, b in (("left_", "right_"), ("right_", "left_"), ("L", "R"), ("R", "L")):
            if name.startswith(a):
                return b + name[len(a):]
        return name

    return tuple(joints.index(swap(n)) if swap(n) in joints else i for i, n in enumerate(joints))


_BODY_25_JOINTS = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
    "MidHip", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye",
    "REar", "LEar", "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
)
_BODY_25_COLORS = (
    (255, 0, 85), (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0),
    (85, 255, 0), (0, 255, 0), (255, 0, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255),
    (0, 170, 255), (0, 85, 255), (0, 0, 255), (255, 0, 170), (170, 0, 255), (255, 0, 255),
    (85, 0, 255), (0, 0, 255), (0, 0, 255), (0, 0, 255), (0, 255, 255), (0, 255, 255),
    (0, 255, 255),
)
_BODY_25_LIMBS = (
    (1, 8), (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (8, 9), (9, 10), (10, 11),
    (8, 12), (12, 13), (13, 14), (1, 0), (0, 15), (15, 17), (0, 16), (16, 18),
    (14, 19), (19, 20), (14, 21), (11, 22), (22, 23), (11, 24),
)
BODY_25 = Layout("BODY_25", _BODY_25_JOINTS, _BODY_25_LIMBS, _BODY_25_COLORS,
                 _mirror(_BODY_25_JOINTS))

_COCO_18_JOINTS = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
)
COCO_18 = Layout(
    "COCO_18", _COCO_18_JOINTS,
    ((1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11),
     (11, 12), (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17)),
    ((255, 0, 85), (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0),
     (85, 255, 0), (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255),
     (0, 85, 255), (0, 0, 255), (255, 0, 170), (170, 0, 255), (255, 0, 255), (85, 0, 255)),
    _mirror(_COCO_18_JOINTS),
)

_BLAZEPOSE_33_JOINTS = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
    "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb",
    "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)
_BLAZEPOSE_LIMBS = (  # MediaPipe's POSE_CONNECTIONS
    (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10), (11, 12),
    (11, 13), (13, 15), (15, 17), (15, 19), (15, 21), (17, 19), (12, 14), (14, 16),
    (16, 18), (16, 20), (16, 22), (18, 20), (11, 23), (12, 24), (23, 24), (23, 25),
    (24, 26), (25, 27), (26, 28), (27, 29), (28, 30), (29, 31), (30, 32), (27, 31), (28, 32),
)
BLAZEPOSE_33 = Layout(
    "BLAZEPOSE_33", _BLAZEPOSE_33_JOINTS, _BLAZEPOSE_LIMBS,
    tuple((230, 159, 0) if n.startswith("left") else (86, 180, 233) if n.startswith("right")
          else (240, 240, 240) for n in _BLAZEPOSE_33_JOINTS),
    _mirror(_BLAZEPOSE_33_JOINTS),
)

# The 15 joints the models read: BODY_25 indices 0-14, same order, same limbs.
MODEL_JOINTS = tuple(range(15))
MODEL_15 = Layout(
    "MODEL_15", _BODY_25_JOINTS[:15],
    tuple(limb for limb in _BODY_25_LIMBS if max(limb) < 15),
    _BODY_25_COLORS[:15], _mirror(_BODY_25_JOINTS[:15]),
)


def _mean_of(kps: np.ndarray, a: int, b: int) -> np.ndarray:
    """Midpoint of joints a and b; confidence is the weaker one, 0 if either is missing."""
    xy = (kps[..., a, :2] + kps[..., b, :2]) / 2
    conf = np.minimum(kps[..., a, 2], kps[..., b, 2])
    return np.concatenate([xy * (conf[..., None] > 0), conf[..., None]], axis=-1)


# BODY_25 joint <- BlazePose index (Neck and MidHip are midpoints, small toes estimated).
_BLAZE_FOR_BODY25 = {0: 0, 2: 12, 3: 14, 4: 16, 5: 11, 6: 13, 7: 15, 9: 24, 10: 26, 11: 28,
                     12: 23, 13: 25, 14: 27, 15: 5, 16: 2, 17: 8, 18: 7, 19: 31, 21: 29,
                     22: 32, 24: 30}
SMALL_TOE_FRACTION = 0.8  # small toe: 80% of the way from heel to toe tip (BlazePose has none)


def blazepose_to_body25(kps: np.ndarray) -> np.ndarray:
    """(..., 33, 3) BlazePose -> (..., 25, 3) BODY_25, every point filled.

    BlazePose has no small toe: it is placed 80% of the way from heel to toe tip with half the
    confidence, an honest estimate rather than a measurement.
    """
    out = np.zeros(kps.shape[:-2] + (25, 3), dtype=np.float32)
    for body, blaze in _BLAZE_FOR_BODY25.items():
        out[..., body, :] = kps[..., blaze, :]
    out[..., 1, :] = _mean_of(kps, 11, 12)
    out[..., 8, :] = _mean_of(kps, 23, 24)
    for small, heel, toe in ((20, 29, 31), (23, 30, 32)):
        xy = kps[..., heel, :2] + SMALL_TOE_FRACTION * (kps[..., toe, :2] - kps[..., heel, :2])
        conf = np.minimum(kps[..., heel, 2], kps[..., toe, 2]) / 2
        out[..., small, :2] = xy * (conf[..., None] > 0)
        out[..., small, 2] = conf
    return out


_COCO_FOR_BODY25 = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 9: 8, 10: 9, 11: 10,
                    12: 11, 13: 12, 14: 13, 15: 14, 16: 15, 17: 16, 18: 17}


def coco18_to_body25(kps: np.ndarray) -> np.ndarray:
    """(..., 18, 3) COCO-18 -> (..., 25, 3) BODY_25; MidHip = mean of the hips, feet missing."""
    out = np.zeros(kps.shape[:-2] + (25, 3), dtype=np.float32)
    for body, coco in _COCO_FOR_BODY25.items():
        out[..., body, :] = kps[..., coco, :]
    out[..., 8, :] = _mean_of(kps, 8, 11)
    return out


def body25_to_coco18(kps: np.ndarray) -> np.ndarray:
    """(..., 25, 3) BODY_25 -> (..., 18, 3) COCO-18 (drops MidHip and the feet)."""
    body_for_coco = [0] * 18
    for body, coco in _COCO_FOR_BODY25.items():
        body_for_coco[coco] = body
    return np.asarray(kps)[..., body_for_coco, :].astype(np.float32)


def to_body25(kps: np.ndarray) -> np.ndarray:
    """Any supported layout, detected from the joint count, -> BODY_25."""
    n = kps.shape[-2]
    if n == 25:
        return np.asarray(kps, dtype=np.float32)
    if n == 18:
        return coco18_to_body25(kps)
    if n == 33:
        return blazepose_to_body25(kps)
    raise ValueError(f"unsupported layout with {n} joints (expected 25, 18 or 33)")


def mirror_left_right(kps: np.ndarray, layout: Layout = BODY_25) -> np.ndarray:
    """Swap every joint with its left/right partner (labels only; coordinates untouched)."""
    return np.asarray(kps)[..., list(layout.mirror), :]
