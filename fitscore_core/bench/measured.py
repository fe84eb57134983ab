"""Where the measured faults' numbers come from: synthetic reps of known severity, per view.

    >>> from fitscore_core.bench.measured import calibrate, format_calibration
    >>> print(format_calibration(calibrate(n=1500)))   # doctest: +SKIP
    >>> print(format_effect(synthetic_effect(load_scorers(), n=800)))   # doctest: +SKIP
    >>> from fitscore_core.bench.real import DEFAULT_REAL
    >>> print(format_ranking(rank_on_real(DEFAULT_REAL, load_scorers())))   # doctest: +SKIP

For each measure of compare/measured.py and each camera view it is read from, this runs
fresh synthetic clips of the exercise (real-footage conditions: framings, MediaPipe-like
noise; seed 8080, which no model trained on) through the user's feature path, reads every
rep as the measure does and prints: the 90th percentile over good reps (no fault at
severity 0.05 or more: the tolerance), the value at severity 1 of a straight line fitted
through the reps that have this fault alone (full), and how well the value follows the true
severity (Spearman ρ). compare/measured.py's MEASURES hold these figures rounded; the
calibration reads no real clip.

`synthetic_effect` checks what the caps do to the score on other fresh synthetic clips
(seed 4321, every exercise, the exercise given): the mean absolute error and Spearman ρ
against the true rubric score, of the models' mean and of the capped score.

`rank_on_real` then says, on real push-ups labelled correct / wrong (PushFit in
../shared/real, when it is there), how well each signal ranks the wrong ones first: each
model's own `sagging hips` / `piked hips` probability, the measured faults' points, and the
score before and after the measured caps, per camera view.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from fitscore_core.analysis import analyze_sequence, finite_mean
from fitscore_core.clip_eval import read_eval_labels
from fitscore_core.compare.measured import MEASURES, SIGNALS, rep_value
from fitscore_core.errors import FitScoreError
from fitscore_core.features import normalize
from fitscore_core.pose.cleaning import fill_gaps, smooth
from fitscore_core.pose.inputs import load_sequence
from fitscore_core.pose.view import estimate_view
from fitscore_core.scorers.evaluation import roc_auc
from fitscore_core.synth.dataset import RealWorld, generate_dataset

SEED = 8080
GOOD = 0.05


@dataclass(frozen=True)
class Calibration:
    exercise: str
    fault: str
    view: str
    good_reps: int
    faulty_reps: int     # reps with this fault alone, which the line is fitted through
    tolerance: float     # the 90th percentile of good reps' values
    full: float          # the value at severity 1
    rho: float           # measured value vs true severity over all reps of this view


def _rep_rows(n: int, seed: int, exercise: str, progress: Callable[[int, int], None] | None):
    """(view, fault -> true severity, fault -> measured value) for every synthetic rep."""
    ds = generate_dataset(n, seed, exercises=[exercise], workers=2,
                          real_world=RealWorld(unknown_share=0.0))
    columns = {c.split(".", 1)[1]: j for j, c in enumerate(ds.fault_columns)
               if c.startswith(exercise + ".")}
    rows = []
    for i in range(len(ds)):
        seq = smooth(fill_gaps(ds.pose_sequence(i)))
        try:
            features = normalize(seq)
        except FitScoreError:   # too little of the body seen, as a real clip would be refused
            continue
        view = estimate_view(seq).view
        signals = {m.signal: SIGNALS[m.signal](features.values, features.found)
                   for m in MEASURES[exercise]}
        for r in range(ds.rep_offsets[i], ds.rep_offsets[i + 1]):
            start, end = (int(v) for v in ds.rep_ranges[r])
            true = {f: float(ds.rep_fault_severity[r, j]) for f, j in columns.items()}
            got = {m.fault: rep_value(m, signals[m.signal], start, end)
                   for m in MEASURES[exercise]}
            rows.append((view, true, {f: g[0] for f, g in got.items() if g is not None}))
        if progress:
            progress(i + 1, len(ds))
    return rows


def calibrate(n: int = 1500, seed: int = SEED, progress: Callable[[int, int], None] | None = None,
              exercises=None) -> list[Calibration]:
    """Every measure's scale per view, on n fresh synthetic clips of each exercise."""
    out = []
    for exercise, measures in MEASURES.items():
        if exercises is not None and exercise not in exercises:
            continue
        rows = _rep_rows(n, seed, exercise, progress)
        for m in measures:
            for view in sorted({r[0] for r in rows} & set(m.scale)):
                mine = [(t, g[m.fault]) for v, t, g in rows if v == view and m.fault in g]
                if len(mine) < 10:
                    continue
                good = [g for t, g in mine if max(t.values()) < GOOD]
                alone = [(t[m.fault], g) for t, g in mine if t[m.fault] >= GOOD
                         and max(v for f, v in t.items() if f != m.fault) < GOOD]
                full = float("nan")
                if len(alone) >= 10:
                    slope, intercept = np.polyfit(*zip(*alone), 1)
                    full = float(intercept + slope)
                rho = spearmanr([t[m.fault] for t, _ in mine], [g for _, g in mine])[0]
                out.append(Calibration(
                    exercise, m.fault, view, len(good), len(alone),
                    float(np.percentile(good, 90)) if good else float("nan"), full, float(rho)))
    return out


