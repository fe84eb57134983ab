"""A whole training job: data -> split by group -> train -> evaluate on test -> model card.

    python -m fitscore_core train --model cnn1d --data synth --n 12000 --seed 0 \\
        --out models/cnn1d.pt
    python -m fitscore_core train --model cnn1d --data clinic/LABELS.csv --cv 5 --oof oof.csv

A user's own labelled clips (LABELS.csv, see labels.py) fine-tune the shipped checkpoint (or
train from scratch); with 20-100 clips a single 80/10/10 split tests on a handful of clips, so
`--cv K` gives the honest estimate: group K-fold, every clip predicted by a model that never
saw its person or source clip.

The card records what a reader needs to trust (or distrust) the checkpoint: architecture and
size, what data it saw and how much, exercises and faults, feature settings, test metrics per
view, training time, seed and the git commit of the code that trained it.
"""

import csv
import dataclasses
import platform
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fitscore_core.config import FEATURES, MODELS_DIR
from fitscore_core.errors import FitScoreError
from fitscore_core.scorers.checkpoints import Scorer, load_scorer, save_scorer
from fitscore_core.scorers.evaluation import evaluate, metrics, predict_rows
from fitscore_core.scorers.labels import examples_from_labels, known_faults, read_labels, vocabulary
from fitscore_core.scorers.resume import resume_path
from fitscore_core.scorers.training import (Example, TrainConfig, fit_temperature, split_by_group,
                                            train_scorer)

DEFAULT_NETS = {"cnn1d": {}, "lstm": {"hidden": 64, "layers": 2}}


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).parent, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, cwd=Path(__file__).parent,
                               timeout=5).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def build_card(scorer: Scorer, cfg: TrainConfig, data: dict, history: list[dict],
               test_report: dict, seconds: float) -> dict:
    params = sum(p.numel() for p in scorer.net.parameters())
    return {
        "model": scorer.name,
        "architecture": {"class": type(scorer.net).__name__, "config": scorer.config,
                         "parameters": params},
        "training_data": data,
        "exercises": scorer.exercises,
        "faults": scorer.faults,
        "features": dataclasses.asdict(FEATURES) | {"rows": "15 joints × (x, y), BODY_25 0-14"},
        "training": {k: v for k, v in dataclasses.asdict(cfg).items() if k != "net"}
                    | {"epochs_run": len(history),
                       "best_epoch": min(history, key=lambda h: h["val_loss"])["epoch"]
                       if history else None},
        "calibration": {"temperature": round(scorer.temperature, 4),
                        "fitted_on": "validation clips (negative log-likelihood)"},
        "test_metrics": test_report,
        "training_time_s": round(seconds, 1),
        "seed": cfg.seed,
        "git_commit": git_commit(),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, torch "
                   f"{torch.__version__}",
    }


def run_training(name: str, examples: list[Example], exercises: list[str], faults: list[str],
                 data: dict, out: str | Path, cfg: TrainConfig, init: Scorer | None = None,
                 progress=None, extra_train: list[Example] = ()) -> tuple[Scorer, dict]:
    """Split, train, evaluate on the held-out test groups, save checkpoint + card atomically.
    Interrupted, the same job run again continues after its last finished epoch
    (`<out>.resume`, removed once the checkpoint is written).
    extra_train: more clips (posed by the real estimator) of which those whose group fell on
    the training side are trained on; validation and test stay the split's own."""
    started = time.time()
    train, val, test = split_by_group(examples, cfg.seed)
    train_groups = {e.group for e in train}
    extra = [e for e in extra_train if e.group in train_groups]
    train = train + extra
    data = data | {"clips": len(examples), "train_clips": len(train), "validation_clips":
                   len(val), "test_clips": len(test), "split": "by group (person / source "
                   "clip), 80/10/10"} | ({"posed_train_clips": len(extra)} if extra else {})
    state = resume_path(out)
    scorer, history = train_scorer(name, train, val, exercises, faults, cfg, init=init,
                                   progress=progress, resume=state)
    scorer.temperature = fit_temperature(scorer, val)
    report = evaluate(scorer, test) if test else {}
    seconds = time.time() - started
    scorer.card = build_card(scorer, cfg, data, history, report, seconds)
    save_scorer(scorer, out)
    state.unlink(missing_ok=True)         # only once the checkpoint is safely written
    return scorer, scorer.card


