"""Scoring rubric: fault severities, tempo and range -> a 0-100 quality score a trainer can read.

    >>> from fitscore_core.synth.exercises import ClipSpec, generate_motion
    >>> from fitscore_core.synth.rubric import score_motion
    >>> good = score_motion(generate_motion(ClipSpec("squat", reps=3, seed=0)))
    >>> bad = score_motion(generate_motion(ClipSpec("squat", {"knees_caving_in": 0.8}, reps=3, seed=0)))
    >>> good.score > 90 > bad.score, len(bad.reps)
    (True, 3)

How a clip gets its score
-------------------------
Every rep starts at 100 points and loses points for what went wrong in that rep:

1. Faults. Each fault has a weight = the most points it can cost (FAULT_WEIGHTS below: 35 for
   faults that risk injury or lose most of the exercise's effect, such as knees caving in or
   stopping far above depth; 10-25 for form details). A fault of severity s (0 = absent,
   1 = as bad as it gets) costs weight x s in that rep.
2. Tempo. A rep faster than the exercise's comfortable minimum (ExerciseModel.tempo_ok) is
   rushed: up to 10 points, all 10 when it takes half the minimum time or less. A rep slower
   than the maximum costs up to 4 points (4 at twice the maximum).
3. Range. People rarely hit exactly the same depth twice: a rep that reaches a share a of the
   person's own full range (a <= 1) costs 40 x (1 - a) points, e.g. 97% of the range -> 1.2
   points. This is why a correct clip scores in the high 90s rather than always 100.

Rep score = 100 - (fault + tempo + range points), clipped to [0, 100].
Clip score = mean of the rep scores (every rep counts the same).

Score what is visible: given the camera's view, a fault that view cannot show in 2D
(fault_views.py: knees caving in, seen from the side) costs nothing. A model trained on these
labels is not asked to guess what its input cannot contain; the fault's severity stays in the
data set's labels, and the analysis reports such a fault as not judged from this view.
"""

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from fitscore_core.errors import FitScoreError
from fitscore_core.fault_views import judgeable
from fitscore_core.synth.exercises import EXERCISES, Motion

FAULT_WEIGHTS: dict[str, dict[str, float]] = {
    "squat": {"insufficient_depth": 35, "knees_caving_in": 35, "heels_lifting": 25,
              "excessive_forward_lean": 30, "asymmetric_descent": 25},
    "push_up": {"sagging_hips": 35, "piked_hips": 25, "partial_range": 35, "flared_elbows": 25,
                "head_dropping": 10},
    "lunge": {"knee_past_toes": 25, "torso_lean": 25, "short_step": 25, "knee_caving_in": 35},
    "bicep_curl": {"elbow_drift_forward": 25, "torso_swing": 35, "partial_range": 30,
                   "elbows_flaring": 20},
    "shoulder_press": {"arching_back": 35, "partial_lockout": 25, "uneven_arms": 25,
                       "pressing_forward": 25},
    "front_raise": {"torso_swing": 30, "arms_too_high": 20, "bent_elbows": 20, "shrugging": 20},
    "shoulder_shrug": {"rolling_shoulders": 30, "partial_range": 35, "head_forward": 20,
                       "bending_elbows": 20},
    "jumping_jack": {"arms_not_overhead": 30, "narrow_feet": 30, "bent_knees": 20,
                     "bent_arms": 15},
}
RUSHED_POINTS = 10.0
SLOW_POINTS = 4.0
RANGE_POINTS = 40.0


@dataclass(frozen=True)
class Deduction:
    reason: str
    points: float


@dataclass(frozen=True)
class RepScore:
    index: int
    score: float
    deductions: tuple[Deduction, ...]


@dataclass(frozen=True)
class ClipScore:
    exercise: str
    score: float
    reps: tuple[RepScore, ...]

    @property
    def rep_scores(self) -> tuple[float, ...]:
        return tuple(r.score for r in self.reps)

    def explain(self) -> str:
        """Plain-text breakdown, one line per rep, biggest deductions first."""
        lines = [f"{self.exercise}: {self.score:.1f}/100 (mean of {len(self.reps)} reps)"]
        for r in self.reps:
            ded = sorted(r.deductions, key=lambda d: -d.points)
            why = ", ".join(f"{d.reason} -{d.points:.1f}" for d in ded if d.points >= 0.05)
            lines.append(f"  rep {r.index + 1}: {r.score:.1f}" + (f" ({why})" if why else ""))
        return "\n".join(lines)


def score_reps(exercise: str, rep_faults: Sequence[Mapping[str, float]],
               rep_seconds: Sequence[float], rep_amplitude: Sequence[float],
               view: str = "unknown") -> ClipScore:
    """Apply the rubric to per-rep fault severities, durations (s) and range shares; faults
    `view` ("front", "diagonal", "side") cannot show cost nothing ("unknown": all count)."""
    if exercise not in FAULT_WEIGHTS:
        raise FitScoreError(f"unknown exercise {exercise!r}; choose one of: {', '.join(FAULT_WEIGHTS)}")
    if not len(rep_faults) == len(rep_seconds) == len(rep_amplitude) or not rep_faults:
        raise FitScoreError("need one fault dict, duration and range share per rep (at least one rep)")
    weights = FAULT_WEIGHTS[exercise]
    lo, hi = EXERCISES[exercise].tempo_ok
    reps = []
    for i, (faults, dur, amp) in enumerate(zip(rep_faults, rep_seconds, rep_amplitude)):
        ded = []
        for name, sev in faults.items():
            if name not in weights:
                raise FitScoreError(f"unknown fault {name!r} for {exercise}; its faults are: "
                                    f"{', '.join(weights)}")
            if not 0.0 <= sev <= 1.0:
                raise FitScoreError(f"severity of {name!r} must be between 0 and 1, got {sev}")
            if sev > 0 and judgeable(exercise, name, view):
                ded.append(Deduction(name.replace("_", " "), weights[name] * float(sev)))
        if dur < lo:
            ded.append(Deduction("rushed", RUSHED_POINTS * min(1.0, (lo - dur) / (0.5 * lo))))
        elif dur > hi:
            ded.append(Deduction("too slow", SLOW_POINTS * min(1.0, (dur - hi) / hi)))
        if amp < 1.0:
            ded.append(Deduction("range short of the person's best", RANGE_POINTS * (1.0 - float(amp))))
        score = min(max(100.0 - sum(d.points for d in ded), 0.0), 100.0)
        reps.append(RepScore(i, score, tuple(ded)))
    return ClipScore(exercise, float(np.mean([r.score for r in reps])), tuple(reps))


def score_motion(motion: Motion, view: str = "unknown") -> ClipScore:
    """The rubric score of a generated clip (its known faults, tempo and range) as a camera
    with `view` sees it."""
    return score_reps(motion.exercise, motion.rep_faults, motion.rep_seconds,
                      motion.rep_amplitude, view)
