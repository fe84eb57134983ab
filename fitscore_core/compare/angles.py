"""Joint angles from normalized 2D features: knees, hips, elbows, shoulders, trunk lean.

    >>> import numpy as np
    >>> from fitscore_core.compare.angles import joint_angles, range_of_motion
    >>> values, found = np.zeros((30, 2), np.float32), np.zeros((15, 2), bool)
    >>> sorted(joint_angles(values, found))[:3]
    ['left elbow', 'left hip', 'left knee']

Angles in the picture plane, in degrees. Features have equal x/y scale (torso lengths, y
up), so 2D angles are not distorted by the normalization; they are, like any 2D angle,
foreshortened when the limb points at the camera, which is why client and reference should
be filmed from the same side. A limb angle is the inner angle at its vertex (180 = straight
limb); the trunk lean is the Neck - MidHip line's angle from vertical (0 upright, 90 flat).
"""

import numpy as np

from fitscore_core.pose.skeletons import MODEL_15

# name -> (a, vertex, b): the inner angle at `vertex` between the segments to a and b
ANGLES: dict[str, tuple[str, str, str]] = {
    "right knee": ("RHip", "RKnee", "RAnkle"),
    "left knee": ("LHip", "LKnee", "LAnkle"),
    "right hip": ("RShoulder", "RHip", "RKnee"),
    "left hip": ("LShoulder", "LHip", "LKnee"),
    "right elbow": ("RShoulder", "RElbow", "RWrist"),
    "left elbow": ("LShoulder", "LElbow", "LWrist"),
    "right shoulder": ("RHip", "RShoulder", "RElbow"),
    "left shoulder": ("LHip", "LShoulder", "LElbow"),
}
TRUNK_LEAN = "trunk lean"
_J = {name: i for i, name in enumerate(MODEL_15.joints)}


def joint_angles(values: np.ndarray, found: np.ndarray) -> dict[str, np.ndarray]:
    """(30, T) features, (15, T) found -> name -> (T,) degrees, NaN where a joint is missing."""
    xy = values.reshape(15, 2, -1).astype(np.float64)

    def ok(*names: str) -> np.ndarray:
        return np.all([found[_J[n]] for n in names], axis=0)

    out = {}
    for name, (a, v, b) in ANGLES.items():
        u = xy[_J[a]] - xy[_J[v]]
        w = xy[_J[b]] - xy[_J[v]]
        angle = np.degrees(np.arctan2(np.abs(u[0] * w[1] - u[1] * w[0]),
                                      u[0] * w[0] + u[1] * w[1]))
        out[name] = np.where(ok(a, v, b), angle, np.nan)
    trunk = xy[_J["Neck"]] - xy[_J["MidHip"]]
    out[TRUNK_LEAN] = np.where(ok("Neck", "MidHip"),
                               np.degrees(np.arctan2(np.abs(trunk[0]), trunk[1])), np.nan)
    return out


def range_of_motion(angle: np.ndarray) -> float:
    """Largest minus smallest angle (degrees) where measured; NaN if never."""
    angle = angle[np.isfinite(angle)]
    return float(angle.max() - angle.min()) if len(angle) else float("nan")


# exercise -> the joint angle that carries its repetitions: its range of motion is the rep's
# (history, reports) and it is what the pages show first. A shrug lifts the shoulders
# without opening a limb angle; the shoulder angle is the closest one there is.
MAIN_ANGLE: dict[str, str] = {
    "squat": "knee", "lunge": "knee", "push_up": "elbow", "bicep_curl": "elbow",
    "shoulder_press": "elbow", "front_raise": "shoulder", "shoulder_shrug": "shoulder",
    "jumping_jack": "shoulder",
}
_VERTEX = {"knee": "Knee", "elbow": "Elbow", "shoulder": "Shoulder", "hip": "Hip"}
MIN_MEASURED = 0.5   # a side's angle measured in less of the clip is not the main one


def main_angle_names(exercise: str) -> tuple[str, ...]:
    """('right knee', 'left knee') for a squat; () for an exercise without one."""
    part = MAIN_ANGLE.get(exercise)
    return (f"right {part}", f"left {part}") if part else ()


def default_joints(exercise: str) -> tuple[str, ...]:
    """The BODY_25 joints a page shows first for an exercise: the main angle's vertices
    (('RKnee', 'LKnee') for a squat); () for an exercise without one."""
    part = MAIN_ANGLE.get(exercise)
    return ("R" + _VERTEX[part], "L" + _VERTEX[part]) if part else ()


def main_angle(exercise: str, angles: dict[str, np.ndarray]) -> tuple[str, np.ndarray] | None:
    """The exercise's main angle of one side, from joint_angles' output: the side measured
    in at least MIN_MEASURED of the frames with the larger range of motion (a lunge's front
    knee, a one-arm curl's working arm); None when neither side is measured enough."""
    best = None
    for name in main_angle_names(exercise):
        curve = angles.get(name)
        if curve is None or not len(curve) or np.isfinite(curve).mean() < MIN_MEASURED:
            continue
        rom = range_of_motion(curve)
        if best is None or rom > best[0]:
            best = (rom, name, curve)
    return (best[1], best[2]) if best else None


def rep_ranges(exercise: str, angles: dict[str, np.ndarray],
               spans: list[tuple[int, int]]) -> tuple[str | None, list[float]]:
    """(the main angle's name, its range of motion in degrees in each [start, end) frame
    span): the side is chosen once on the whole clip (main_angle), so every rep of a
    session is measured on the same joint. (None, NaNs) without a main angle."""
    chosen = main_angle(exercise, angles)
    if chosen is None:
        return None, [float("nan")] * len(spans)
    name, curve = chosen
    return name, [range_of_motion(curve[max(0, a):max(0, b)]) for a, b in spans]
