"""How far a clip is from everything a network was trained on: the "unknown" answer's second
line of defence.

    >>> import numpy as np
    >>> from fitscore_core.scorers.familiarity import fit_familiarity
    >>> rng = np.random.default_rng(0)
    >>> emb = np.concatenate([rng.normal(0, 1, (200, 4)), rng.normal(5, 1, (200, 4))])
    >>> fam = fit_familiarity(emb, ["squat"] * 200 + ["lunge"] * 200, scale=1.5)
    >>> bool(fam.distance(np.full(4, 5.0)) < fam.threshold), fam.unfamiliar(np.full(4, 40.0))
    (True, True)

The classifier's `unknown` class only knows the movements that are no exercise it was shown
(synth/moves/other.py); a real clip unlike all of them (a pull-up filmed from below the bar,
table tennis) still lands on some exercise, often confidently. Such a clip is also far from
every exercise in the network's own clip embedding (the vector its heads read). The distance
is the Mahalanobis distance (squared) to the nearest exercise's mean, with one covariance
shared by the exercises and shrunk towards its mean variance (Lee et al. 2018, "A simple
unified framework for detecting out-of-distribution samples"). The threshold is `scale`
times the 99th percentile of the distance over synthetic clips of the known exercises that
the fit did not use, so it is read in units of "the synthetic clips' far edge".
"""

from dataclasses import dataclass

import numpy as np

SHRINKAGE = 0.1     # covariance -> (1 - s) · cov + s · (mean variance) · I: 192-384 dimensions
EDGE_QUANTILE = 0.99


@dataclass(frozen=True)
class Familiarity:
    exercises: tuple[str, ...]
    means: np.ndarray        # (E, D): each exercise's mean clip embedding
    precision: np.ndarray    # (D, D): inverse of the shared, shrunk covariance
    edge: float              # the distance of the synthetic clips' EDGE_QUANTILE
    scale: float             # threshold = scale · edge

    @property
    def threshold(self) -> float:
        return self.scale * self.edge

    def distances(self, embeddings: np.ndarray) -> np.ndarray:
        """(B, D) -> (B,): squared Mahalanobis distance to the nearest exercise mean."""
        diff = np.asarray(embeddings, np.float64)[:, None, :] - self.means[None]
        return np.einsum("bed,df,bef->be", diff, self.precision, diff).min(axis=1)

    def distance(self, embedding: np.ndarray) -> float:
        return float(self.distances(np.asarray(embedding)[None])[0])

    def unfamiliar(self, embedding: np.ndarray) -> bool:
        return self.distance(embedding) > self.threshold

    def state(self) -> dict:
        """Plain lists and numbers, for a checkpoint read with weights_only=True."""
        return {"exercises": [str(e) for e in self.exercises], "means": self.means.tolist(),
                "precision": self.precision.tolist(), "edge": float(self.edge),
                "scale": float(self.scale)}

    @classmethod
    def from_state(cls, state: dict) -> "Familiarity":
        """The inverse of state(); ValueError for anything it would not have written."""
        means = np.array(state["means"], np.float64)
        precision = np.array(state["precision"], np.float64)
        exercises = tuple(state["exercises"])
        edge, scale = float(state["edge"]), float(state["scale"])
        if (means.ndim != 2 or len(exercises) != len(means) or not exercises
                or not all(isinstance(e, str) for e in exercises)
                or precision.shape != (means.shape[1], means.shape[1])):
            raise ValueError("its means and precision do not fit together")
        if not (np.isfinite(means).all() and np.isfinite(precision).all()
                and np.isfinite([edge, scale]).all() and edge > 0 and scale > 0):
            raise ValueError("it holds values that are not finite, or a threshold <= 0")
        return cls(exercises, means, precision, edge, scale)


def fit_familiarity(embeddings: np.ndarray, exercises, scale: float,
                    held_out: float = 0.3, seed: int = 0) -> Familiarity:
    """Embeddings (B, D) of clips of known exercises and their names -> a Familiarity whose
    edge is measured on the `held_out` share of clips the means and covariance did not see."""
    embeddings = np.asarray(embeddings, np.float64)
    names = np.asarray(list(exercises))
    if len(names) != len(embeddings) or embeddings.ndim != 2:
        raise ValueError("one exercise name per embedding row")
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale!r}")
    fit = np.random.default_rng(seed).random(len(names)) >= held_out
    classes = tuple(sorted(set(map(str, names[fit]))))
    if len(classes) < 1 or (~fit).sum() < 10:
        raise ValueError("too few clips to fit and to measure the edge on")
    means = np.stack([embeddings[fit & (names == c)].mean(0) for c in classes])
    residuals = np.concatenate([embeddings[fit & (names == c)] - m
                                for c, m in zip(classes, means)])
    cov = np.cov(residuals.T)
    cov = (1 - SHRINKAGE) * cov + SHRINKAGE * np.trace(cov) / len(cov) * np.eye(len(cov))
    unscaled = Familiarity(classes, means, np.linalg.inv(cov), 1.0, 1.0)
    edge = float(np.quantile(unscaled.distances(embeddings[~fit]), EDGE_QUANTILE))
    return Familiarity(classes, means, unscaled.precision, edge, float(scale))
