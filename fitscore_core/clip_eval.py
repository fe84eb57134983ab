"""Measuring the scorers on real labelled clips: LABELS.csv -> per-clip answers -> metrics.

    >>> from fitscore_core.analysis import load_scorers
    >>> from fitscore_core.clip_eval import clip_metrics, evaluate_clips, read_eval_labels
    >>> from fitscore_core.clip_eval import format_clip_report
    >>> from fitscore_core.pose.cache import PoseCache
    >>> rows = read_eval_labels("clips/labels.csv")                            # doctest: +SKIP
    >>> scorers = load_scorers()                                               # doctest: +SKIP
    >>> results = evaluate_clips(rows, scorers, cache=PoseCache())             # doctest: +SKIP
    >>> print(format_clip_report(clip_metrics(results, list(scorers))))        # doctest: +SKIP

The CSV has a header and one row per clip: `path` (a video, an OpenPose JSON folder or a .zip,
relative to the CSV's folder) and `exercise`; optionally `score` (0-100), `label`
(correct / wrong / good / bad), `reps` (empty = unknown), `rep_frames` (';'-separated frame
numbers) and `fps` (for OpenPose JSON; a video knows its own). Errors name the row as a
spreadsheet shows it (the header is row 1); names are read case-blind with spaces as '_'.

Each clip goes through `analysis.analyze_sequence`, the path every real clip takes, so what
gets measured is what a user would be told. An exercise a scorer does not know (a pull-up)
expects the answer "unknown". A clip that fails (nobody in it, unreadable) becomes an error
row and the run goes on.
"""

import csv
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from fitscore_core.analysis import (
    Analysis,
    analyze_sequence,
    choose_exercise,
    confidence,
    joint_confidence,
    own_answers,
)
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.inputs import Progress, input_kind, load_sequence
from fitscore_core.scorers.checkpoints import Scorer
from fitscore_core.scorers.evaluation import roc_auc
from fitscore_core.features import normalize, resample
from fitscore_core.scorers.labels import clip_rows, name_of, number_of
from fitscore_core.scorers.scoring import UNKNOWN, ModelPrediction
from fitscore_core.user_files import safe_row

REQUIRED = ("path", "exercise")
OPTIONAL = ("score", "label", "reps", "rep_frames", "fps")
GOOD_LABELS, BAD_LABELS = ("correct", "good"), ("wrong", "bad")
ECE_BINS = 10
CONFIDENT = 0.9            # a wrong answer above this confidence is the costly kind
ANSWER = "answer"          # FitScore's one answer (both models together), beside each model's


def answer_names(scorers: dict[str, Scorer]) -> list[str]:
    """What a report has a line for: each model, then FitScore's one answer."""
    return [*scorers, ANSWER]


@dataclass(frozen=True)
class EvalLabel:
    """One checked row. path: resolved against the CSV's folder; label: the path as written
    (what reports show); good: True / False / None (unlabelled); reps: None = unknown."""

    path: Path
    label: str
    exercise: str
    score: float | None = None
    good: bool | None = None
    reps: int | None = None
    rep_frames: tuple[int, ...] = ()
    fps: float | None = None
    row: int = 0
    csv_name: str = "LABELS.csv"


@dataclass(frozen=True)
class ModelAnswer:
    """One model on one clip. confidence: its probability of the exercise it answered (of
    its top class when the answer is not one of its classes, e.g. "unknown")."""

    exercise: str
    confidence: float
    score: float
    reps: int
    expected: str          # the true exercise if this model knows it, else "unknown"


@dataclass(frozen=True)
class ClipResult:
    path: str
    exercise: str                          # the true exercise
    expected: dict[str, str]               # model -> the answer it should give
    good: bool | None = None
    reps: int | None = None
    answers: dict[str, ModelAnswer] = field(default_factory=dict)
    error: str = ""                        # why the clip failed; answers are then empty
    refused: str = ""                      # too little to judge: the models' own answers are
                                           # kept (recognition), without a score


# ---------------------------------------------------------------------------- labels

