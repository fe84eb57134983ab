"""Faults measured on the skeleton: what plain geometry reads off the frames, per rep.

    >>> import numpy as np
    >>> from fitscore_core.compare.measured import body_line_deviation
    >>> xy = np.zeros((30, 1)); found = np.zeros((15, 1), bool)
    >>> for j, (x, y) in {2: (0, 0.5), 9: (1, 0.232), 11: (2, 0.5)}.items():  # shoulder, hip, ankle
    ...     xy[2 * j], xy[2 * j + 1], found[j] = x, y, True
    >>> round(float(body_line_deviation(xy, found, "R")[0]))   # y up: the hips sag 30°
    30
    >>> xy[19] = 0.768                                          # the hips piked up instead
    >>> round(float(body_line_deviation(xy, found, "R")[0]))
    -30

The networks' fault heads learned their faults on synthetic people. On real push-ups their
`sagging hips` and `piked hips` rank the wrong clips over the correct ones little better
than chance, while the angle at the hips between the shoulders and the ankles ranks them
well (README, "Faults measured on the skeleton"). A measured fault is one a trainer can
check on the frame ("hips 18° out of a straight body line"), and it is only measured
from the views that show it (fault_views.py).

Each Measure reads a per-frame signal over a rep's frames into one number, larger = worse.
Its severity is on the rubric's scale (synth/rubric.py): 0 up to what good reps show
(`tolerance`), 1 from what the worst synthetic reps show (`full`), linear between; it costs
the rubric's points, weight × severity. Both numbers are read off synthetic clips, per view
(`python -m fitscore_core bench measured`), never off real ones.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fitscore_core.fault_views import judgeable
from fitscore_core.pose.skeletons import MODEL_15

_J = {name: i for i, name in enumerate(MODEL_15.joints)}
MIN_MEASURED = 0.5   # a rep measured in fewer of its frames than this share is not measured
THIGH_SHARE = 0.5    # a thigh seen shorter than this share of the trunk gives no direction
FLAG = 0.5           # a measured fault is told as a cue from this severity on (half way to
                     # the worst synthetic reps; as a model's fault from probability 0.5)


@dataclass(frozen=True)
class MeasuredFault:
    """One measured fault in one rep (rep: 0-based index; None = the whole clip)."""

    fault: str
    rep: int | None
    value: float
    severity: float
    points: float
    what: str            # how to read the value: "° out of a straight body line"

    def describe(self) -> str:
        return f"{self.value:.0f}{self.what}"


# ------------------------------------------------------------------ per-frame signals

def _xy(values: np.ndarray) -> np.ndarray:
    return values.reshape(15, 2, -1).astype(np.float64)


def _seen(found: np.ndarray, *names: str) -> np.ndarray:
    return np.all([found[_J[n]] for n in names], axis=0)


def _both_sides(one_side: Callable, values: np.ndarray, found: np.ndarray) -> np.ndarray:
    """The mean of the two sides where seen (from the side, the far one is often hidden)."""
    sides = np.stack([one_side(values, found, s) for s in ("R", "L")])
    seen = np.isfinite(sides)
    return np.where(seen.any(0), np.nansum(sides, 0) / np.maximum(seen.sum(0), 1), np.nan)


def _inner_angle(a: np.ndarray, vertex: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Degrees of the angle a-vertex-b, per frame (points are (2, T))."""
    u, w = a - vertex, b - vertex
    return np.degrees(np.arctan2(np.abs(u[0] * w[1] - u[1] * w[0]), u[0] * w[0] + u[1] * w[1]))


