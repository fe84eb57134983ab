"""`train --data LABELS.csv`: the small-data learner on a gym's own clips, cross-validated
against the simple baselines in the same folds.

    python -m fitscore_core train --model cnn1d --data gym/LABELS.csv --cv 5 --out gym/cnn1d.pt

Every clip is read once (through the pose cache), described once by the frozen network and
compared once with every other clip of its exercise by DTW; the K folds then only fit
forests. In each fold, three methods predict the held-out clips: the learner, a DTW
1-nearest-neighbour on the normalized features (the project's own DTW; the clip's score is
its nearest training clip's) and the majority class (good / bad) or the mean score. The
folds are stratified by exercise and label, and keep each group (person) on one side.
"""

import csv
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from fitscore_core.config import FEATURES
from fitscore_core.errors import FitScoreError
from fitscore_core.scorers.checkpoints import Scorer, save_scorer
from fitscore_core.scorers.evaluation import features_of, roc_auc
from fitscore_core.scorers.labels import (
    examples_from_labels,
    known_faults,
    read_labels,
    vocabulary,
)
from fitscore_core.scorers.learner import (
    ExerciseHead,
    Learner,
    describe_all,
    distance_matrix,
    fit_learner,
    label_kind,
)
from fitscore_core.scorers.scoring import person_frames, recognise, run_net
from fitscore_core.scorers.train_job import check_folds, resolve_init
from fitscore_core.scorers.training import Example
from fitscore_core.user_files import safe_row

METHODS = ("learner", "dtw_1nn", "majority")


@dataclass(frozen=True)
class LearnerCV:
    """per_exercise: exercise -> {"kind", "clips", "labels": {value: clips}, and per method
    its figures}; overall: per method, pooled over exercises; winner: per exercise and
    overall, the method with the best headline figure; predictions: one row per clip."""

    k: int
    per_exercise: dict
    overall: dict
    winner: dict
    exercise_accuracy: float | None
    predictions: list[dict]


def label_cuts(examples: list[Example]) -> dict[str, tuple[str, float]]:
    """Exercise -> (label kind, the score above which a clip counts as the good kind)."""
    out = {}
    for ex in dict.fromkeys(e.exercise for e in examples):
        scores = np.array([e.score for e in examples if e.exercise == ex])
        kind, low, high = label_kind(scores, ex)
        out[ex] = (kind, (low + high) / 2 if kind == "good_bad" else float(np.median(scores)))
    return out


def strata(examples: list[Example]) -> list[str]:
    """Exercise and label class of each clip: what the folds keep in proportion."""
    cut = label_cuts(examples)
    return [f"{e.exercise}:{'high' if e.score > cut[e.exercise][1] else 'low'}"
            for e in examples]


def learner_folds(examples: list[Example], k: int, seed: int) -> np.ndarray:
    """Fold of each clip (0..k-1): StratifiedGroupKFold over exercise x label class; every
    problem that makes K folds impossible is refused with what to do."""
    from sklearn.model_selection import StratifiedGroupKFold
    groups = [e.group for e in examples]
    if len(set(groups)) == 1:
        raise FitScoreError(f"--cv {k}: every clip is in group {groups[0]!r}; clips of one "
                            "group always share a fold, so cross-validation needs at least "
                            f"{k} groups (people). Fix the group column, or drop it if every "
                            "clip is a different person.")
    check_folds(groups, k)
    labels = strata(examples)
    for stratum, n in sorted(Counter(labels).items()):
        if n < k:
            exercise, side = stratum.split(":")
            raise FitScoreError(f"--cv {k}: only {n} {exercise} clip(s) of the "
                                f"{'better' if side == 'high' else 'worse'}-scored kind; each "
                                f"of {k} folds needs one. Label more clips, or use "
                                f"--cv {max(2, n)}.")
    fold = np.zeros(len(examples), int)
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    for f, (_, held) in enumerate(splitter.split(np.zeros(len(examples)), labels, groups)):
        fold[held] = f
    return fold


def figures(kind: str, truth: np.ndarray, pred: np.ndarray, low: float, high: float) -> dict:
    """good_bad: accuracy (score above the middle = good) and AUC; score: MAE, Spearman."""
    if kind == "good_bad":
        good = truth > (low + high) / 2
        return {"accuracy": float(((pred > 50) == good).mean()),
                "auc": roc_auc(good, pred)}
    rho = spearmanr(truth, pred).statistic if len(set(pred)) > 1 else float("nan")
    return {"mae": float(np.abs(truth - pred).mean()),
            "spearman": None if not np.isfinite(rho) else float(rho)}


def headline(kind: str, fig: dict) -> float:
    """Higher is better: accuracy (AUC breaks ties) or -MAE."""
    if kind == "good_bad":
        return fig["accuracy"] + 1e-3 * (fig["auc"] or 0.5)
    return -fig["mae"]