def _quality(cell: dict[str, str], where: str) -> tuple[float | None, bool | None]:
    """(score, good): good from the label, else from score >= 50; a label and a score that
    disagree are an error, not a silent choice."""
    score = None
    if cell.get("score"):
        score = number_of(cell["score"])
        if score is None or not 0 <= score <= 100:
            raise FitScoreError(f"{where}: score {cell['score']!r} is not a number in 0-100.")
    label = name_of(cell.get("label", ""))
    if label and label not in GOOD_LABELS + BAD_LABELS:
        raise FitScoreError(f"{where}: label {cell['label']!r} is none of "
                            f"{', '.join(GOOD_LABELS + BAD_LABELS)}.")
    from_label = (label in GOOD_LABELS) if label else None
    from_score = (score >= 50) if score is not None else None
    if from_label is not None and from_score is not None and from_label != from_score:
        raise FitScoreError(f"{where}: label {cell['label']!r} and score {cell['score']} "
                            "disagree (good is score >= 50).")
    return score, from_label if from_label is not None else from_score


def _reps(cell: dict[str, str], where: str) -> tuple[int | None, tuple[int, ...]]:
    reps = None
    if cell.get("reps"):
        value = number_of(cell["reps"])
        if value is None or value < 0 or value != int(value):
            raise FitScoreError(f"{where}: reps {cell['reps']!r} is not a whole number >= 0 "
                                "(leave it empty when unknown).")
        reps = int(value)
    frames = []
    for part in cell.get("rep_frames", "").split(";"):
        if part.strip():
            value = number_of(part)
            if value is None or value < 0 or value != int(value):
                raise FitScoreError(f"{where}: rep_frames {cell['rep_frames']!r} must be "
                                    "frame numbers separated by ';'.")
            frames.append(int(value))
    if reps is not None and frames and len(frames) != reps:
        raise FitScoreError(f"{where}: reps is {reps} but rep_frames lists {len(frames)}.")
    return reps, tuple(frames)


def _fps(cell: dict[str, str], where: str) -> float | None:
    if not cell.get("fps"):
        return None
    value = number_of(cell["fps"])
    if value is None or value <= 0:
        raise FitScoreError(f"{where}: fps {cell['fps']!r} is not a positive number.")
    return value


def read_eval_labels(csv_path: str | Path) -> list[EvalLabel]:
    """Read and check an evaluation CSV; the first bad row raises FitScoreError naming it."""
    csv_path = Path(csv_path)
    rows = []
    for number, cell, where, label, path, exercise in clip_rows(csv_path, REQUIRED, OPTIONAL):
        score, good = _quality(cell, where)
        reps, rep_frames = _reps(cell, where)
        rows.append(EvalLabel(path, label, exercise, score, good, reps, rep_frames,
                              _fps(cell, where), number, csv_path.name))
    if not rows:
        raise FitScoreError(f"{csv_path.name} has a header but no clips.")
    return rows


# ---------------------------------------------------------------------------- running

def expected_answer(exercise: str, scorer: Scorer) -> str:
    """What a right answer is: the exercise itself, or "unknown" for one the model was
    never taught (naming a known exercise for a pull-up is wrong, however close)."""
    return exercise if exercise in scorer.exercises else UNKNOWN


def _answer(own: ModelPrediction, scored: ModelPrediction | None, expected: str
            ) -> ModelAnswer:
    """The model's own exercise and confidence; the score and reps of the analysis' one
    exercise (`scored`; None when the clip was refused)."""
    return ModelAnswer(own.exercise, confidence(own),
                       float(scored.score) if scored is not None else float("nan"),
                       len(scored.reps) if scored is not None else len(own.reps), expected)


def _one_answer(own: dict[str, ModelPrediction], exercise: str, analysis: Analysis | None,
                expected: str) -> ModelAnswer:
    """FitScore's one answer: the analysis' exercise, how sure both models are of it together,
    the verdict's score (Analysis.score) and the most reps a model counted (on a hanging
    clip, those counted without a score); without an analysis (the clip was refused), no
    score."""
    if analysis is None:
        return ModelAnswer(exercise, joint_confidence(own, exercise), float("nan"),
                           max((len(p.reps) for p in own.values()), default=0), expected)
    reps = max((len(p.reps) for p in analysis.predictions.values()), default=0)
    return ModelAnswer(exercise, analysis.exercise_confidence, analysis.score,
                       reps or len(analysis.counted_reps), expected)