def _bend_toward_floor(a: np.ndarray, vertex: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Degrees the path a-vertex-b bends at the vertex: + where the vertex lies below the
    a-b line (toward the floor, y up), - above it."""
    line = b - a
    cross = line[0] * (vertex[1] - a[1]) - line[1] * (vertex[0] - a[0])
    below = np.where(line[0] >= 0, cross < 0, cross > 0)
    bend = 180.0 - _inner_angle(a, vertex, b)
    return np.where(below, bend, -bend)


def body_line_deviation(values: np.ndarray, found: np.ndarray, side: str) -> np.ndarray:
    """(30, T) features (y up), (15, T) found -> (T,) degrees the hip bends out of the
    body's straight line on one side: + toward the floor (sag), - away from it (pike), NaN
    where the shoulder, the hip or the line's far end is not seen.

    The line runs from the shoulder to the ankle, or to the knee where the ankle is not seen
    (feet cut off by the frame): a straight leg points the same way from the knee. Only a
    thigh that looks at least THIGH_SHARE as long as the trunk gives that direction; a
    shorter one points at the lens (a push-up filmed from the head end), or its knee is a
    guess beside the hip."""
    xy = _xy(values)
    s, h, k, a = (xy[_J[side + name]] for name in ("Shoulder", "Hip", "Knee", "Ankle"))
    seen_a = found[_J[side + "Ankle"]]
    long_thigh = np.hypot(*(k - h)) >= THIGH_SHARE * np.hypot(*(s - h))
    by_knee = found[_J[side + "Knee"]] & ~seen_a & long_thigh
    return np.where(_seen(found, side + "Shoulder", side + "Hip") & (seen_a | by_knee),
                    _bend_toward_floor(s, h, np.where(seen_a, a, k)), np.nan)


def thigh_elevation(values: np.ndarray, found: np.ndarray, side: str) -> np.ndarray:
    """Degrees the hip is above the knee along the thigh: 90 standing, 0 at parallel,
    negative below it (y up)."""
    xy = _xy(values)
    hip, knee = xy[_J[side + "Hip"]], xy[_J[side + "Knee"]]
    angle = np.degrees(np.arctan2(hip[1] - knee[1], np.abs(hip[0] - knee[0])))
    return np.where(_seen(found, side + "Hip", side + "Knee"), angle, np.nan)


def upper_arm_from_trunk(values: np.ndarray, found: np.ndarray, side: str) -> np.ndarray:
    """Degrees between the upper arm (shoulder to elbow) and the trunk (shoulder to hip)."""
    xy = _xy(values)
    sh, el, hip = (xy[_J[side + n]] for n in ("Shoulder", "Elbow", "Hip"))
    angle = _inner_angle(el, sh, hip)
    return np.where(_seen(found, side + "Shoulder", side + "Elbow", side + "Hip"), angle, np.nan)


def elbow_bend(values: np.ndarray, found: np.ndarray, side: str) -> np.ndarray:
    """Degrees the elbow is bent: 0 for a straight arm (180 less the elbow's inner angle)."""
    xy = _xy(values)
    sh, el, wr = (xy[_J[side + n]] for n in ("Shoulder", "Elbow", "Wrist"))
    inner = _inner_angle(sh, el, wr)
    return np.where(_seen(found, side + "Shoulder", side + "Elbow", side + "Wrist"),
                    180.0 - inner, np.nan)


SIGNALS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "body line": lambda v, f: _both_sides(body_line_deviation, v, f),
    "thigh elevation": lambda v, f: _both_sides(thigh_elevation, v, f),
    "upper arm from trunk": lambda v, f: _both_sides(upper_arm_from_trunk, v, f),
    "elbow bend": lambda v, f: _both_sides(elbow_bend, v, f),
}


# ------------------------------------------------------------------ reading a rep

def either_way(seen: np.ndarray) -> tuple[float, int]:
    """How far the frames stray either way (90th percentile of |value|) and to which side
    (+1 / -1: the sign of the larger half's mean). Real push-ups stray both ways in one rep
    (hips high at the top, sagging at the bottom), so the size is read on both sides and
    told as the fault of the side it leans to."""
    size = np.abs(seen)
    larger = seen[size >= np.median(size)]
    return float(np.percentile(size, 90)), 1 if larger.mean() >= 0 else -1


def highest(seen: np.ndarray) -> tuple[float, int]:
    """The rep's worst frames: its 90th percentile (not one jittery frame)."""
    return float(np.percentile(seen, 90)), 0


def lowest(seen: np.ndarray) -> tuple[float, int]:
    """The rep's bottom: its 10th percentile."""
    return float(np.percentile(seen, 10)), 0


@dataclass(frozen=True)
class Measure:
    """A fault read off one signal: how a rep's frames become its value, the side of a
    two-sided reading it is (0: one-sided), the scale per view and the rubric's weight."""

    exercise: str
    fault: str
    signal: str                                  # a SIGNALS key
    read: Callable[[np.ndarray], tuple[float, int]]
    what: str                                    # the value's unit and meaning
    scale: dict[str, tuple[float, float]]        # view -> (tolerance, full)
    weight: float                                # the rubric's points at severity 1
    side: int = 0

    def severity(self, value: float, view: str) -> float:
        tolerance, full = self.scale[view]
        return float(np.clip((value - tolerance) / (full - tolerance), 0.0, 1.0))


def rep_value(measure: Measure, signal: np.ndarray, start: int, end: int
              ) -> tuple[float, int] | None:
    """The measure's reading of frames [start, end), or None when too few were measured."""
    part = signal[start:end]
    seen = part[np.isfinite(part)]
    if end <= start or len(seen) < max(1, MIN_MEASURED * (end - start)):
        return None
    return measure.read(seen)


# Severity 1 of the synthetic faults (synth/moves/): 22° (sag) or 30° (pike) of lower-spine
# bend, 55 % of the depth lost, 42° of shoulder flexion (curl), 65° of elbow bend and 50° of
# arm raised too high (front raise). `scale` is what the 2D skeleton of such reps shows, per
# view (`bench measured`: 1 500 fresh synthetic clips, seed 8080); `what` is the unit and
# meaning of the value. Here are only the faults and views whose value follows the true
# severity with a Spearman ρ of 0.35 or more on those clips and whose caps cost the
# held-out synthetic score little (at most 0.12 of MAE per exercise, `bench measured`'s
# second table; the press's lockout cost 0.53). Left to the
# models: the press's lockout (ρ 0.29 from the side; from the front and a diagonal its caps
# took the press's score MAE from 5.35 to 5.88), knees caving in (the knees' gap against
# the ankles': ρ 0.40 from the front, 0.26 from a diagonal, and a noise-free clip at full
# severity read half way), the front raise's height seen from the front (ρ 0.63, but an
# arm pointing at the lens has no 2D angle to speak of: a correct noise-free rep read 137°),
# the push-up's range (the elbows' angle at the bottom: ρ 0.48 from the side, but its caps
# took the push-up's score MAE from 5.55 to 5.76) and its flared elbows from the front (the
# elbows' spread over the hands': ρ 0.54, but a noise-free rep at full severity read 157 %
# against the good reps' tolerance of 170 %: noise sets that scale, not the fault).
MEASURES: dict[str, tuple[Measure, ...]] = {
    "push_up": (
        Measure("push_up", "sagging_hips", "body line", either_way,
                "° out of a straight body line, hips low",
                {"side": (8.7, 14.3), "diagonal": (9.8, 18.9)}, 35.0, side=+1),
        Measure("push_up", "piked_hips", "body line", either_way,
                "° out of a straight body line, hips high",
                {"side": (8.7, 15.7), "diagonal": (9.8, 27.6)}, 25.0, side=-1),
    ),
    "squat": (
        Measure("squat", "insufficient_depth", "thigh elevation", lowest,
                "° above parallel at the bottom (hips over knees)",
                {"side": (5.6, 39.9), "diagonal": (22.7, 49.5)}, 35.0),
    ),
    "bicep_curl": (
        Measure("bicep_curl", "elbow_drift_forward", "upper arm from trunk", highest,
                "° between the upper arm and the trunk",
                {"side": (14.4, 42.3), "diagonal": (21.4, 39.6)}, 25.0),
    ),
    "front_raise": (
        Measure("front_raise", "bent_elbows", "elbow bend", highest, "° of elbow bend",
                {"side": (27.0, 72.8), "diagonal": (28.6, 82.2)}, 20.0),
        Measure("front_raise", "arms_too_high", "upper arm from trunk", highest,
                "° between the upper arm and the trunk at the top",
                {"side": (93.4, 131.3), "diagonal": (99.5, 144.9)}, 20.0),
    ),
}


def measurable(exercise: str, view: str) -> tuple[str, ...]:
    """The faults of `exercise` measured on the skeleton from `view`."""
    return tuple(m.fault for m in MEASURES.get(exercise, ())
                 if view in m.scale and judgeable(exercise, m.fault, view))


def measure_faults(exercise: str, view: str, values: np.ndarray, found: np.ndarray,
                   reps: list[tuple[int, int]]) -> tuple[MeasuredFault, ...]:
    """Every measured fault of `exercise` that `view` can judge, in each rep (frame ranges
    of the features, end exclusive; the whole clip when no rep was found). A two-sided
    reading gives the fault of the side it leans to."""
    faults = measurable(exercise, view)
    measures = [m for m in MEASURES.get(exercise, ()) if m.fault in faults]
    signals = {m.signal: SIGNALS[m.signal](values, found) for m in measures}
    spans = [(k, s, e) for k, (s, e) in enumerate(reps)] or [(None, 0, values.shape[1])]
    out = []
    for k, start, end in spans:
        for m in measures:
            got = rep_value(m, signals[m.signal], start, end)
            if got is not None and (m.side == 0 or got[1] == m.side):
                severity = m.severity(got[0], view)
                out.append(MeasuredFault(m.fault, k, got[0], severity, m.weight * severity,
                                         m.what))
    return tuple(out)


def ceilings(measured: tuple[MeasuredFault, ...], n_reps: int) -> list[float]:
    """Per rep (or [clip] when n_reps is 0): the most a rep can score, 100 less the points of
    its measured faults."""
    out = [100.0] * max(n_reps, 1)
    for f in measured:
        k = 0 if f.rep is None else f.rep
        if k < len(out):
            out[k] -= f.points
    return out
