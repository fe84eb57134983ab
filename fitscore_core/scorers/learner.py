"""The small-data learner: a gym's own standard from a few dozen labelled clips, on top of a
frozen pretrained scorer.

    >>> from fitscore_core.scorers.learner import fit_learner
    >>> learner = fit_learner(scorer, examples, faults)               # doctest: +SKIP
    >>> learner.heads["push_up"].score(descriptor, values)            # doctest: +SKIP
    87.5

Why not train the network: a 200 k-parameter network regressing 0/100 labels of ~90 clips
overfits from the second epoch (out-of-fold good-vs-bad at chance). Here the network stays
as it is and only describes each clip (descriptors.py); per exercise, extra-trees
(forest.py) learn the gym's standard from the descriptors plus what the clip's nearest
labelled clips are (dynamic time warping on the normalized features, the baseline that was
hard to beat): the labels of the 1 and 3 nearest, and how much nearer the nearest good clip
is than the nearest bad one. A training clip's neighbours never include clips of its own
group (person), as a new client's would not.

Labels that take only two values (good / bad, 0 / 100) are a classification: the score is
P(good) x 100. Other scores are a regression. A fault the trainer listed on at least
MIN_FAULT_CLIPS clips and left off at least as many is learnt the same way; the others keep
the pretrained model's answer. Exercises the pretrained model does not know get a recognizer
of their own (one forest per exercise over the CSV's exercises).
"""

from dataclasses import dataclass, field

import numpy as np

from fitscore_core.dtw import dtw_path
from fitscore_core.errors import FitScoreError
from fitscore_core.scorers.descriptors import describe
from fitscore_core.scorers.forest import Forest, fit_forest

MIN_FAULT_CLIPS = 3
CALIBRATION_TREES = 100    # the inner forests only estimate how far to trust the votes
MIN_CLASS_CLIPS = 2
NEIGHBOUR_FEATURES = 4


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-3, 1 - 1e-3)
    return np.log(p / (1 - p))