def evaluate_clip(row: EvalLabel, scorers: dict[str, Scorer], cache=None) -> ClipResult:
    """One clip through the user's path; a FitScoreError becomes the row's error."""
    expected = {name: expected_answer(row.exercise, s) for name, s in scorers.items()}
    expected[ANSWER] = (row.exercise if all(e == row.exercise for e in expected.values())
                        else UNKNOWN)
    base = ClipResult(row.label, row.exercise, expected, row.good, row.reps)
    try:
        fps = row.fps if input_kind(row.path) != "video" else None   # a video knows its fps
        seq = load_sequence(row.path, cache=cache, fps=fps)
    except FitScoreError as error:
        return replace(base, error=str(error) or type(error).__name__)
    try:
        analysis = analyze_sequence(seq, scorers)
    except FitScoreError as refusal:        # too little to judge: what did the models see?
        try:
            features = resample(normalize(seq), next(iter(scorers.values())).settings.fps)
            own = own_answers(features, scorers, seq.fps)
        except FitScoreError as error:
            return replace(base, error=str(error) or type(error).__name__)
        return replace(base, refused=str(refusal), answers={
            n: _answer(p, None, expected[n]) for n, p in own.items()} | {
            ANSWER: _one_answer(own, choose_exercise(own, None), None, expected[ANSWER])})
    own = analysis.own_predictions or analysis.predictions
    return replace(base, answers={name: _answer(own[name], p, expected[name])
                                  for name, p in analysis.predictions.items()} | {
        ANSWER: _one_answer(own, analysis.exercise, analysis, expected[ANSWER])})


def evaluate_clips(rows: list[EvalLabel], scorers: dict[str, Scorer], cache=None,
                   progress: Progress | None = None) -> list[ClipResult]:
    """Every row's ClipResult, in order; `cache` (a pose.cache.PoseCache) skips the pose
    estimator for clips seen before."""
    results = []
    for k, row in enumerate(rows):
        results.append(evaluate_clip(row, scorers, cache))
        if progress is not None:
            progress(k + 1, len(rows))
    return results


# ---------------------------------------------------------------------------- metrics

