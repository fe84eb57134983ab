"""Too little to judge: refuse a clip whose joints the exercise needs are out of view.

    >>> from fitscore_core.scorers.coverage import check_coverage
    >>> check_coverage(waist_up_clip, "squat")          # doctest: +SKIP
    Traceback (most recent call last):
    FitScoreError: The knees and ankles are out of view in most of the clip (the joints a
    squat is judged on are seen in 12% of the frames; it needs the hips, knees and ankles of
    at least one side): film from about 45° between the front and the side, at hip height,
    the whole body in frame, feet included.

A curl filmed from the waist up has no ankles, and the models, which never saw a body cut at
the knees, would still call it a squat at 99 %. So once the exercise is chosen, the joints
it needs must be seen (confidence >= SEEN and inside the frame) in at least MIN_SHARE of the
frames where the person was found; else FitScoreError says which joints are missing and how
to film. "At least one side" is enough where the exercise can be judged from the side (one
leg hides the other there); a jumping jack needs all four limbs. Given features instead of a
PoseSequence, their `found` mask is what counts as seen (no frame size to check).
"""

import numpy as np

from fitscore_core.errors import FitScoreError
from fitscore_core.fault_views import RECOMMENDED
from fitscore_core.features import ClipFeatures
from fitscore_core.pose.names import joint_words
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.pose.skeletons import BODY_25, MODEL_15
from fitscore_core.pose.view import SEEN, seen_mask

MIN_SHARE = 0.5

_LEG = ("Hip", "Knee", "Ankle")
_ARM = ("Shoulder", "Elbow", "Wrist")
_PUSH = ("Shoulder", "Elbow", "Wrist", "Hip")


def _one_side(parts: tuple[str, ...], extra: tuple[str, ...] = ()) -> tuple[tuple[str, ...], ...]:
    """Alternatives: the parts of the right side, or of the left side (plus `extra` in both)."""
    return tuple(extra + tuple(s + p for p in parts) for s in "RL")


# exercise -> alternatives; each alternative is a set of joints that must all be seen
NEEDED: dict[str, tuple[tuple[str, ...], ...]] = {
    "squat": _one_side(_LEG),
    "lunge": _one_side(_LEG),
    "bicep_curl": _one_side(_ARM, ("Neck",)),
    "front_raise": _one_side(_ARM, ("Neck",)),
    "shoulder_press": _one_side(_ARM, ("Neck",)),
    "shoulder_shrug": _one_side(_ARM, ("Neck",)),
    # the body line runs shoulder - hip - ankle; the knee draws it nearly as well (real
    # push-up clips often cut the feet off at the frame's edge)
    "push_up": _one_side(_PUSH + ("Ankle",)) + _one_side(_PUSH + ("Knee",)),
    "jumping_jack": (tuple(s + p for s in "RL" for p in _ARM + _LEG),),
}
# a view in which some needed joints are hidden behind the body by nature, not by framing:
# head-on, a push-up's legs are behind the trunk (the faults that need them are not judged
# from the front anyway, fault_views.py); the arms must be there
NEEDED_FROM: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {
    ("push_up", "front"): _one_side(_ARM, ("Neck",)),
}
# what an exercise needs, in words, where the generic listing would mislead
_NEED_WORDS = {"push_up": "the shoulders, elbows, wrists, hips and the knees or ankles of at "
                          "least one side",
               "jumping_jack": "both arms and both legs, shoulders to wrists and hips to "
                               "ankles"}
# what to film when the joints are missing, if the exercise has no recommendation
_FILM_WHOLE = "film the whole body in frame"
_PART_ORDER = ("Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle", "Neck", "Nose", "MidHip")
_MIDDLE = ("Neck", "Nose", "MidHip")