# --- a user's own labelled clips ---------------------------------------------------------

OOF_COLUMNS = ("path", "exercise", "score", "pred_exercise", "pred_score")
CV_KEYS = ("exercise_accuracy", "score_mae", "score_spearman", "fault_macro_f1")
VALIDATION_FRACTION = 0.15   # of the training folds' groups, for early stopping


def resolve_init(name: str, init_path: str | Path | None = None, scratch: bool = False
                 ) -> tuple[Scorer | None, str]:
    """The checkpoint to fine-tune and how the card names it: --init PATH, else the shipped
    models/<name>.pt when it exists, else (or with --scratch) none."""
    if scratch and init_path:
        raise FitScoreError("--scratch and --init exclude each other: train from scratch, or "
                            "fine-tune the checkpoint given to --init.")
    path = Path(init_path) if init_path else MODELS_DIR / f"{name}.pt"
    if scratch or (init_path is None and not path.is_file()):
        return None, "none (trained from scratch)"
    scorer = load_scorer(path)
    if scorer.name != name:
        raise FitScoreError(f"{path.name} is a {scorer.name} checkpoint; it cannot start a "
                            f"{name} model (choose --model {scorer.name} or another --init).")
    return scorer, str(path)


def net_config(cfg: TrainConfig, init: Scorer | None) -> TrainConfig:
    """Fine-tuning keeps the init's architecture settings: other sizes would copy nothing."""
    return dataclasses.replace(cfg, net=dict(init.config)) if init is not None else cfg


def check_folds(groups: list[str], k: int) -> None:
    """K folds need 2 <= K <= the number of groups (a group never splits across folds)."""
    n = len(set(groups))
    if not 2 <= k <= n:
        raise FitScoreError(f"--cv {k}: K must be from 2 to the number of groups "
                            f"({n}; clips of one group always share a fold).")


def group_folds(groups: list[str], k: int, seed: int) -> list[int]:
    """Fold (0..k-1) of each clip: whole groups per fold, shuffled by `seed`, largest groups
    placed first, each into the fold holding the fewest clips so far."""
    names = sorted(set(groups))
    check_folds(groups, k)
    size = Counter(groups)
    order = [names[i] for i in np.random.default_rng(seed).permutation(len(names))]
    order.sort(key=lambda g: -size[g])          # stable: equal sizes keep the shuffled order
    load, fold_of = [0] * k, {}
    for g in order:
        fold_of[g] = int(np.argmin(load))
        load[fold_of[g]] += size[g]
    return [fold_of[g] for g in groups]


@dataclass(frozen=True)
class CrossValidation:
    """folds: evaluation.metrics of each fold's held-out clips; mean: their mean (None when
    no fold had the figure); pooled: metrics over every out-of-fold prediction at once;
    predictions: evaluation.predict_rows rows (+ "fold", 1-based) in the examples' order."""

    folds: list[dict]
    mean: dict
    pooled: dict
    predictions: list[dict]


def cross_validate(name: str, examples: list[Example], exercises: list[str], faults: list[str],
                   k: int, cfg: TrainConfig, init: Scorer | None = None, on_fold=None,
                   on_epoch=None) -> CrossValidation:
    """Group K-fold: train on K-1 folds (15 % of their groups held out for early stopping),
    predict the held-out fold with the exercise predicted, as a new client's clip would be."""
    fold_of = group_folds([e.group for e in examples], k, cfg.seed)
    predictions: list[dict] = [{}] * len(examples)
    folds = []
    if on_fold is not None:
        on_fold(0, k)
    for f in range(k):
        held = [i for i, g in enumerate(fold_of) if g == f]
        rest = [e for e, g in zip(examples, fold_of) if g != f]
        train, val, extra = split_by_group(rest, cfg.seed + f,
                                           (1 - VALIDATION_FRACTION, VALIDATION_FRACTION, 0.0))
        scorer, _ = train_scorer(name, train, val + extra, exercises, faults, cfg, init=init,
                                 progress=None if on_epoch is None else
                                 lambda record: on_epoch(record | {"fold": f + 1}))
        rows = predict_rows(scorer, [examples[i] for i in held])
        for i, row in zip(held, rows):
            predictions[i] = row | {"fold": f + 1}
        folds.append(metrics(rows, exercises, faults))
        if on_fold is not None:
            on_fold(f + 1, k)
    mean = {}
    for key in CV_KEYS:
        values = [m[key] for m in folds if m.get(key) is not None]
        mean[key] = float(np.mean(values)) if values else None
    return CrossValidation(folds, mean, metrics(predictions, exercises, faults), predictions)