def cross_validate_learner(scorer: Scorer, examples: list[Example], faults: list[str], k: int,
                           descriptors: np.ndarray, dist: dict[str, np.ndarray],
                           seed: int = 0, on_fold=None) -> LearnerCV:
    """Group-stratified K-fold of the learner and both baselines on the same folds."""
    fold = learner_folds(examples, k, seed)
    exercises = list(dict.fromkeys(e.exercise for e in examples))
    index = {ex: [i for i, e in enumerate(examples) if e.exercise == ex] for ex in exercises}
    position = {i: p for ex in exercises for p, i in enumerate(index[ex])}
    scores = np.array([e.score for e in examples])
    pred = {m: np.full(len(examples), np.nan) for m in METHODS}
    pred_exercise = base_exercises(scorer, examples)
    if on_fold is not None:
        on_fold(0, k)
    for f in range(k):
        train = [i for i in range(len(examples)) if fold[i] != f]
        held = [i for i in range(len(examples)) if fold[i] == f]
        own = {ex: [i for i in train if examples[i].exercise == ex] for ex in exercises}
        at = {ex: [position[i] for i in own[ex]] for ex in exercises}
        learner = fit_learner(scorer, [examples[i] for i in train], faults, descriptors[train],
                              {ex: dist[ex][np.ix_(at[ex], at[ex])] for ex in exercises}, seed)
        for i in held:
            ex = examples[i].exercise
            head = learner.heads[ex]
            d = dist[ex][position[i], at[ex]]
            pred["learner"][i] = head.score_from(head.inputs(descriptors[i], d))[0]
            pred["dtw_1nn"][i] = on_score_scale(head, scores[own[ex]][int(np.argmin(d))])
            pred["majority"][i] = majority_score(head, scores[own[ex]])
            if learner.recognizers:
                probs = learner.exercise_probs(descriptors[i])
                pred_exercise[i] = max(probs, key=probs.get)
        if on_fold is not None:
            on_fold(f + 1, k)
    per_exercise, winner = {}, {}
    for ex in exercises:
        rows = index[ex]
        kind, low, high = label_kind(scores[rows], ex)
        entry = {"kind": kind, "clips": len(rows),
                 "labels": {f"{v:g}": int(n) for v, n in
                            sorted(Counter(scores[rows].tolist()).items())}}
        for m in METHODS:
            entry[m] = figures(kind, scores[rows], pred[m][rows], low, high)
        per_exercise[ex] = entry
        winner[ex] = max(METHODS, key=lambda m: headline(kind, entry[m]))
    cuts = label_cuts(examples)
    overall = {m: pooled(cuts, index, scores, pred[m]) for m in METHODS}
    kinds = {e["kind"] for e in per_exercise.values()}
    if len(kinds) == 1:
        kind = kinds.pop()
        winner["overall"] = max(METHODS, key=lambda m: headline(kind, overall[m]))
    truth = np.array([e.exercise for e in examples])
    known = np.array([p is not None for p in pred_exercise])
    acc = float((np.array(pred_exercise, object)[known] == truth[known]).mean()) \
        if known.any() else None
    rows = [{"source": e.source, "fold": int(fold[i]) + 1, "exercise": e.exercise,
             "score": float(e.score), "pred_exercise": pred_exercise[i]}
            | {f"{m}_score": float(pred[m][i]) for m in METHODS}
            for i, e in enumerate(examples)]
    return LearnerCV(k, per_exercise, overall, winner, acc, rows)


def on_score_scale(head: ExerciseHead, label: float) -> float:
    """A label as the score the learner gives: good_bad labels (low, high) -> 0 / 100, the
    scale P(good) x 100 is read on (a score above 50 is good); 0-100 scores as they are."""
    if head.kind == "good_bad":
        return 100.0 * (label - head.low) / (head.high - head.low)
    return float(label)


def majority_score(head: ExerciseHead, train_scores: np.ndarray) -> float:
    """The majority label's score (good_bad; a tie goes to the higher) or the mean score."""
    if head.kind == "good_bad":
        high = (train_scores > (head.low + head.high) / 2).sum()
        return 100.0 if high >= len(train_scores) - high else 0.0
    return float(train_scores.mean())


def pooled(cuts: dict, index: dict, scores: np.ndarray, pred: np.ndarray) -> dict:
    """One method's figures over the clips of every exercise of one label kind, pooled
    (good_bad: accuracy and AUC; score: MAE and Spearman)."""
    out = {}
    for kind in ("good_bad", "score"):
        rows = [i for ex, (k, _) in cuts.items() if k == kind for i in index[ex]]
        if not rows:
            continue
        if kind == "good_bad":
            good = np.array([scores[i] > cuts[ex][1] for ex, (k, _) in cuts.items()
                             if k == kind for i in index[ex]])
            out |= {"accuracy": float(((pred[rows] > 50) == good).mean()),
                    "auc": roc_auc(good, pred[rows])}
        else:
            out |= figures("score", scores[rows], pred[rows], 0, 100)
    return out


