"""Evaluating a scorer on labelled clips, through the same path real clips take.

    >>> from fitscore_core.scorers.evaluation import evaluate
    >>> report = evaluate(scorer, test_examples)                  # doctest: +SKIP
    >>> report["all"]["exercise_accuracy"], report["side"]["score_mae"]  # doctest: +SKIP

Metrics, overall and per camera view (front |yaw| < 22.5°, diagonal, side |yaw| >= 67.5°):
exercise accuracy and confusion matrix; score MAE and Spearman rho; fault macro-F1 (a fault
counts as present when a rep has it at severity >= FAULT_PRESENT; predicted when its
probability >= 0.5) and per-fault ROC AUC, over the clips of the fault's exercise.
"""

import math

import numpy as np
from scipy.stats import rankdata, spearmanr

from fitscore_core.features import ClipFeatures
from fitscore_core.scorers.scoring import predict
from fitscore_core.scorers.training import FAULT_PRESENT, Example

VIEWS = {"front": (0.0, 22.5), "diagonal": (22.5, 67.5), "side": (67.5, 180.1)}


def features_of(ex: Example, fps: float) -> ClipFeatures:
    found = (ex.values.reshape(15, 2, -1) != 0).any(axis=1)
    return ClipFeatures(ex.values, found, fps, (0.0, 0.0), 1.0)


def view_of(yaw: float) -> str:
    if math.isnan(yaw):
        return "unknown"
    return next(v for v, (lo, hi) in VIEWS.items() if lo <= abs(yaw) < hi)


def roc_auc(y: np.ndarray, p: np.ndarray) -> float | None:
    """Mann-Whitney AUC; None when only one class is present."""
    pos, neg = y.sum(), len(y) - y.sum()
    if pos == 0 or neg == 0:
        return None
    ranks = rankdata(p)
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def f1(y: np.ndarray, pred: np.ndarray) -> float | None:
    tp = float((y & pred).sum())
    if y.sum() == 0 and pred.sum() == 0:
        return None
    return 2 * tp / (y.sum() + pred.sum())


def metrics(rows: list[dict], exercises: list[str], faults: list[str]) -> dict:
    """rows: one per clip with exercise, pred_exercise, score, pred_score, fault_true (F,)
    (NaN = not applicable), fault_prob (F,)."""
    if not rows:
        return {"clips": 0}
    true = np.array([r["exercise"] for r in rows])
    pred = np.array([r["pred_exercise"] for r in rows])
    score, pred_score = (np.array([r[k] for r in rows], float) for k in ("score", "pred_score"))
    scored = ~np.isnan(score) & ~np.isnan(pred_score)   # unknown movements have no score
    score, pred_score = score[scored], pred_score[scored]
    confusion = {t: {p: int(((true == t) & (pred == p)).sum()) for p in exercises}
                 for t in exercises if (true == t).any()}
    rho = (spearmanr(score, pred_score).statistic
           if len(score) > 2 and np.ptp(score) > 0 and np.ptp(pred_score) > 0 else None)
    sev = np.stack([r["fault_true"] for r in rows])
    prob = np.stack([r["fault_prob"] for r in rows])
    per_fault = {}
    for c, name in enumerate(faults):
        applicable = ~np.isnan(sev[:, c])
        if not applicable.any():
            continue
        y = sev[applicable, c] >= FAULT_PRESENT
        per_fault[name] = {"clips": int(applicable.sum()), "present": int(y.sum()),
                           "f1": f1(y, prob[applicable, c] >= 0.5),
                           "auc": roc_auc(y, prob[applicable, c])}
    f1s = [v["f1"] for v in per_fault.values() if v["f1"] is not None]
    return {"clips": len(rows), "exercise_accuracy": float((true == pred).mean()),
            "score_mae": float(np.abs(score - pred_score).mean()) if len(score) else None,
            "score_spearman": None if rho is None or np.isnan(rho) else float(rho),
            "fault_macro_f1": float(np.mean(f1s)) if f1s else None,
            "faults": per_fault, "confusion": confusion}


def predict_rows(scorer, examples: list[Example], progress=None) -> list[dict]:
    rows = []
    col = {c: i for i, c in enumerate(scorer.faults)}
    for k, ex in enumerate(examples):
        p = predict(scorer, features_of(ex, scorer.settings.fps))
        probs = np.zeros(len(scorer.faults), np.float32)
        for name, v in p.faults.items():
            probs[col[f"{p.exercise}.{name}"]] = v
        truth = np.full(len(scorer.faults), np.nan, np.float32)
        if len(ex.rep_faults):
            known = ~np.isnan(ex.rep_faults).all(0)
            truth[known] = np.nanmax(np.nan_to_num(ex.rep_faults[:, known], nan=-1), axis=0)
        rows.append({"source": ex.source, "exercise": ex.exercise, "score": ex.score,
                     "pred_exercise": p.exercise, "pred_score": p.score, "view": view_of(ex.view),
                     "fault_true": truth, "fault_prob": probs, "reps": len(p.reps)})
        if progress is not None:
            progress(k + 1, len(examples))
    return rows


def evaluate(scorer, examples: list[Example], progress=None) -> dict:
    rows = predict_rows(scorer, examples, progress)
    report = {"all": metrics(rows, scorer.exercises, scorer.faults)}
    for view in list(VIEWS) + ["unknown"]:
        subset = [r for r in rows if r["view"] == view]
        if subset:
            report[view] = metrics(subset, scorer.exercises, scorer.faults)
    return report


def format_report(report: dict) -> str:
    lines = [f"{'view':10} {'clips':>6} {'accuracy':>9} {'score MAE':>10} {'Spearman':>9} "
             f"{'fault F1':>9}"]
    fmt = lambda v, f: "—" if v is None else format(v, f)  # noqa: E731
    for view, m in report.items():
        if m.get("clips"):
            lines.append(f"{view:10} {m['clips']:>6} {fmt(m['exercise_accuracy'], '>9.1%')} "
                         f"{fmt(m['score_mae'], '>10.2f')} {fmt(m['score_spearman'], '>9.3f')} "
                         f"{fmt(m['fault_macro_f1'], '>9.3f')}")
    return "\n".join(lines)