def write_oof(path: str | Path, cv: CrossValidation) -> Path:
    """One row per clip: path as written in LABELS.csv, truth, out-of-fold prediction (text
    that a spreadsheet would run as a formula gets a leading quote)."""
    from fitscore_core.user_files import safe_row
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(OOF_COLUMNS)
        for r in cv.predictions:
            writer.writerow(safe_row([r["source"], r["exercise"], f"{r['score']:g}",
                                      r["pred_exercise"], f"{r['pred_score']:.1f}"]))
    return path


def format_cv(cv: CrossValidation) -> str:
    fmt = lambda v, f: "—" if v is None else format(v, f)  # noqa: E731
    lines = [f"{'fold':10} {'clips':>6} {'accuracy':>9} {'score MAE':>10} {'Spearman':>9} "
             f"{'fault F1':>9}"]
    table = [(str(f + 1), m) for f, m in enumerate(cv.folds)]
    table += [("mean", cv.mean | {"clips": sum(m["clips"] for m in cv.folds) / len(cv.folds)}),
              ("pooled", cv.pooled)]
    for label, m in table:
        clips = m["clips"] if label != "mean" else f"{m['clips']:.1f}"
        lines.append(f"{label:10} {clips:>6} {fmt(m['exercise_accuracy'], '>9.1%')} "
                     f"{fmt(m['score_mae'], '>10.2f')} {fmt(m['score_spearman'], '>9.3f')} "
                     f"{fmt(m['fault_macro_f1'], '>9.3f')}")
    return "\n".join(lines)


@dataclass(frozen=True)
class LabelsJob:
    """What `train --data LABELS.csv` did: clips read, the init used, the cross-validation
    (with --cv) and the saved model's card (with --out)."""

    clips: int
    init: str
    cv: CrossValidation | None
    card: dict | None


def train_from_labels(name: str, labels_csv: str | Path, cfg: TrainConfig,
                      out: str | Path | None = None, cv: int | None = None,
                      oof: str | Path | None = None, init_path: str | Path | None = None,
                      scratch: bool = False, backend=None, load_progress=None,
                      fold_progress=None, epoch_progress=None) -> LabelsJob:
    """LABELS.csv -> checked rows -> clips loaded -> (group K-fold, OOF CSV) -> (final model
    on every clip, saved with its card). Every check runs before the slow clip loading."""
    if out is None and cv is None:
        raise FitScoreError("--out is required (or give --cv K to only cross-validate).")
    if oof is not None and cv is None:
        raise FitScoreError("--oof writes the out-of-fold predictions of --cv; add --cv K.")
    init, init_desc = resolve_init(name, init_path, scratch)
    cfg = net_config(cfg, init)
    rows = read_labels(labels_csv, known_faults(init))
    if cv is not None:
        group_folds([r.group for r in rows], cv, cfg.seed)       # K checked before loading
    exercises, faults = vocabulary(rows, init)
    examples = examples_from_labels(rows, faults, load_progress, backend)
    result = None
    if cv is not None:
        result = cross_validate(name, examples, exercises, faults, cv, cfg, init,
                                fold_progress, epoch_progress)
        if oof is not None:
            write_oof(oof, result)
    card = None
    if out is not None:
        data = {"kind": "labelled clips",
                "description": "the user's own labelled clips, listed in a LABELS.csv",
                "labels_csv": str(Path(labels_csv).resolve()),
                "clips_per_exercise": dict(Counter(r.exercise for r in rows)),
                "groups": len({r.group for r in rows}), "init": init_desc}
        if result is not None:
            data["cross_validation"] = {"folds": cv, "mean": result.mean,
                                        "per_fold": [{k: m.get(k) for k in ("clips",) + CV_KEYS}
                                                     for m in result.folds]}
        _, card = run_training(name, examples, exercises, faults, data, out, cfg, init,
                               epoch_progress)
    return LabelsJob(len(rows), init_desc, result, card)
