"""Scoring a clip of any length with one scorer: exercise, score per rep and per clip, faults.

    >>> from fitscore_core.scorers.scoring import predict
    >>> prediction = predict(scorer, clip_features)          # doctest: +SKIP
    >>> prediction.exercise, prediction.score, len(prediction.reps)  # doctest: +SKIP

The exercise comes from the whole clip (windows of N frames, averaged by their length, so a
clip longer than N is never cut). Reps are then found in the key joints' motion and each rep
is scored on its own; the clip score is the mean rep score, and a fault's probability is its
highest over the reps. A clip without one full rep still gets an answer, flagged
low-confidence. A scorer with a small-data learner (learner.py: a gym's own standard) scores
the whole clip with it, as it was trained, and each rep the same way; its learnt faults
replace the network's.
"""

from dataclasses import dataclass, field

import numpy as np
import torch

from fitscore_core.errors import FitScoreError
from fitscore_core.features import ClipFeatures, pad_or_window
from fitscore_core.scorers.checkpoints import Scorer
from fitscore_core.scorers.descriptors import describe
from fitscore_core.scorers.reps import segment_reps
from fitscore_core.synth.exercises import UNKNOWN  # the answer for a movement that is no exercise

MIN_EXERCISE_CONFIDENCE = 0.6
# a score read from less of the clip than this, or from a single rep, says so: a client who
# walks out after one good rep must not get a confident 95 for the whole set
MIN_PERSON_SHARE = 0.6
# Below this calibrated probability, the best known exercise is not named: the answer is
# UNKNOWN. Chosen on the real clips in ../shared/real (see the model cards).
MIN_KNOWN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class RepResult:
    """One rep: frames [start, end) of the source clip, its score, and its own fault
    probabilities (the clip's are their highest), so a fault can be placed in the reps
    where it happened."""

    start: int
    end: int
    score: float
    faults: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelPrediction:
    model: str
    exercise: str
    exercise_probs: dict[str, float]
    score: float
    faults: dict[str, float]   # the exercise's faults -> probability
    reps: list[RepResult]
    low_confidence: bool
    reasons: tuple[str, ...] = ()
    # the clip's distance from the training clips over the familiarity threshold
    # (familiarity.py): above 1 the movement is unlike all of them; None when not measured
    unfamiliarity: float | None = None


def windows(scorer: Scorer, segments: list[np.ndarray]
            ) -> tuple[torch.Tensor, torch.Tensor, np.ndarray, np.ndarray]:
    """Every (30, L) segment's windows of N frames in one batch: tensors (W, 30, N), masks
    (W, N), each window's segment, and its weight within that segment (by length, summing
    to 1 per segment) — how a segment's windows are averaged into one answer."""
    n, stride = scorer.settings.n_frames, scorer.settings.window_stride
    tensors, masks, owner = [], [], []
    for k, seg in enumerate(segments):
        t, m, _ = pad_or_window(seg, n, stride)
        tensors.append(t)
        masks.append(m)
        owner += [k] * len(t)
    mask = np.concatenate(masks)
    owner = np.array(owner)
    lengths = mask.sum(1).astype(float)
    weights = lengths / np.bincount(owner, lengths)[owner]
    return torch.from_numpy(np.concatenate(tensors)), torch.from_numpy(mask), owner, weights


def run_net(scorer: Scorer, segments: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray, np.ndarray]:
    """Each (30, L) segment, windowed to N -> per segment: exercise probs, score, fault
    probs, and its distance from the training clips (familiarity.py; NaN for a scorer
    without one). Windows of one segment are averaged by length (their embeddings too);
    faults: highest."""
    x, mask, owner, weights = windows(scorer, segments)
    with torch.no_grad():
        if scorer.familiarity is None:
            out, embeddings = scorer.net(x, mask), None
        else:
            embedding = scorer.net.embed(x, mask)
            out, embeddings = scorer.net.heads(embedding), embedding.numpy()
    probs = torch.softmax(out.exercise_logits / scorer.temperature, -1).numpy()
    scores = out.score.numpy()
    faults = torch.sigmoid(out.fault_logits).numpy()
    result = [], [], [], []
    for k in range(len(segments)):
        sel = owner == k
        w = weights[sel]
        result[0].append(w @ probs[sel])
        result[1].append(float(w @ scores[sel]))
        result[2].append(faults[sel].max(0))
        result[3].append(float("nan") if embeddings is None
                         else scorer.familiarity.distance(w @ embeddings[sel]))
    return tuple(np.array(r) for r in result)


def known_exercises(scorer: Scorer) -> list[str]:
    """The exercises the scorer can name: the network's, or its learner's recognizers', plus
    those its learner has a standard for."""
    learner = scorer.learner
    names = list(learner.recognizers) if learner is not None and learner.recognizers \
        else [e for e in scorer.exercises if e != UNKNOWN]
    return names + [e for e in (learner.heads if learner is not None else ()) if e not in names]


