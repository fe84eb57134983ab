"""Hands held still while an upright body travels up and down, feet and all: hanging from a
bar (pull-ups, chin-ups) or pushing on bars (dips), which none of FitScore's exercises is.

    >>> import numpy as np
    >>> from fitscore_core.pose.hanging import read_hanging
    >>> from fitscore_core.pose.sequence import PoseSequence
    >>> t = np.linspace(0, 4 * np.pi, 120)
    >>> k = np.zeros((120, 25, 3), np.float32)          # confidence 0: not seen
    >>> for j, (x, y) in {1: (320, 200), 8: (320, 300), 2: (290, 200), 5: (350, 200),
    ...                   4: (290, 60), 7: (350, 60), 9: (305, 300), 12: (335, 300),
    ...                   11: (305, 420), 14: (335, 420)}.items():
    ...     # neck, mid-hip, shoulders, wrists on the bar, hips, ankles
    ...     k[:, j] = x, y, 0.9
    >>> for j in (1, 8, 2, 5, 9, 12, 11, 14):
    ...     k[:, j, 1] += 50 * np.sin(t)                         # the body goes up and down
    >>> read_hanging(PoseSequence(k, 30.0, (640, 480))).hangs
    True

The networks learned pull-ups and dips only as synthetic `unknown` movements, and on real
ones (WorkoutTracker's, filmed from behind with the arms overhead, or small beside another
person) they still name an exercise — a press, a squat — at over 80 %. The geometry is plain
where the networks are not: of the exercises FitScore knows, only the squat and the lunge
move the shoulders up and down by half a trunk length or more, and in both the feet stay
planted (the hands may hold still: arms held forward in a squat); hanging or on bars, the
hands hold still and the feet travel with the body. In a push-up the trunk lies flat
(filmed from the head end it looks upright in 2D, but end-on: short against the hips').
Read in the video's pixels (the features are centred on the body, which takes the travel
out), on the joints the camera saw.
"""

from dataclasses import dataclass

import numpy as np

from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.pose.skeletons import BODY_25
from fitscore_core.pose.view import seen_mask

_J = {name: i for i, name in enumerate(BODY_25.joints)}
UPRIGHT_DEG = 35.0        # a trunk within this of vertical is upright
MIN_UPRIGHT = 0.8         # ... in at least this share of the frames where it is seen
MIN_TRUNK = 2.0           # ... and seen at least this many hip widths long (an upright trunk is
                          # ~3; a push-up filmed from the head end, its trunk end-on, reads
                          # "upright" in 2D at 1.1-1.7)
MIN_TRAVEL = 0.5          # the shoulders travel up and down at least this many trunk lengths
MAX_HANDS_SHARE = 0.5     # ... and the hands less than this share of the shoulders' travel,
MIN_FEET_SHARE = 0.5      # ... while the feet (or knees) travel with them, at least this share
MIN_FRAMES = 10
# The confidence of an `unknown` this check answers: its precision on 2 000 fresh synthetic
# clips (`bench hanging`: of the clips it read as hanging, the share that were no exercise)
HANG_CONFIDENCE = 0.96


@dataclass(frozen=True)
class HangReading:
    """What the skeleton shows: the share of frames with the trunk upright, the trunk's
    length in hip widths (medians), the shoulders' vertical travel in trunk lengths (5th to
    95th percentile), and the hands' and the feet's (else the knees') travel over the
    shoulders' (NaN where too few frames show the joints)."""

    upright: float
    trunk: float
    shoulder_travel: float
    hands_share: float
    feet_share: float = np.nan     # NaN: no leg seen (a clip cut at the hips)

    @property
    def hangs(self) -> bool:
        return bool(self.upright >= MIN_UPRIGHT and self.trunk >= MIN_TRUNK
                    and self.shoulder_travel >= MIN_TRAVEL
                    and self.hands_share < MAX_HANDS_SHARE
                    and not self.feet_share < MIN_FEET_SHARE)

    def describe(self) -> str:
        return f"the hands moved {self.hands_share:.0%} as far as the shoulders"


def _joint(xy: np.ndarray, seen: np.ndarray, *names: str) -> np.ndarray:
    """(T, 2): the mean of the named joints seen in each frame (NaN: none of them seen)."""
    idx = [_J[n] for n in names]
    pts, ok = xy[:, idx], seen[:, idx]
    count = ok.sum(1, keepdims=True)
    return np.where(count > 0, (pts * ok[..., None]).sum(1) / np.maximum(count, 1), np.nan)


def read_hanging(seq: PoseSequence) -> HangReading:
    """The clip's HangReading, from the joints the camera saw (pixels, y down)."""
    xy, seen = seq.keypoints[..., :2].astype(np.float64), seen_mask(seq)
    trunk = _joint(xy, seen, "Neck") - _joint(xy, seen, "MidHip")
    shoulders = _joint(xy, seen, "RShoulder", "LShoulder")[:, 1]
    hands = _joint(xy, seen, "RWrist", "LWrist")[:, 1]
    length = np.hypot(*trunk.T)
    hip_width = np.hypot(*(_joint(xy, seen, "RHip") - _joint(xy, seen, "LHip")).T)
    has_trunk, both = np.isfinite(length), np.isfinite(shoulders) & np.isfinite(hands)
    if has_trunk.sum() < MIN_FRAMES or both.sum() < MIN_FRAMES:
        return HangReading(np.nan, np.nan, np.nan, np.nan)
    tilt = np.degrees(np.arctan2(np.abs(trunk[has_trunk, 0]), -trunk[has_trunk, 1]))
    travel, torso = _travel(shoulders[both]), np.median(length[has_trunk])
    ankles = _joint(xy, seen, "RAnkle", "LAnkle")[:, 1]
    feet = np.where(np.isfinite(ankles), ankles, _joint(xy, seen, "RKnee", "LKnee")[:, 1])
    legs = np.isfinite(feet) & np.isfinite(shoulders)
    with np.errstate(divide="ignore", invalid="ignore"):
        return HangReading(
            float(np.mean(tilt < UPRIGHT_DEG)),
            float(torso / np.nanmedian(hip_width)) if np.isfinite(hip_width).any() else np.nan,
            float(travel / torso), float(_travel(hands[both]) / travel),
            float(_travel(feet[legs]) / _travel(shoulders[legs])) if legs.sum() >= MIN_FRAMES
            else np.nan)


def _travel(y: np.ndarray) -> np.float64:
    """How far y runs, 5th to 95th percentile."""
    return np.percentile(y, 95) - np.percentile(y, 5)   # numpy's: 0 / 0 gives NaN


def shoulder_height(seq: PoseSequence) -> np.ndarray:
    """(T,) the shoulders' height in trunk lengths (image y, down; unseen frames
    interpolated): the rep signal of a pull-up or a dip, where the body travels and the hands
    hold still (scorers/reps.excursion_from_rest). Zeros when the shoulders or the trunk are
    seen in too few frames."""
    xy, seen = seq.keypoints[..., :2].astype(np.float64), seen_mask(seq)
    y = _joint(xy, seen, "RShoulder", "LShoulder")[:, 1]
    trunk = np.hypot(*(_joint(xy, seen, "Neck") - _joint(xy, seen, "MidHip")).T)
    ok = np.isfinite(y)
    if ok.sum() < MIN_FRAMES or np.isfinite(trunk).sum() < MIN_FRAMES:
        return np.zeros(seq.n_frames)
    t = np.arange(seq.n_frames)
    return np.interp(t, t[ok], y[ok]) / np.nanmedian(trunk)