def _words(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _part(joint: str) -> str:
    return joint[1:] if joint[:1] in "RL" and joint[1:2].isupper() else joint


def _joints_of(key: str) -> tuple[str, ...]:
    """A joint ('RKnee'), or a part meaning both sides ('Knee' -> RKnee, LKnee)."""
    return (key,) if key in _MIDDLE or _part(key) != key else ("R" + key, "L" + key)


def seen_joints(source: PoseSequence | ClipFeatures) -> tuple[np.ndarray, tuple[str, ...]]:
    """(T, J) bool of seen joints and their names: from a PoseSequence (confidence >= SEEN,
    inside the frame when its size is known), or from features (their `found` mask)."""
    if isinstance(source, PoseSequence):
        seen = seen_mask(source)
        return seen[source.detected], BODY_25.joints
    found = np.asarray(source.found).T
    return found[found.any(axis=1)], MODEL_15.joints


def needed(exercise: str, view: str | None = None) -> tuple[tuple[str, ...], ...]:
    """The alternatives of joints `exercise` needs, filmed from `view` (() : no rule)."""
    return NEEDED_FROM.get((exercise, view or ""), NEEDED.get(exercise, ()))


def coverage(source: PoseSequence | ClipFeatures, exercise: str,
             view: str | None = None) -> float:
    """Share of the frames (where the person was found) in which the exercise's needed
    joints are all seen, for at least one alternative; 1.0 for an exercise without a rule."""
    alternatives = needed(exercise, view)
    if not alternatives:
        return 1.0
    seen, names = seen_joints(source)
    if not len(seen):
        return 0.0
    ok = np.zeros(len(seen), bool)
    for alt in alternatives:
        ok |= seen[:, [names.index(j) for j in alt]].all(axis=1)
    return float(ok.mean())


def check_coverage(source: PoseSequence | ClipFeatures, exercise: str,
                   auto: bool = False, view: str | None = None) -> float:
    """Raise FitScoreError when the needed joints are seen in fewer than MIN_SHARE of the
    frames; else return that share. `auto`: the exercise was recognised, not chosen (the
    message then says that another exercise can be chosen); `view`: the camera view
    (pose/view.py), for the joints a view hides by nature (NEEDED_FROM)."""
    share = coverage(source, exercise, view)
    if share >= MIN_SHARE:
        return share
    seen, names = seen_joints(source)
    alternatives = needed(exercise, view)
    # per body part, the share of frames where it is seen (on either side when one side is
    # enough, on both sides when both are needed)
    both_sides = len(alternatives) == 1
    parts: dict[str, float] = {}
    for alt in alternatives:
        for joint in alt:
            part = _part(joint)
            if both_sides:
                cols = [names.index(joint)]
                value = seen[:, cols].all(axis=1).mean() if len(seen) else 0.0
                key = joint
            else:
                cols = [names.index(j) for a in alternatives for j in a if _part(j) == part]
                value = seen[:, cols].any(axis=1).mean() if len(seen) else 0.0
                key = part
            parts[key] = min(parts.get(key, 1.0), float(value))
    missing = [k for k, v in parts.items() if v < MIN_SHARE]
    if not missing:   # each part seen often enough, but not together on one side
        missing = sorted(parts, key=parts.get)[:2]
    text = "the " + joint_words([j for key in missing for j in _joints_of(key)])
    need = sorted({_part(j) for a in alternatives for j in a}, key=_PART_ORDER.index)
    side = "all four limbs" if both_sides else "at least one side"
    middle = [joint_words(_joints_of(p)) for p in need if p in _MIDDLE]
    sided = [joint_words(_joints_of(p)) for p in need if p not in _MIDDLE]
    need_words = (_NEED_WORDS.get(exercise) if alternatives == NEEDED.get(exercise) else None) \
        or ((f"the {_words(middle)} and " if middle else "")
            + f"the {_words(sided)} of {side}")
    rec = RECOMMENDED.get(exercise)
    film = rec.advice if rec is not None else _FILM_WHOLE
    name = exercise.replace("_", " ").replace("push up", "push-up")
    verb = "are" if " and " in text or text.endswith("s") else "is"
    message = (f"{text[0].upper()}{text[1:]} {verb} out of view in most of the clip (the "
               f"joints a {name} is judged on are seen in {share:.0%} of the frames; it needs "
               f"{need_words}): {film}.")
    if auto:
        message += (f" The models took the clip for a {name}; if it is another exercise, "
                    "choose it.")
    raise FitScoreError(message)


__all__ = ["NEEDED", "NEEDED_FROM", "MIN_SHARE", "SEEN", "needed", "coverage", "check_coverage"]
