"""Feedback a trainer can read: the models' faults and the reference comparison, in sentences.

    >>> from fitscore_core.compare.feedback import write_feedback
    >>> for line in write_feedback(comparison, analysis.predictions, "squat"):  # doctest: +SKIP
    ...     print(line.text)
    Knees caving in (cnn1d 91%, lstm 84%): knees collapse inward (valgus) instead of tracking
    over the toes. The knees differ most from the reference in reps 2 and 4 (up to 0.31 torso
    lengths at 1.8 s).

Each sentence says where it comes from, and the two sources never overrule each other
silently:
  - "models and comparison": a model flags the fault (probability >= FLAG) and one of the
    fault's joints is among the three that differ most from the reference;
  - "models only": a model flags it but the comparison does not show it (said so, with the
    figure);
  - "comparison only": one of the three joints that differ most is clearly off (CLEARLY_OFF),
    but no flagged fault involves it (said so: the models do not call it a fault).
When the two models disagree on a fault, both probabilities are in the sentence.
A fault that cannot be judged from the clip's camera angle (`unjudged`, see
fault_views.py) is never spoken about, whatever probability a model gave it; a joint
that stands out where only such a fault could explain it says so instead of "Neither model
flags a fault there".
"""

from dataclasses import dataclass

import numpy as np

from fitscore_core.compare.comparison import Comparison
from fitscore_core.pose.names import joint_words
from fitscore_core.pose.skeletons import MODEL_15

FLAG = 0.5         # a model flags a fault from this probability on
NOTICEABLE = 0.08  # torso lengths: a fault's joints must be this far off, and among the three
                   # joints that differ most, for the comparison to back the fault up
CLEARLY_OFF = 0.10  # a top-3 joint this far off (90th percentile) is worth a sentence alone
@dataclass(frozen=True)
class Feedback:
    text: str
    source: str                # "models and comparison", "models only", "comparison only", ""
    fault: str | None = None   # the fault the sentence is about
    joints: tuple[str, ...] = ()


def model_joints(joints: tuple[str, ...]) -> tuple[str, ...]:
    """A fault's joints as the 15 model joints (heels -> ankles, eyes -> nose)."""
    out = []
    for j in joints:
        side, part = (j[0], j[1:]) if j[:1] in "RL" and j[1:2].isupper() else ("", j)
        name = ("Nose" if part in ("Eye", "Ear") else
                side + "Ankle" if part in ("Heel", "BigToe", "SmallToe") else j)
        if name in MODEL_15.joints and name not in out:
            out.append(name)
    return tuple(out)


def _listing(numbers: list[int]) -> str:
    text = [str(n) for n in numbers]
    return text[0] if len(text) == 1 else ", ".join(text[:-1]) + " and " + text[-1]


def joint_evidence(comparison: Comparison, joints: tuple[str, ...]
                   ) -> tuple[list[int], float, float]:
    """(reps (1-based) where the joints come within 70 % of their largest deviation, that
    deviation (torso lengths, local) and its time in s); no reps when none of the joints is
    among the three that differ most, or the deviation is below NOTICEABLE."""
    rows = [MODEL_15.joints.index(j) for j in joints]
    dev = np.where(np.isfinite(comparison.local_deviation[rows]),
                   comparison.local_deviation[rows], -np.inf) if rows else np.empty((0, 0))
    if not np.isfinite(dev).any():
        return [], float("nan"), float("nan")
    per_frame = dev.max(axis=0)
    peak, frame = float(per_frame.max()), int(per_frame.argmax())
    if peak < NOTICEABLE or not set(joints) & set(comparison.top_joints(3)):
        return [], peak, frame / comparison.fps
    reps = [k + 1 for k, a in enumerate(comparison.alignments)
            if per_frame[a.client_start:a.client_end].max(initial=-np.inf) >= 0.7 * peak]
    return reps, peak, frame / comparison.fps


def _where(words: str, reps: list[int], peak: float, at: float) -> str:
    plural = words.endswith("s") and " and " not in words
    reps_text = f"rep {reps[0]}" if len(reps) == 1 else f"reps {_listing(reps)}"
    verb = "differ" if plural or " and " in words else "differs"
    return (f"The {words} {verb} most from the reference in {reps_text} (up to {peak:.2f} "
            f"torso lengths at {at:.1f} s).")


def write_feedback(comparison: Comparison, predictions: dict, exercise: str,
                   descriptions: dict[str, str] | None = None,
                   fault_joints: dict[str, tuple[str, ...]] | None = None,
                   unjudged=()) -> list[Feedback]:
    """Sentences about the flagged faults, then about visible differences no fault explains.

    predictions: model name -> ModelPrediction (faults: name -> probability). descriptions
    and fault_joints default to the synthesizer's for its exercises (none for new ones).
    unjudged: faults the camera angle cannot show; they are left out of every sentence.
    """
    if descriptions is None or fault_joints is None:
        from fitscore_core.synth.exercises import EXERCISES
        spec = {f.name: f for f in EXERCISES[exercise].faults} if exercise in EXERCISES else {}
        descriptions = descriptions or {n: f.description for n, f in spec.items()}
        fault_joints = fault_joints or {n: f.joints for n, f in spec.items()}
    unjudged = set(unjudged)
    faults = sorted({f for p in predictions.values() for f in p.faults} - unjudged)
    out, explained = [], set()
    for fault in faults:
        probs = {m: p.faults[fault] for m, p in predictions.items() if fault in p.faults}
        if max(probs.values()) < FLAG:
            continue
        joints = model_joints(fault_joints.get(fault, ()))
        explained.update(joints)
        head = (f"{fault.replace('_', ' ').capitalize()} ("
                + ", ".join(f"{m} {v:.0%}" for m, v in probs.items()) + ")")
        text = head + (f": {descriptions[fault][0].lower()}{descriptions[fault][1:]}"
                       if fault in descriptions else ".")
        reps, peak, at = joint_evidence(comparison, joints)
        if reps:
            source = "models and comparison"
            text += " " + _where(joint_words(joints), reps, peak, at)
        else:
            source = "models only"
            if joints and np.isfinite(peak):
                text += (f" The comparison with the reference does not single it out (the "
                         f"{joint_words(joints)}: up to {peak:.2f} torso lengths off).")
            else:
                text += " The comparison with the reference cannot check it."
        unflagged = [m for m, v in probs.items() if v < FLAG]
        if unflagged:
            text += f" The {', '.join(unflagged)} model does not flag it."
        out.append(Feedback(text, source, fault, joints))
    off = tuple(row.joint for row in comparison.joints[:3]
                if row.joint not in explained and row.p90 >= CLEARLY_OFF)
    reps, peak, at = joint_evidence(comparison, off)
    if reps:
        hidden = any(set(off) & set(model_joints(fault_joints.get(f, ()))) for f in unjudged)
        out.append(Feedback(_where(joint_words(off), reps, peak, at)
                            + (" This camera angle cannot show whether a fault is behind it."
                               if hidden else " Neither model flags a fault there."),
                            "comparison only", None, off))
    if not out:
        out.append(Feedback("Neither model flags a fault"
                            + (" this camera angle can show" if unjudged else "")
                            + ", and no joint stands out from the reference.", ""))
    return out