def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray,
                               bins: int = ECE_BINS) -> float | None:
    """Standard ECE: equal-width bins over [0, 1] (1.0 in the last), sum over bins of
    (share of answers in the bin) × |accuracy − mean confidence| in the bin."""
    if len(confidence) == 0:
        return None
    which = np.minimum((np.asarray(confidence) * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(which):
        sel = which == b
        total += sel.mean() * abs(correct[sel].mean() - confidence[sel].mean())
    return float(total)


def confusion(results: list[ClipResult], model: str) -> dict[str, dict[str, int]]:
    """True exercise -> answer -> count; columns are every answer given or expected, so
    "unknown" is a column whenever it is either."""
    ok = [r for r in results if not r.error]
    columns = sorted({r.answers[model].exercise for r in ok} |
                     {r.expected[model] for r in ok}, key=lambda c: (c == UNKNOWN, c))
    return {t: {c: sum(1 for r in ok if r.exercise == t and r.answers[model].exercise == c)
                for c in columns}
            for t in dict.fromkeys(r.exercise for r in ok)}


def good_vs_bad(results: list[ClipResult], model: str) -> dict[str, dict]:
    """Per true exercise with labelled clips: how many good and bad, and the AUC of the
    model's score for good over bad (None unless both are present). A clip answered without
    a score (e.g. "unknown") is counted in `no_score`, not ranked."""
    out = {}
    for ex in dict.fromkeys(r.exercise for r in results if r.good is not None and not r.error):
        rows = [r for r in results if r.exercise == ex and r.good is not None and not r.error]
        scored = [r for r in rows if math.isfinite(r.answers[model].score)]
        y = np.array([r.good for r in scored], bool)
        score = np.array([r.answers[model].score for r in scored], float)
        out[ex] = {"good": int(y.sum()), "bad": int((~y).sum()), "auc": roc_auc(y, score),
                   "no_score": len(rows) - len(scored)}
    return out


def rep_metrics(results: list[ClipResult], model: str) -> dict:
    """On clips whose reps are known: share counted exactly, share within one, and the mean
    relative error |pred − true| / true (over clips with at least one true rep)."""
    rows = [r for r in results if r.reps is not None and not r.error]
    if not rows:
        return {"clips": 0}
    true = np.array([r.reps for r in rows], float)
    diff = np.abs(np.array([r.answers[model].reps for r in rows], float) - true)
    some = true > 0
    return {"clips": len(rows), "exact": float((diff == 0).mean()),
            "within_one": float((diff <= 1).mean()),
            "mean_relative_error": float((diff[some] / true[some]).mean()) if some.any()
            else None}


def model_metrics(results: list[ClipResult], model: str) -> dict:
    ok = [r for r in results if not r.error]
    conf = np.array([r.answers[model].confidence for r in ok], float)
    right = np.array([r.answers[model].exercise == r.expected[model] for r in ok], bool)
    return {"clips": len(ok), "correct": int(right.sum()),
            "exercise_accuracy": float(right.mean()) if ok else None,
            "confusion": confusion(results, model), "good_vs_bad": good_vs_bad(results, model),
            "ece": expected_calibration_error(conf, right),
            "confident_wrong": int((~right & (conf > CONFIDENT)).sum()),
            "reps": rep_metrics(results, model)}


def clip_metrics(results: list[ClipResult], model_names: list[str]) -> dict:
    """Per model: exercise accuracy against the expected answer, confusion, good-vs-bad AUC
    per exercise, ECE of the exercise confidence, wrong answers above 90 %, rep counting.
    Failed clips are counted, never scored."""
    return {"clips": len(results), "failed": sum(1 for r in results if r.error),
            "refused": sum(1 for r in results if r.refused),
            "models": {m: model_metrics(results, m) for m in model_names}}


# ---------------------------------------------------------------------------- output

def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.0%}"


def _num(v: float | None, spec: str = ".3f") -> str:
    return "—" if v is None else format(v, spec)


def format_clip_report(metrics: dict) -> str:
    """A compact text table: one line per model, then good-vs-bad AUCs and confusions."""
    lines = [f"{metrics['clips']} clips, {metrics['failed']} failed, {metrics['refused']} "
             "refused as too little to judge (recognised, not scored)"]
    head = ("model", "clips", "accuracy", "ECE", "wrong>90%", "reps n", "exact", "±1",
            "rel.err")
    table = [head]
    for name, m in metrics["models"].items():
        reps = m["reps"]
        table.append((name, str(m["clips"]), _pct(m["exercise_accuracy"]), _num(m["ece"]),
                      str(m["confident_wrong"]), str(reps["clips"]), _pct(reps.get("exact")),
                      _pct(reps.get("within_one")), _num(reps.get("mean_relative_error"),
                                                           ".2f")))
    widths = [max(len(r[k]) for r in table) for k in range(len(head))]
    lines += ["  ".join(c.rjust(w) if k else c.ljust(w) for k, (c, w) in
                        enumerate(zip(r, widths))) for r in table]
    for name, m in metrics["models"].items():
        if m["good_vs_bad"]:
            lines.append(f"{name} good vs bad AUC: " + ", ".join(
                f"{ex} {_num(g['auc'])} ({g['good']} good / {g['bad']} bad"
                + (f", {g['no_score']} without a score)" if g["no_score"] else ")")
                for ex, g in m["good_vs_bad"].items()))
    for name, m in metrics["models"].items():
        if m["confusion"]:
            lines.append(f"{name} confusion (rows: true, columns: answered):")
            lines += _confusion_lines(m["confusion"])
    return "\n".join(lines)


def _confusion_lines(table: dict[str, dict[str, int]]) -> list[str]:
    columns = list(next(iter(table.values())))
    first = max(len(t) for t in table)
    widths = [max(len(c), 3) for c in columns]
    lines = ["  " + " " * first + "".join(f"  {c.rjust(w)}" for c, w in zip(columns, widths))]
    for true, row in table.items():
        lines.append(f"  {true.ljust(first)}" + "".join(f"  {v:>{w}d}" for v, w in
                                                       zip(row.values(), widths)))
    return lines


def result_dicts(results: list[ClipResult]) -> list[dict]:
    """Flat rows (one per clip) for a per-clip CSV or JSON; None where there is no value
    (an empty CSV cell, JSON null)."""
    out = []
    for r in results:
        expected = set(r.expected.values())
        row = {"path": r.path, "exercise": r.exercise,
               "expected": next(iter(expected)) if len(expected) == 1 else
               ";".join(f"{m}={e}" for m, e in r.expected.items()),
               "good": None if r.good is None else int(r.good), "reps": r.reps}
        for m in r.expected:
            a = r.answers.get(m)
            row |= {f"{m}_exercise": a.exercise if a else None,
                    f"{m}_confidence": round(a.confidence, 4) if a else None,
                    f"{m}_score": round(a.score, 2) if a and math.isfinite(a.score) else None,
                    f"{m}_reps": a.reps if a else None}
        out.append(row | {"error": r.error, "refused": r.refused})
    return out


def write_per_clip(results: list[ClipResult], path: str | Path) -> None:
    """result_dicts as a CSV; paths and messages cannot run as spreadsheet formulas."""
    rows = result_dicts(results)
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["path", "error"])
        writer.writeheader()
        writer.writerows(safe_row(r) for r in rows)
