"""The clip's timeline: each rep (its number, its score) and each moment a fault shows.

    >>> from fitscore_core.timeline import timeline
    >>> for mark in timeline(analysis):                       # doctest: +SKIP
    ...     print(mark.kind, mark.label, f"{mark.start_s:.1f}-{mark.end_s:.1f} s")
    rep Rep 1 · 72 1.0-3.3 s
    fault Knees caving in 1.9-1.9 s

What the dashboard draws under the video; a click on a mark seeks the video to `seek_s`.

- A rep is the verdict's (verdict.py): the mean of the models' scores of that rep, rounded
  to an integer as everywhere (`verdict.rounded`).
- A fault is marked where it shows: for a fault a model flags and the comparison backs up
  (feedback source "models and comparison"), the moment its joints are furthest from the
  reference in each rep where they come within 70 % of their largest deviation (the reps
  the feedback names). A fault only the models flag has no moment (the models judge the
  whole clip) and gets no mark.
"""

from dataclasses import dataclass

import numpy as np

from fitscore_core.analysis import Analysis, words
from fitscore_core.compare.feedback import joint_evidence
from fitscore_core.pose.skeletons import MODEL_15
from fitscore_core.verdict import make_verdict


@dataclass(frozen=True)
class Mark:
    kind: str                  # "rep" or "fault"
    start_s: float
    end_s: float               # a fault is a moment: end_s == start_s
    label: str                 # "Rep 2 · 81", "Knees caving in"
    score: int | None = None   # a rep's score, rounded
    rep: int | None = None     # 1-based rep number (a fault: the rep it shows in)
    fault: str | None = None

    @property
    def seek_s(self) -> float:
        """Where a click on the mark puts the video."""
        return self.start_s


def rep_marks(analysis: Analysis) -> list[Mark]:
    """One mark per rep of the verdict (its score: the mean of the models' rep scores)."""
    return [Mark("rep", r.start_s, r.end_s,
                 f"Rep {r.number}" + (f" · {r.score}" if r.score is not None else ""),
                 score=r.score, rep=r.number) for r in make_verdict(analysis).reps]


def fault_marks(analysis: Analysis) -> list[Mark]:
    """One mark per (fault backed up by the comparison, rep it shows in), at the moment
    its joints are furthest from the reference in that rep."""
    comparison = analysis.comparison
    if comparison is None:
        return []
    marks = []
    for line in analysis.feedback:
        if line.fault is None or line.source != "models and comparison" or not line.joints:
            continue
        reps, _, _ = joint_evidence(comparison, line.joints)
        rows = [MODEL_15.joints.index(j) for j in line.joints]
        dev = np.where(np.isfinite(comparison.local_deviation[rows]),
                       comparison.local_deviation[rows], -np.inf).max(axis=0)
        for rep in reps:
            a = comparison.alignments[rep - 1]
            frame = a.client_start + int(np.argmax(dev[a.client_start:a.client_end]))
            at = frame / comparison.fps
            marks.append(Mark("fault", at, at, words(line.fault).capitalize(), rep=rep,
                              fault=line.fault))
    return sorted(marks, key=lambda m: m.start_s)


def timeline(analysis: Analysis) -> list[Mark]:
    """The reps, then the fault moments, of the analysis."""
    return rep_marks(analysis) + fault_marks(analysis)