def base_exercises(scorer: Scorer, examples: list[Example]) -> list[str | None]:
    """The pretrained recognizer's answer for each clip (None: it does not know the clip's
    exercise, so a recognizer of the learner's answers instead)."""
    out = []
    for e in examples:
        probs, *_ = run_net(scorer, [e.values])
        out.append(recognise(dict(zip(scorer.exercises, probs[0].tolist())))
                   if e.exercise in scorer.exercises else None)
    return out


def format_learner_cv(cv: LearnerCV) -> str:
    """The table `train --cv K` prints: per exercise and overall, each method's figures."""
    fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
    lines = [f"{cv.k}-fold cross-validation (groups never split; the same folds for every "
             "method):",
             f"{'exercise':16} {'clips':>5} {'method':10} {'accuracy':>9} {'AUC':>6} "
             f"{'MAE':>6} {'Spearman':>9}"]
    table = list(cv.per_exercise.items()) + [("overall", {"clips": sum(
        e["clips"] for e in cv.per_exercise.values())} | cv.overall)]
    for ex, entry in table:
        for m in METHODS:
            fig = entry[m]
            mark = " <- best" if cv.winner.get(ex) == m else ""
            lines.append(f"{ex if m == 'learner' else '':16} "
                         f"{entry['clips'] if m == 'learner' else '':>5} {m:10} "
                         f"{fmt(fig.get('accuracy')):>9} {fmt(fig.get('auc')):>6} "
                         f"{fmt(fig.get('mae')):>6} {fmt(fig.get('spearman')):>9}{mark}")
    if cv.exercise_accuracy is not None:
        lines.append(f"exercise recognised (out of fold where learnt): {cv.exercise_accuracy:.1%}")
    for ex, entry in cv.per_exercise.items():
        lines.append(f"{ex}: labels {entry['labels']}"
                     + (f"; the better of the learner and the baselines: {cv.winner[ex]}"))
    return "\n".join(lines)


def person_only(example: Example) -> Example:
    """The clip from the first to the last frame the person is seen in, as scoring reads it."""
    a, b = person_frames(features_of(example, FEATURES.fps))
    if b <= a:
        return example
    return replace(example, values=example.values[:, a:b],
                   rep_ranges=np.clip(example.rep_ranges - a, 0, b - a))


def learner_card(base: Scorer, base_desc: str, learner: Learner, examples: list[Example],
                 data: dict, cv: LearnerCV | None, seconds: dict) -> dict:
    heads = {ex: {"kind": h.kind, "labels": [h.low, h.high] if h.kind == "good_bad" else "0-100",
                  "clips": len(h.references), "faults_learnt": sorted(h.fault_forests)}
             for ex, h in learner.heads.items()}
    section = {"method": "frozen pretrained network as describer + extra-trees per exercise "
               "on its embedding, joint kinematics and DTW nearest neighbours "
               "(fitscore_core/scorers/learner.py)", "base_model": base_desc, "heads": heads,
               "recognizer": "learnt on these clips (new exercises)" if learner.recognizers
               else "the base model's"}
    if cv is not None:
        section["cross_validation"] = {"folds": cv.k, "per_exercise": cv.per_exercise,
                                       "overall": cv.overall, "winner": cv.winner,
                                       "exercise_accuracy": cv.exercise_accuracy}
    base_card = base.card or {}
    kept = ("architecture", "exercises", "faults", "features", "calibration")  # the network's
    card = {k: base_card[k] for k in kept if k in base_card}  # not its figures: not the learner's
    return card | {"model": base.name, "training_data": data, "small_data": section,
                   "test_metrics": {}, "base_test_metrics": base_card.get("test_metrics", {}),
                   "training_time_s": round(sum(seconds.values()), 1), "time_s": seconds}


