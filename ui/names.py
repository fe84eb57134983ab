"""Joint names in plain words, the one naming style of every page: 'LKnee' -> 'left knee'.

    >>> from ui.names import joint_name, row_name
    >>> joint_name("LKnee"), joint_name("MidHip"), joint_name("RBigToe"), row_name("Neck y")
    ('left knee', 'hip centre', 'right big toe', 'neck y')

OpenPose's BODY_25 names stay in the files FitScore writes (OpenPose JSON, the CSVs); what a
page shows goes through joint_name.
"""

_PARTS = {"Shoulder": "shoulder", "Elbow": "elbow", "Wrist": "wrist", "Hip": "hip",
          "Knee": "knee", "Ankle": "ankle", "Eye": "eye", "Ear": "ear", "BigToe": "big toe",
          "SmallToe": "small toe", "Heel": "heel"}
_SINGLE = {"Nose": "nose", "Neck": "neck", "MidHip": "hip centre"}


def joint_name(joint: str) -> str:
    """A BODY_25 / model joint name in words; an unknown name is returned as it is."""
    if joint in _SINGLE:
        return _SINGLE[joint]
    side, part = joint[:1], joint[1:]
    if side in ("R", "L") and part in _PARTS:
        return ("right " if side == "R" else "left ") + _PARTS[part]
    return joint


def row_name(row: str) -> str:
    """A feature row label ('LKnee x') in words ('left knee x')."""
    joint, _, axis = row.rpartition(" ")
    return f"{joint_name(joint)} {axis}" if joint else joint_name(row)
