"""A whole training job: data -> split by group -> train -> evaluate on test -> model card.

    python -m fitscore_core train --model cnn1d --data synth --n 12000 --seed 0 \\
        --out models/cnn1d.pt

The card records what a reader needs to trust (or distrust) the checkpoint: architecture and
size, what data it saw and how much, exercises and faults, feature settings, test metrics per
view, training time, seed and the git commit of the code that trained it.
"""

import dataclasses
import platform
import subprocess
import time
from pathlib import Path

import torch

from .checkpoints import Scorer, save_scorer
from .config import FEATURES
from .evaluation import evaluate
from .training import Example, TrainConfig, split_by_group, train_scorer

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
        "test_metrics": test_report,
        "training_time_s": round(seconds, 1),
        "seed": cfg.seed,
        "git_commit": git_commit(),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, torch "
                   f"{torch.__version__}",
    }


def run_training(name: str, examples: list[Example], exercises: list[str], faults: list[str],
                 data: dict, out: str | Path, cfg: TrainConfig, init: Scorer | None = None,
                 progress=None) -> tuple[Scorer, dict]:
    """Split, train, evaluate on the held-out test groups, save checkpoint + card atomically."""
    started = time.time()
    train, val, test = split_by_group(examples, cfg.seed)
    data = data | {"clips": len(examples), "train_clips": len(train), "validation_clips":
                   len(val), "test_clips": len(test), "split": "by group (person / source "
                   "clip), 80/10/10"}
    scorer, history = train_scorer(name, train, val, exercises, faults, cfg, init=init,
                                   progress=progress)
    report = evaluate(scorer, test) if test else {}
    seconds = time.time() - started
    scorer.card = build_card(scorer, cfg, data, history, report, seconds)
    save_scorer(scorer, out)
    return scorer, scorer.card
