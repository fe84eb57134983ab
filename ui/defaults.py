"""Per-exercise defaults of the Compare page: the joints its chart opens on and its angle.

    >>> from ui.defaults import default_joints, default_angle
    >>> default_joints("squat", ["LAnkle", "RKnee", "Neck"])
    ['RKnee', 'LKnee']
    >>> default_angle("bicep_curl", ["left knee", "right elbow", "left elbow"])
    'right elbow'

One small table (MAIN): the joints that carry the movement and the angle a trainer reads
first, as the angle's body part ("elbow" -> "left elbow" / "right elbow"). An exercise
without an entry (a user's own) falls back to what the comparison ranks first.
"""

from collections.abc import Sequence

# exercise -> (model joints the deviation chart opens on, the body part of its main angle)
MAIN: dict[str, tuple[tuple[str, ...], str]] = {
    "squat": (("RKnee", "LKnee"), "knee"),
    "lunge": (("RKnee", "LKnee"), "knee"),
    "push_up": (("RElbow", "LElbow", "MidHip"), "elbow"),
    "bicep_curl": (("RElbow", "LElbow"), "elbow"),
    "shoulder_press": (("RElbow", "LElbow"), "elbow"),
    "front_raise": (("RWrist", "LWrist"), "shoulder"),
    "shoulder_shrug": (("RShoulder", "LShoulder"), "shoulder"),
    "jumping_jack": (("RWrist", "LWrist", "RAnkle", "LAnkle"), "shoulder"),
}


def default_joints(exercise: str, ranked: Sequence[str]) -> list[str]:
    """The exercise's main joints, else the first three of `ranked` (most different)."""
    if exercise in MAIN:
        return list(MAIN[exercise][0])
    return list(ranked[:3])


def default_angle(exercise: str, names: Sequence[str]) -> str | None:
    """The first of `names` (ordered as the page lists them, e.g. by range-of-motion gap)
    that is the exercise's main angle (either side); else the first name."""
    if exercise in MAIN:
        part = MAIN[exercise][1]
        for name in names:
            if name.endswith(part):
                return name
    return names[0] if names else None