def platt(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[float, float]:
    """(a, b) of sigmoid(a logit(p) + b) fitted on the forest's out-of-fold P(good) on its
    own training clips (inner 5-fold): a forest's raw votes are not probabilities."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    folds = min(5, int(np.bincount(y).min()))
    if folds < 2:
        return 1.0, 0.0
    inner = np.zeros(len(y))
    for k, (train, held) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=seed)
                                      .split(x, y)):
        inner[held] = fit_forest(x[train], y[train], True, trees=CALIBRATION_TREES,
                                 seed=seed + k).predict(x[held])
    fit = LogisticRegression(C=1.0).fit(logit(inner)[:, None], y)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def dtw_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean frame distance along the DTW path of two (30, T) clips."""
    cost, path = dtw_path(a.T, b.T)
    return float(cost) / len(path)


def distance_matrix(values: list[np.ndarray], progress=None) -> np.ndarray:
    """(n, n) DTW distances between every pair of clips."""
    n = len(values)
    dist = np.zeros((n, n))
    pairs = n * (n - 1) // 2
    done = 0
    for i in range(n):
        for j in range(i + 1, n):
            dist[i, j] = dist[j, i] = dtw_distance(values[i], values[j])
        done += n - 1 - i
        if progress is not None:
            progress(done, pairs)
    return dist


def neighbour_features(dist: np.ndarray, labels: np.ndarray, good: np.ndarray) -> np.ndarray:
    """(m, n) distances to n labelled clips (inf = not a neighbour) -> (m, 4): label of the
    nearest, mean label of the 3 nearest, and (nearest bad - nearest good) distance for the
    nearest one and the 3 nearest. Labels scaled 0-1; good: label above the middle."""
    out = np.zeros((len(dist), NEIGHBOUR_FEATURES))
    for r, d in enumerate(dist):
        order = np.argsort(d)
        order = order[np.isfinite(d[order])]
        if not len(order):
            continue
        out[r, 0] = labels[order[0]]
        out[r, 1] = labels[order[:3]].mean()
        dg, db = np.sort(d[order][good[order]]), np.sort(d[order][~good[order]])
        if len(dg) and len(db):
            out[r, 2] = db[0] - dg[0]
            out[r, 3] = db[:3].mean() - dg[:3].mean()
    return out


@dataclass
class ExerciseHead:
    """What the learner knows of one exercise. kind: "good_bad" (two label values, low and
    high) or "score" (0-100 regression); references: the training clips' (30, T) values,
    their labels scaled 0-1, their groups."""

    exercise: str
    kind: str
    low: float
    high: float
    score_forest: Forest
    references: list[np.ndarray]
    reference_labels: np.ndarray
    fault_forests: dict[str, Forest] = field(default_factory=dict)
    calibration: tuple[float, float] = (1.0, 0.0)   # good_bad: P = sigmoid(a logit(p) + b)

    @property
    def reference_good(self) -> np.ndarray:
        return self.reference_labels > (0.5 if self.kind == "good_bad"
                                        else np.median(self.reference_labels))

    def inputs(self, descriptor: np.ndarray, dist: np.ndarray) -> np.ndarray:
        """(m, D) descriptors + (m, n) distances to the references -> the forest's inputs."""
        return np.hstack([np.atleast_2d(descriptor),
                          neighbour_features(np.atleast_2d(dist), self.reference_labels,
                                             self.reference_good)])

    def distances(self, values: np.ndarray) -> np.ndarray:
        return np.array([dtw_distance(values, r) for r in self.references])

    def score_from(self, x: np.ndarray) -> np.ndarray:
        """Forest inputs -> score 0-100: calibrated P(good) x 100, or the regression."""
        p = self.score_forest.predict(x)
        if self.kind == "good_bad":
            a, b = self.calibration
            p = 1.0 / (1.0 + np.exp(-(a * logit(p) + b)))
        return np.clip(100.0 * p, 0.0, 100.0)

    def score(self, descriptor: np.ndarray, values: np.ndarray) -> float:
        return float(self.score_from(self.inputs(descriptor, self.distances(values)))[0])

    def faults(self, descriptor: np.ndarray) -> dict[str, float]:
        return {f: float(forest.predict(np.atleast_2d(descriptor))[0])
                for f, forest in self.fault_forests.items()}


@dataclass
class Learner:
    """heads: exercise -> ExerciseHead; recognizers: exercise -> P(this exercise) forest,
    only when the labelled clips bring exercises the pretrained model does not know."""

    heads: dict[str, ExerciseHead]
    recognizers: dict[str, Forest] = field(default_factory=dict)

    def exercise_probs(self, descriptor: np.ndarray) -> dict[str, float] | None:
        if not self.recognizers:
            return None
        raw = {e: float(f.predict(np.atleast_2d(descriptor))[0])
               for e, f in self.recognizers.items()}
        total = sum(raw.values()) or 1.0
        return {e: p / total for e, p in raw.items()}

    def state(self) -> dict:
        import torch
        return {"heads": {e: {"kind": h.kind, "low": h.low, "high": h.high,
                              "calibration": list(h.calibration),
                              "score_forest": h.score_forest.state(),
                              "references": [torch.from_numpy(np.ascontiguousarray(r))
                                             for r in h.references],
                              "reference_labels": torch.from_numpy(h.reference_labels),
                              "fault_forests": {f: t.state()
                                                for f, t in h.fault_forests.items()}}
                          for e, h in self.heads.items()},
                "recognizers": {e: f.state() for e, f in self.recognizers.items()}}

    @classmethod
    def from_state(cls, state: dict) -> "Learner":
        heads = {e: ExerciseHead(e, h["kind"], float(h["low"]), float(h["high"]),
                                 Forest.from_state(h["score_forest"]),
                                 [r.numpy() for r in h["references"]],
                                 h["reference_labels"].numpy(),
                                 {f: Forest.from_state(t) for f, t in h["fault_forests"].items()},
                                 tuple(float(v) for v in h["calibration"]))
                 for e, h in state["heads"].items()}
        return cls(heads, {e: Forest.from_state(f) for e, f in state["recognizers"].items()})


def clip_faults(example, faults: list[str]) -> dict[str, float]:
    """The clip's labelled faults of its own exercise: name -> 1 listed / 0 not (NaN left out)."""
    prefix = example.exercise + "."
    row = example.rep_faults[0] if len(example.rep_faults) else np.full(len(faults), np.nan)
    return {c[len(prefix):]: float(v) for c, v in zip(faults, row)
            if c.startswith(prefix) and np.isfinite(v)}


def label_kind(scores: np.ndarray, exercise: str) -> tuple[str, float, float]:
    """("good_bad", low, high) for two label values, ("score", 0, 100) for more; one value
    only cannot teach a standard."""
    distinct = np.unique(scores)
    if len(distinct) < 2:
        raise FitScoreError(f"every {exercise} clip carries the same score ({distinct[0]:g}): "
                            "label good and bad clips (at least two different scores) so the "
                            "learner can tell them apart.")
    if len(distinct) == 2:
        low, high = (float(v) for v in distinct)
        for value in (low, high):
            n = int((scores == value).sum())
            if n < MIN_CLASS_CLIPS:
                raise FitScoreError(f"only {n} {exercise} clip(s) scored {value:g}: label at "
                                    f"least {MIN_CLASS_CLIPS} clips of each kind.")
        return "good_bad", low, high
    return "score", 0.0, 100.0


def fit_head(exercise: str, descriptors: np.ndarray, values: list[np.ndarray],
             scores: np.ndarray, groups: list[str], dist: np.ndarray,
             faults: list[dict[str, float]], seed: int = 0) -> ExerciseHead:
    """One exercise's head from its clips (dist: their (n, n) DTW distances)."""
    kind, low, high = label_kind(scores, exercise)
    labels = ((scores - low) / (high - low)).astype(np.float64)
    head = ExerciseHead(exercise, kind, low, high, None, list(values), labels)
    same_group = np.equal.outer(np.array(groups), np.array(groups))
    x = head.inputs(descriptors, np.where(same_group, np.inf, dist))
    if kind == "good_bad":
        y = (labels > 0.5).astype(int)
        head.score_forest = fit_forest(x, y, classify=True, seed=seed)
        head.calibration = platt(x, y, seed)
    else:
        head.score_forest = fit_forest(x, labels, classify=False, seed=seed)
    for name in sorted({f for clip in faults for f in clip}):
        rows = [i for i, clip in enumerate(faults) if name in clip]
        y = np.array([faults[i][name] for i in rows]) > 0.5
        if y.sum() >= MIN_FAULT_CLIPS and (~y).sum() >= MIN_FAULT_CLIPS:
            head.fault_forests[name] = fit_forest(descriptors[rows], y.astype(int), True,
                                                  seed=seed)
    return head


def describe_all(scorer, examples, progress=None) -> np.ndarray:
    """Every example's descriptor through the scorer's frozen network."""
    out = []
    for k, e in enumerate(examples):
        out.append(describe(scorer.net, e.values, scorer.settings.n_frames,
                            scorer.settings.window_stride))
        if progress is not None:
            progress(k + 1, len(examples))
    return np.array(out)


def fit_learner(scorer, examples, faults: list[str], descriptors: np.ndarray | None = None,
                dist: dict[str, np.ndarray] | None = None, seed: int = 0) -> Learner:
    """A Learner for every exercise of `examples` (Example list, faults: its fault columns).
    descriptors / dist (exercise -> DTW matrix of its clips, in order) may be given when
    already computed, as cross-validation does."""
    if descriptors is None:
        descriptors = describe_all(scorer, examples)
    exercises = list(dict.fromkeys(e.exercise for e in examples))
    heads = {}
    for ex in exercises:
        rows = [i for i, e in enumerate(examples) if e.exercise == ex]
        values = [examples[i].values for i in rows]
        d = dist[ex] if dist is not None else distance_matrix(values)
        heads[ex] = fit_head(ex, descriptors[rows], values,
                             np.array([examples[i].score for i in rows]),
                             [examples[i].group for i in rows], d,
                             [clip_faults(examples[i], faults) for i in rows], seed)
    new = [ex for ex in exercises if ex not in scorer.exercises]
    recognizers = {}
    if new:
        if len(exercises) < 2:
            raise FitScoreError(f"{new[0]} is an exercise the pretrained model does not know; "
                                "to recognise it, LABELS.csv needs clips of at least one other "
                                "exercise too.")
        truth = np.array([e.exercise for e in examples])
        recognizers = {ex: fit_forest(descriptors, (truth == ex).astype(int), True, seed=seed)
                       for ex in exercises}
    return Learner(heads, recognizers)
