"""From which camera views each fault can be judged in 2D, and where to film each exercise.

    >>> from fitscore_core.fault_views import judgeable, RECOMMENDED
    >>> judgeable("squat", "knees_caving_in", "side"), judgeable("squat", "knees_caving_in",
    ...                                                          "front")
    (False, True)
    >>> RECOMMENDED["push_up"].views
    ('side',)

Pure data. A fault moves joints in one plane: sideways (knees caving in, elbows flaring, one
arm lower) is seen from the front and lost from the side, where it runs along the camera's
line of sight; forward/backward (hips sagging, a forward lean, depth) is seen from the side
and lost from the front. A diagonal view (about 45°) shows both planes at ~70 %, so every
fault is judgeable from it; a vertical movement (how high the wrists go) is seen from
anywhere. A fault not in the table (a user-trained model's own fault), and any fault when
the view is "unknown", is judgeable: the table only ever hides what it knows to be hidden.
"""

from dataclasses import dataclass

ALL = ("front", "diagonal", "side")
FRONTAL = ("front", "diagonal")   # sideways movement: along a side camera's line of sight
SAGITTAL = ("side", "diagonal")   # forward/backward movement: along a front camera's one

# exercise -> fault -> the views it can be judged from
FAULT_VIEWS: dict[str, dict[str, tuple[str, ...]]] = {
    "squat": {
        "insufficient_depth": SAGITTAL,      # hip vs knee height: the thigh points at the camera
        "knees_caving_in": FRONTAL,          # the knees move inward, toward each other
        "heels_lifting": SAGITTAL,           # heels rise behind the toes, hidden from the front
        "excessive_forward_lean": SAGITTAL,  # the trunk tips toward a front camera
        "asymmetric_descent": FRONTAL,       # the hips shift and tilt sideways
    },
    "push_up": {
        "sagging_hips": SAGITTAL,            # hips below the body line, a profile
        "piked_hips": SAGITTAL,              # hips above that line, a profile
        "partial_range": SAGITTAL,           # chest-to-floor distance and elbow bend, in profile
        "flared_elbows": FRONTAL,            # elbows go out sideways, along a side camera's axis
        "head_dropping": SAGITTAL,           # the head hangs down out of the spine's line
    },
    "lunge": {
        "knee_past_toes": SAGITTAL,          # the knee travels forward over the foot
        "torso_lean": SAGITTAL,              # the trunk folds forward over the thigh
        "short_step": SAGITTAL,              # step length runs front to back
        "knee_caving_in": FRONTAL,           # the front knee moves inward
    },
    "bicep_curl": {
        "elbow_drift_forward": SAGITTAL,     # the elbows travel forward, toward a front camera
        "torso_swing": SAGITTAL,             # the trunk swings back and forth
        "partial_range": ALL,                # how high and low the wrists go: vertical
        "elbows_flaring": FRONTAL,           # elbows go out sideways; from the side one is hidden
    },
    "shoulder_press": {
        "arching_back": SAGITTAL,            # the trunk leans back, a curve seen in profile
        "partial_lockout": ALL,              # the wrists stop short overhead: vertical
        "uneven_arms": FRONTAL,              # one arm lower: from the side one hides the other
        "pressing_forward": SAGITTAL,        # the weight travels forward of the face
    },
    "front_raise": {
        "torso_swing": SAGITTAL,             # the trunk swings back and forth
        "arms_too_high": ALL,                # wrist height against the shoulders: vertical
        "bent_elbows": SAGITTAL,             # the arms bend in the forward plane, toward the lens
        "shrugging": ALL,                    # the shoulders rise toward the ears: vertical
    },
    "shoulder_shrug": {
        "rolling_shoulders": SAGITTAL,       # the shoulders circle forward and back
        "partial_range": ALL,                # how far the shoulders rise: vertical
        "head_forward": SAGITTAL,            # the chin pokes forward
        "bending_elbows": SAGITTAL,          # the forearms swing forward as the elbows bend
    },
    "jumping_jack": {
        "arms_not_overhead": FRONTAL,        # the arms sweep sideways, in the frontal plane
        "narrow_feet": FRONTAL,              # the feet jump out sideways
        "bent_knees": ALL,                   # the hips drop: vertical
        "bent_arms": FRONTAL,                # the sideways sweep bends; from the side both overlap
    },
}


@dataclass(frozen=True)
class Recommendation:
    """Where to film an exercise, in a trainer's words: the views from which all its faults
    can be judged — or, where the pose estimator loses the body from there on real clips,
    the view its scores hold from, with the faults that view cannot show (`not_shown`) and
    what it is for (`purpose`)."""

    views: tuple[str, ...]
    advice: str
    purpose: str = "to judge every fault"
    not_shown: tuple[str, ...] = ()


RECOMMENDED: dict[str, Recommendation] = {
    "squat": Recommendation(("diagonal",), "film from about 45° between the front and the "
                            "side, at hip height, the whole body in frame, feet included"),
    # Not the diagonal, although every push-up fault shows from there: MediaPipe loses a
    # prone body seen at an angle (PushFit's diagonal clips: the face on the hips, arms
    # guessed, the skeleton folded), and the scores rank real wrong push-ups at AUC 0.70
    # from a diagonal against 0.91 from the side (README, "Faults measured on the skeleton")
    "push_up": Recommendation(("side",), "film from the side, low to the floor, the whole "
                              "body from hands to feet in frame",
                              "for the most reliable score (flared elbows show only from the "
                              "front or a diagonal)", not_shown=("flared_elbows",)),
    "lunge": Recommendation(("diagonal",), "film from about 45° between the front and the "
                            "side of the leading leg, the whole body and both feet in frame"),
    "bicep_curl": Recommendation(("diagonal",), "film from about 45° between the front and "
                                 "the side, the upper body and both arms in frame"),
    "shoulder_press": Recommendation(("diagonal",), "film from about 45° between the front "
                                     "and the side, from the hips up with room above the "
                                     "hands"),
    "front_raise": Recommendation(("diagonal",), "film from about 45° between the front and "
                                  "the side, from the hips up with both arms in frame"),
    "shoulder_shrug": Recommendation(("diagonal",), "film from about 45° between the front "
                                     "and the side, head, shoulders and arms in frame"),
    "jumping_jack": Recommendation(("front", "diagonal"), "film from the front, the whole "
                                   "body with arms overhead and feet apart in frame"),
}


def judgeable(exercise: str, fault: str, view: str) -> bool:
    """Whether `fault` of `exercise` can be judged from `view` ("front", "diagonal", "side",
    "unknown"). Faults and exercises the table does not know, and the unknown view, are
    judgeable."""
    views = FAULT_VIEWS.get(exercise, {}).get(fault)
    return views is None or view not in ALL or view in views


def unjudgeable(exercise: str, faults, view: str) -> tuple[str, ...]:
    """The faults (in the given order) that cannot be judged from `view`."""
    return tuple(f for f in faults if not judgeable(exercise, f, view))


def well_filmed(exercise: str, view: str) -> bool:
    """Whether `view` is one from which every fault of `exercise` can be judged (unknown
    exercises and views: True — nothing to advise)."""
    rec = RECOMMENDED.get(exercise)
    return rec is None or view not in ALL or view in rec.views