def run_learner_job(base: Scorer, base_desc: str, examples: list[Example], faults: list[str],
                    data: dict, out: str | Path | None, cv: int | None, seed: int = 0,
                    describe_progress=None, dtw_progress=None, fold_progress=None
                    ) -> tuple[LearnerCV | None, dict | None, dict]:
    """Describe, DTW, (cross-validate), fit on every clip and save. Returns (cv, card, s)."""
    seconds = {}
    t = time.time()
    examples = [person_only(e) for e in examples]
    if cv is not None:
        learner_folds(examples, cv, seed)                 # refuse before the slow steps
    else:
        for ex in dict.fromkeys(e.exercise for e in examples):
            label_kind(np.array([e.score for e in examples if e.exercise == ex]), ex)
    descriptors = describe_all(base, examples, describe_progress)
    seconds["describe"] = round(time.time() - t, 1)
    t = time.time()
    exercises = list(dict.fromkeys(e.exercise for e in examples))
    values = {ex: [e.values for e in examples if e.exercise == ex] for ex in exercises}
    pairs = {ex: len(v) * (len(v) - 1) // 2 for ex, v in values.items()}
    dist, done = {}, 0
    for ex in exercises:
        step = None if dtw_progress is None else \
            (lambda n, _, before=done: dtw_progress(before + n, sum(pairs.values())))
        dist[ex] = distance_matrix(values[ex], step)
        done += pairs[ex]
    seconds["dtw"] = round(time.time() - t, 1)
    result = None
    if cv is not None:
        t = time.time()
        result = cross_validate_learner(base, examples, faults, cv, descriptors, dist, seed,
                                        fold_progress)
        seconds["cross_validation"] = round(time.time() - t, 1)
    card = None
    if out is not None:
        t = time.time()
        learner = fit_learner(base, examples, faults, descriptors, dist, seed)
        seconds["fit"] = round(time.time() - t, 1)
        scorer = replace(base, learner=learner)
        scorer.card = learner_card(base, base_desc, learner, examples, data, result, seconds)
        save_scorer(scorer, out)
        card = scorer.card
    return result, card, seconds




@dataclass(frozen=True)
class LearnerRun:
    """What `train --data LABELS.csv` did with the learner: clips read, those left out (and
    why), the base model, the cross-validation (with --cv), the saved card (with --out)."""

    clips: int
    left_out: list[str]
    base: str
    cv: LearnerCV | None
    card: dict | None
    seconds: dict


def learn_from_labels(name: str, labels_csv: str | Path, out: str | Path | None = None,
                      cv: int | None = None, oof: str | Path | None = None,
                      init_path: str | Path | None = None, cache=None, seed: int = 0,
                      backend=None, load_progress=None, describe_progress=None,
                      dtw_progress=None, fold_progress=None) -> LearnerRun:
    """LABELS.csv -> checked rows -> clips (pose cache) -> descriptors, DTW -> (CV with
    baselines, OOF CSV) -> (learner on every clip, saved with its card). A LABELS.csv of a
    single exercise is the common case: the base model keeps recognising the exercise."""
    if out is None and cv is None:
        raise FitScoreError("--out is required (or give --cv K to only cross-validate).")
    if oof is not None and cv is None:
        raise FitScoreError("--oof writes the out-of-fold predictions of --cv; add --cv K.")
    base, base_desc = resolve_init(name, init_path)
    if base is None:
        raise FitScoreError(f"the small-data learner describes clips with a pretrained "
                            f"{name} model and there is none (models/{name}.pt is missing): "
                            "give one with --init, or train a network with --scratch.")
    rows = read_labels(labels_csv, known_faults(base), min_exercises=1)
    _, faults = vocabulary(rows, base)
    started = time.time()
    left_out: list[str] = []
    examples = examples_from_labels(rows, faults, load_progress, backend, cache=cache,
                                    left_out=left_out)
    load_s = round(time.time() - started, 1)
    if not examples:
        raise FitScoreError(f"no clip of {Path(labels_csv).name} could be read: "
                            + "; ".join(left_out[:3]))
    data = {"kind": "labelled clips", "description": "the user's own labelled clips, listed "
            "in a LABELS.csv", "labels_csv": str(Path(labels_csv).resolve()),
            "clips": len(examples), "clips_per_exercise": dict(Counter(e.exercise
                                                                       for e in examples)),
            "groups": len({e.group for e in examples}), "left_out": left_out}
    result, card, seconds = run_learner_job(base, base_desc, examples, faults, data, out, cv,
                                            seed, describe_progress, dtw_progress,
                                            fold_progress)
    seconds = {"load": load_s} | seconds
    if oof is not None and result is not None:
        write_learner_oof(oof, result)
    return LearnerRun(len(examples), left_out, base_desc, result, card, seconds)


def write_learner_oof(path: str | Path, cv: LearnerCV) -> Path:
    """One row per clip: path as in LABELS.csv, fold, truth, each method's out-of-fold score
    (text that a spreadsheet would run as a formula gets a leading quote)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "fold", "exercise", "score", "pred_exercise"]
                        + [f"{m}_score" for m in METHODS])
        for r in cv.predictions:
            writer.writerow(safe_row([r["source"], r["fold"], r["exercise"], f"{r['score']:g}",
                                      r["pred_exercise"] or ""]
                                     + [f"{r[f'{m}_score']:.1f}" for m in METHODS]))
    return path