def recognise(exercise_probs: dict[str, float]) -> str:
    """The most probable exercise, or UNKNOWN when that is likelier or no known exercise
    reaches MIN_KNOWN_CONFIDENCE. A model that never learnt the UNKNOWN class (a user's,
    trained from scratch) always names its best exercise."""
    best = max(exercise_probs, key=exercise_probs.get)
    if UNKNOWN in exercise_probs and (best == UNKNOWN
                                      or exercise_probs[best] < MIN_KNOWN_CONFIDENCE):
        return UNKNOWN
    return best


def describe_clip(scorer: Scorer, values: np.ndarray) -> np.ndarray:
    """The learner's descriptor of (30, T) values through the scorer's frozen network."""
    return describe(scorer.net, values, scorer.settings.n_frames, scorer.settings.window_stride)


def person_frames(features: ClipFeatures) -> tuple[int, int]:
    """[first, last) frames with any joint seen: the frames before the person walks in and
    after they leave carry nothing to read (the synthetic training clips have none)."""
    seen = np.flatnonzero(features.found.any(axis=0))
    return (int(seen[0]), int(seen[-1]) + 1) if len(seen) else (0, 0)


def predict(scorer: Scorer, features: ClipFeatures, exercise: str | None = None,
            source_fps: float | None = None) -> ModelPrediction:
    """features at the scorer's fps; rep frames are reported at `source_fps` (the clip's)."""
    if abs(features.fps - scorer.settings.fps) > 1e-6:
        raise ValueError(f"features at {features.fps} fps; the scorer reads "
                         f"{scorer.settings.fps} fps")
    if exercise is not None and exercise not in known_exercises(scorer):
        raise FitScoreError(f"The {scorer.name} model does not know the exercise {exercise!r}; "
                            f"it knows: {', '.join(known_exercises(scorer))}.")
    first, last = person_frames(features)
    values = features.values[:, first:last]
    if values.shape[1] < 2:
        raise FitScoreError("The clip is too short to score (fewer than 2 frames with the "
                            "person in them).")
    probs, clip_score, clip_faults, distance = run_net(scorer, [values])
    exercise_probs = {e: float(p) for e, p in zip(scorer.exercises, probs[0])}
    learner, descriptor = scorer.learner, None
    unfamiliarity = None
    if learner is not None and learner.recognizers:   # the gym's own exercises: not the net's
        descriptor = describe_clip(scorer, values)
        exercise_probs = learner.exercise_probs(descriptor)
    elif scorer.familiarity is not None:
        unfamiliarity = float(distance[0]) / scorer.familiarity.threshold
    chosen = exercise or recognise(exercise_probs)
    unlike = exercise is None and unfamiliarity is not None and unfamiliarity > 1
    if unlike or chosen == UNKNOWN:
        why = ("the movement is unlike every clip this model was trained on" if unlike
               else "the movement is none of the exercises this model knows")
        return ModelPrediction(scorer.name, UNKNOWN, exercise_probs, float("nan"), {}, [], True,
                               (why,), unfamiliarity)
    reasons = []
    if exercise is None and exercise_probs[chosen] < MIN_EXERCISE_CONFIDENCE:
        reasons.append(f"the exercise is uncertain ({exercise_probs[chosen]:.0%} {chosen})")
    in_view = float(features.found.any(axis=0).mean())
    if in_view < MIN_PERSON_SHARE:
        reasons.append(f"the person is in view in only {in_view:.0%} of the clip "
                       f"({first / features.fps:.1f}–{last / features.fps:.1f} s of "
                       f"{features.n_frames / features.fps:.1f} s)")
    reps = segment_reps(values, features.fps, chosen)
    if len(reps) == 1:
        reasons.append("only one repetition was found")
    to_source = (source_fps or features.fps) / features.fps
    head = learner.heads.get(chosen) if learner is not None else None
    if reps:
        segments = [values[:, r.start:r.end] for r in reps]
        _, rep_scores, rep_faults, _ = run_net(scorer, segments)
        score = float(np.mean(rep_scores))
        fault_probs = rep_faults.max(0)
    else:
        reasons.append("no complete repetition was found")
        segments, score, fault_probs = [], float(clip_score[0]), clip_faults[0]
    prefix = chosen + "."
    faults = {c[len(prefix):]: float(p) for c, p in zip(scorer.faults, fault_probs)
              if c.startswith(prefix)}
    if head is not None:       # the gym's own standard, learnt on whole clips
        descriptor = descriptor if descriptor is not None else describe_clip(scorer, values)
        score = head.score(descriptor, values)
        faults |= head.faults(descriptor)
        rep_descriptors = [describe_clip(scorer, seg) for seg in segments]
        rep_scores = [head.score(d, seg) for d, seg in zip(rep_descriptors, segments)]
        learnt = [head.faults(d) for d in rep_descriptors]
    rep_faults_named = [
        {c[len(prefix):]: float(p) for c, p in zip(scorer.faults, row) if c.startswith(prefix)}
        | (learnt[k] if head is not None else {}) for k, row in enumerate(rep_faults)
    ] if reps else []
    rep_results = [RepResult(round((first + r.start) * to_source),
                             round((first + r.end) * to_source), float(s), f)
                   for r, s, f in zip(reps, rep_scores, rep_faults_named)] if reps else []
    return ModelPrediction(scorer.name, chosen, exercise_probs, score, faults, rep_results,
                           bool(reasons), tuple(reasons), unfamiliarity)