def format_calibration(rows: list[Calibration]) -> str:
    lines = ["| exercise | fault | view | good reps | reps with the fault alone | tolerance "
             "(good p90) | full (at severity 1) | ρ (measured vs true) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for c in rows:
        lines.append(f"| {c.exercise} | {c.fault} | {c.view} | {c.good_reps} | {c.faulty_reps} "
                     f"| {c.tolerance:.1f} | {c.full:.1f} | {c.rho:.2f} |")
    return "\n".join(lines)


EFFECT_SEED = 4321


def synthetic_effect(scorers, n: int = 800, seed: int = EFFECT_SEED,
                     progress: Callable[[int, int], None] | None = None) -> dict[str, dict]:
    """exercise (and "all") -> clips, measured clips, MAE and Spearman ρ of the models' mean
    score and of the capped score (Analysis.score) against the true rubric score."""
    ds = generate_dataset(n, seed, workers=2, real_world=RealWorld(unknown_share=0.0))
    rows = []
    for i in range(len(ds)):
        exercise = str(ds.exercise[i])
        try:
            a = analyze_sequence(smooth(fill_gaps(ds.pose_sequence(i))), scorers, exercise)
        except FitScoreError:
            continue
        rows.append((exercise, float(ds.score[i]),
                     finite_mean(p.score for p in a.predictions.values()), a.score,
                     bool(a.measured)))
        if progress:
            progress(i + 1, len(ds))
    out = {}
    for exercise in sorted({r[0] for r in rows}) + ["all"]:
        mine = [r for r in rows if exercise in ("all", r[0]) and np.isfinite(r[2])]
        true, models, capped = (np.array([r[k] for r in mine]) for k in (1, 2, 3))
        out[exercise] = {"clips": len(mine), "measured": sum(r[4] for r in mine),
                         "mae": (float(np.abs(models - true).mean()),
                                 float(np.abs(capped - true).mean())),
                         "rho": (float(spearmanr(models, true)[0]),
                                 float(spearmanr(capped, true)[0]))}
    return out


def format_effect(table: dict[str, dict]) -> str:
    lines = ["| exercise | clips | with a measured fault | score MAE: models' mean → capped | "
             "Spearman ρ: models' mean → capped |", "| --- | --- | --- | --- | --- |"]
    for exercise, r in table.items():
        lines.append(f"| {exercise} | {r['clips']} | {r['measured']} | {r['mae'][0]:.2f} → "
                     f"{r['mae'][1]:.2f} | {r['rho'][0]:.3f} → {r['rho'][1]:.3f} |")
    return "\n".join(lines)


VIEWS = ("all", "side", "diagonal", "front")


def _signals(analysis) -> dict[str, float]:
    """Per clip, each signal oriented so that higher means "more likely wrong"."""
    out = {}
    for name, p in analysis.predictions.items():
        for fault in ("sagging_hips", "piked_hips"):
            if fault in p.faults:
                out[f"{name} {fault.replace('_', ' ')} probability"] = p.faults[fault]
    n = max(len(analysis.reps), 1)
    out["measured faults' points per rep"] = sum(f.points for f in analysis.measured) / n
    out["score: the models' mean (negated)"] = -finite_mean(
        p.score for p in analysis.predictions.values())
    out["score: the answer, with the caps (negated)"] = -analysis.score
    return out


def rank_on_real(real: str | Path, scorers, cache=None,
                 progress: Callable[[int, int], None] | None = None) -> dict[str, dict]:
    """signal -> view -> (AUC of wrong over correct, clips) on PushFit's push-ups the
    analysis took for a push-up; {} when the set is not there."""
    labels = Path(real) / "pushfit" / "labels.csv"
    if not labels.is_file():
        return {}
    rows = [r for r in read_eval_labels(labels) if r.good is not None]
    clips = []
    for k, row in enumerate(rows):
        try:
            analysis = analyze_sequence(load_sequence(row.path, cache=cache), scorers)
        except FitScoreError:
            analysis = None
        if analysis is not None and analysis.exercise == "push_up":
            clips.append((not row.good, analysis.view.view, _signals(analysis)))
        if progress:
            progress(k + 1, len(rows))
    out: dict[str, dict] = {}
    for name in dict.fromkeys(n for _, _, sig in clips for n in sig):
        for view in VIEWS:
            mine = [(bad, sig[name]) for bad, v, sig in clips
                    if name in sig and view in ("all", v) and np.isfinite(sig[name])]
            if mine:
                bad, value = (np.array(x) for x in zip(*mine))
                out.setdefault(name, {})[view] = (roc_auc(bad.astype(bool), value), len(mine))
    return out


def format_ranking(table: dict[str, dict]) -> str:
    if not table:
        return "PushFit is not in the real-clip folder: no real-clip ranking."
    lines = ["| PushFit: ranks wrong over correct (AUC) | " + " | ".join(VIEWS) + " |",
             "| --- |" + " --- |" * len(VIEWS)]
    for name, by_view in table.items():
        cells = []
        for view in VIEWS:
            auc, n = by_view.get(view, (None, 0))
            cells.append("—" if auc is None else f"{auc:.2f} ({n})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
