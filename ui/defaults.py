"""Per-exercise defaults of the Compare and Tensor pages: the joints their charts open on, the
angle.

    >>> from ui.defaults import default_joints, default_angle
    >>> default_joints("squat", ["LAnkle", "RKnee", "Neck"])
    ['RKnee', 'LKnee']
    >>> default_angle("bicep_curl", ["left knee", "right elbow", "left elbow"])
    'right elbow'

The angle is the exercise's main angle (compare/angles.MAIN_ANGLE, the one table the range
of motion in history and reports uses too); the joints the deviation chart opens on are the
ones that travel (CHART_JOINTS: a front raise's wrists, not its shoulders). An exercise
without an entry (a user's own) falls back to what the comparison ranks first.
"""

from collections.abc import Sequence

from fitscore_core.compare.angles import MAIN_ANGLE

# exercise -> the model joints the deviation chart opens on
CHART_JOINTS: dict[str, tuple[str, ...]] = {
    "squat": ("RKnee", "LKnee"),
    "lunge": ("RKnee", "LKnee"),
    "push_up": ("RElbow", "LElbow", "MidHip"),
    "bicep_curl": ("RElbow", "LElbow"),
    "shoulder_press": ("RElbow", "LElbow"),
    "front_raise": ("RWrist", "LWrist"),
    "shoulder_shrug": ("RShoulder", "LShoulder"),
    "jumping_jack": ("RWrist", "LWrist", "RAnkle", "LAnkle"),
}


def default_joints(exercise: str, ranked: Sequence[str]) -> list[str]:
    """The exercise's main joints, else the first three of `ranked` (most different)."""
    if exercise in CHART_JOINTS:
        return list(CHART_JOINTS[exercise])
    return list(ranked[:3])


def default_angle(exercise: str, names: Sequence[str]) -> str | None:
    """The first of `names` (ordered as the page lists them, e.g. by range-of-motion gap)
    that is the exercise's main angle (either side); else the first name."""
    if exercise in MAIN_ANGLE:
        part = MAIN_ANGLE[exercise]
        for name in names:
            if name.endswith(part):
                return name
    return names[0] if names else None
