"""Joint names in plain words, the one naming style of every page, report and message.

    >>> from fitscore_core.pose.names import joint_name, joint_words
    >>> joint_name("LKnee"), joint_name("MidHip"), joint_name("RBigToe")
    ('left knee', 'hip centre', 'right big toe')
    >>> joint_words(("RKnee", "LKnee", "RAnkle"))
    'knees and right ankle'

The layouts (skeletons.py) keep OpenPose's names ("LKnee"), which is what the JSON files
and the models use; nobody reading a page or a report should ever see them.
"""

_PARTS = {"Shoulder": "shoulder", "Elbow": "elbow", "Wrist": "wrist", "Hip": "hip",
          "Knee": "knee", "Ankle": "ankle", "Eye": "eye", "Ear": "ear", "Heel": "heel",
          "BigToe": "big toe", "SmallToe": "small toe"}
_SINGLE = {"Nose": "head", "Neck": "neck", "MidHip": "hip centre"}


def _split(joint: str) -> tuple[str, str]:
    """'LKnee' -> ('L', 'Knee'); 'Neck' -> ('', 'Neck')."""
    if joint[:1] in "RL" and joint[1:2].isupper():
        return joint[0], joint[1:]
    return "", joint


def joint_name(joint: str) -> str:
    """One joint in plain words: 'LKnee' -> 'left knee', 'Nose' -> 'head'; a name this
    module does not know is returned as it is."""
    side, part = _split(joint)
    if not side:
        return _SINGLE.get(part, joint)
    if part not in _PARTS:
        return joint
    return ("right " if side == "R" else "left ") + _PARTS[part]


def joint_words(joints) -> str:
    """Several joints in one phrase, a pair as a plural: ('RKnee', 'LKnee') -> 'knees';
    ('RKnee',) -> 'right knee'; ('MidHip',) -> 'hip centre'."""
    joints = set(joints)
    words = []
    for part, word in _PARTS.items():
        sides = [s for s in "RL" if s + part in joints]
        if len(sides) == 2:
            words.append(word + "s")
        elif sides:
            words.append(("right " if sides[0] == "R" else "left ") + word)
    words += [w for j, w in _SINGLE.items() if j in joints]
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def row_name(row: str) -> str:
    """A feature row label ('LKnee x') in words ('left knee x')."""
    joint, _, axis = row.rpartition(" ")
    return f"{joint_name(joint)} {axis}" if joint else joint_name(row)
