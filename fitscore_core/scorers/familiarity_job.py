"""Fitting a checkpoint's familiarity check (familiarity.py) on fresh synthetic clips.

    python -m fitscore_core familiarity --model models/lstm.pt --scale 1.5

The clips are generated under real-footage conditions with a seed no training used; the
known exercises' clip embeddings give the means, the covariance and the edge, and the
movements that are no exercise show how many of them the check alone would catch (in the
card; the classifier's own `unknown` class answers most of them already).
"""

import numpy as np
import torch

from fitscore_core.scorers.checkpoints import Scorer
from fitscore_core.scorers.familiarity import EDGE_QUANTILE, SHRINKAGE, fit_familiarity
from fitscore_core.scorers.scoring import windows
from fitscore_core.scorers.training import Progress, examples_from_synth
from fitscore_core.synth.dataset import RealWorld, generate_dataset
from fitscore_core.synth.exercises import UNKNOWN

FIT_SEED = 4242      # no training run uses it (train: 0, evaluate: 12345, bench upper-coco: 54321)


def clip_embedding(scorer: Scorer, values: np.ndarray) -> np.ndarray:
    """(30, T) -> the clip's embedding: its windows' embeddings averaged by length, as
    scoring.run_net averages them."""
    x, mask, _, weights = windows(scorer, [values])
    with torch.no_grad():
        return weights @ scorer.net.embed(x, mask).numpy()


def fit_scorer_familiarity(scorer: Scorer, scale: float, n: int = 3000, seed: int = FIT_SEED,
                           workers: int = 2, progress: Progress | None = None,
                           embed_progress: Progress | None = None) -> dict:
    """Sets scorer.familiarity from n fresh clips (`progress`: generating them,
    `embed_progress`: running the network on them); returns what the model card records."""
    ds = generate_dataset(n, seed, progress, workers=workers, real_world=RealWorld())
    examples = examples_from_synth(ds, scorer.settings, workers=workers)
    embeddings = []
    for k, ex in enumerate(examples):
        embeddings.append(clip_embedding(scorer, ex.values))
        if embed_progress is not None:
            embed_progress(k + 1, len(examples))
    embeddings = np.stack(embeddings)
    names = np.array([ex.exercise for ex in examples])
    known = names != UNKNOWN
    fam = fit_familiarity(embeddings[known], names[known], scale)
    scorer.familiarity = fam
    caught = float(np.mean(fam.distances(embeddings[~known]) > fam.threshold)) \
        if (~known).any() else float("nan")
    return {"clips": int(known.sum()), "seed": seed, "shrinkage": SHRINKAGE,
            "edge_quantile": EDGE_QUANTILE, "edge": round(fam.edge, 2), "scale": scale,
            "threshold": round(fam.threshold, 2),
            "no_exercise_clips_beyond_threshold": round(caught, 3)}
