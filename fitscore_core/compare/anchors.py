"""Local joint positions: each joint measured from the joint it hangs from, the floor up.

    >>> import numpy as np
    >>> from fitscore_core.compare.anchors import Anchors, local_positions
    >>> values, found = np.zeros((30, 4), np.float32), np.ones((15, 4), bool)
    >>> rel, ok = local_positions(values, found, Anchors.of("squat", ground_visible=True))
    >>> rel.shape, ok.shape
    ((15, 2, 4), (15, 4))

Why: comparing joints by position blames every joint downstream of a fault. A squat with
too much forward lean moves the wrists furthest, a push-up whose hips sag shifts the whole
clip (features are centred on the hips), and a client with longer legs "differs" at every
joint above the knees. Measured locally, a fault shows where it happens:

  - the supports anchor the chain: MidHip is measured from the ankles' midpoint (hip height
    and sway over the feet), and on the hands (push-ups) the wrists too, so the arms are
    read from the floor up (a half push-up shows at the shoulders over the elbows);
  - otherwise a joint is measured from its neighbour towards the trunk: knees from the hips,
    ankles from the knees, Neck from MidHip (trunk lean), Nose and shoulders from Neck,
    elbows from the shoulders, wrists from the elbows;
  - the client's local vectors are scaled to the reference's limb lengths (limb_scale), so
    people of other proportions are compared by the directions of their limbs.

All vectors are in torso lengths (normalized features), y up.
"""

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from fitscore_core.features import ClipFeatures
from fitscore_core.pose.skeletons import MODEL_15

GROUND = "ground"   # the midpoint of the ankles
STANDING_ANCHORS = {
    "Nose": "Neck", "Neck": "MidHip", "RShoulder": "Neck", "RElbow": "RShoulder",
    "RWrist": "RElbow", "LShoulder": "Neck", "LElbow": "LShoulder", "LWrist": "LElbow",
    "MidHip": GROUND, "RHip": "MidHip", "RKnee": "RHip", "RAnkle": "RKnee",
    "LHip": "MidHip", "LKnee": "LHip", "LAnkle": "LKnee"}
HANDS_DOWN_ANCHORS = dict(STANDING_ANCHORS, RWrist=GROUND, LWrist=GROUND, RElbow="RWrist",
                          LElbow="LWrist", RShoulder="RElbow", LShoulder="LElbow")
HANDS_DOWN = frozenset({"push_up"})        # exercises done with the hands on the floor
MIN_SCALE, MAX_SCALE = 0.7, 1.4             # limb-length ratios beyond this are not a body
_J = {name: i for i, name in enumerate(MODEL_15.joints)}


@dataclass(frozen=True)
class Anchors:
    """What each joint's local vector starts from.

    index (15,): the anchor joint (the joint itself where ground is True); ground (15,):
    measured from the ankles' midpoint, or, when the ankles are not in the picture
    (ground_visible False), from nothing: its clip-centred position.
    """

    index: np.ndarray
    ground: np.ndarray
    ground_visible: bool

    @staticmethod
    def of(exercise: str | None, ground_visible: bool) -> "Anchors":
        plan = HANDS_DOWN_ANCHORS if exercise in HANDS_DOWN else STANDING_ANCHORS
        names = [plan[j] for j in MODEL_15.joints]
        index = np.array([i if a == GROUND else _J[a] for i, a in enumerate(names)])
        return Anchors(index, np.array([a == GROUND for a in names]), ground_visible)


def local_positions(values: np.ndarray, found: np.ndarray, anchors: Anchors
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(30, F) features, (15, F) found -> ((15, 2, F) each joint minus its anchor, (15, F)
    found: where the joint and its anchor both are)."""
    xy = values.reshape(15, 2, -1).astype(np.float64)
    rel = xy - xy[anchors.index]
    ok = found & found[anchors.index]
    g = anchors.ground
    if anchors.ground_visible:
        rel[g] = xy[g] - (xy[_J["RAnkle"]] + xy[_J["LAnkle"]]) / 2
        ok[g] = found[g] & found[_J["RAnkle"]] & found[_J["LAnkle"]]
    else:
        rel[g] = xy[g]
        ok[g] = found[g]
    return rel, ok


def limb_scale(client: ClipFeatures, references: Sequence[ClipFeatures], anchors: Anchors
               ) -> np.ndarray:
    """(15,) factor taking each of the client's local vectors to the reference's length.

    A length is the 95th percentile over a clip (the limb seen at its longest, least
    foreshortened), so the client's own foreshortening as they move is kept; the reference
    length is the median over its clips. Clamped to [MIN_SCALE, MAX_SCALE]; 1 where a joint
    is never seen, and for clip-centred positions (no ground in the picture).
    """
    def lengths(f: ClipFeatures) -> np.ndarray:
        rel, ok = local_positions(f.values, f.found, anchors)
        norm = np.where(ok, np.hypot(rel[:, 0], rel[:, 1]), np.nan)
        return np.nanpercentile(norm, 95, axis=1)

    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)      # all-NaN rows: never seen
        ref = np.nanmedian(np.stack([lengths(f) for f in references]), axis=0)
        ratio = ref / lengths(client)
    ratio[~np.isfinite(ratio)] = 1.0
    if not anchors.ground_visible:
        ratio[anchors.ground] = 1.0
    return np.clip(ratio, MIN_SCALE, MAX_SCALE)


def local_features(f: ClipFeatures, anchors: Anchors, scale: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(30, T) local vectors (times `scale`, 0 where not found; rows like ROW_LABELS) and
    (15, T) found: what DTW aligns, so that alignment and ranking see the same thing."""
    rel, ok = local_positions(f.values, f.found, anchors)
    if scale is not None:
        rel = rel * scale[:, None, None]
    rel = np.where(ok[:, None, :], rel, 0.0)
    return rel.reshape(30, -1), ok
