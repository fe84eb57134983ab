"""Why a model gave its score: a joint × time importance map, and what-if re-scoring.

    >>> from fitscore_core.scorers.attribution import attribute, what_if
    >>> a = attribute(scorer, analysis.model_features, "squat")            # doctest: +SKIP
    >>> a.joint_time.shape == (15, analysis.model_features.n_frames)       # doctest: +SKIP
    True
    >>> top_joint = next(iter(a.joint_importance))                         # doctest: +SKIP
    >>> what_if(scorer, analysis.model_features, "RKnee", range_scale=0.5).score  # doctest: +SKIP

Method: integrated gradients (IG) of the SCORE output with respect to the 30 input rows,
computed the way scoring.predict scores a clip: the exercise from the whole clip, then each
rep on its own (the whole clip when no rep is found; a segment longer than N frames in the
same overlapping windows as run_net), the clip score being the mean rep score: each
rep's map is placed at its frames and divided by the number of reps. Gradients rather than
occlusion because one batched forward/backward pass (32 path steps) gives every joint and
frame at once; occlusion would need one pass per joint and time slot.

Baseline, by default: the "still" clip, every joint held at its own mean position over the
clip (a joint not found stays 0, as in the input). The map then says which joints' MOTION
drove the score. The all-zero input is no neutral baseline here: zero means every joint sits
on the hip centre, a pose no person takes, so attributions against it mostly measure where
the limbs are, not how they move.
Baseline, given a `reference` (a correct execution, e.g. the built-in one): the reference,
rep by rep, stretched to each scored rep. The map then says which joints' DEVIATION from
correct form moved the score, which is what a trainer asks. Measured on synthetic clips with
one fault (tests/test_attribution.py, 34 faults × 3 seeds): the fault's joints get more than
the average joint's importance in 85% (CNN) / 78% (LSTM) of clips against the reference,
71% / 64% against the still clip; a model-free "how much does each joint move" share gets
64% and an untrained CNN 69% against the still clip, 60% against the reference. So the
still map mostly shows the big movers; use the reference when there is one.

Completeness (IG's defining property): the signed map sums to score − baseline_score, up to
the error of the 32-step path integral (the trapezoid rule; a few tenths of a point).

Everything here works on features at the scorer's fps (analysis.model_features): map
columns are frames of that clip.
"""

import math
from dataclasses import dataclass, replace

import numpy as np
import torch

from fitscore_core.errors import FitScoreError
from fitscore_core.features import ClipFeatures, pad_or_window, resample
from fitscore_core.pose.skeletons import MODEL_15
from fitscore_core.scorers.checkpoints import Scorer
from fitscore_core.scorers.reps import segment_reps
from fitscore_core.scorers.scoring import ModelPrediction, predict

DEFAULT_STEPS = 32
MAX_BATCH = 512   # path points per forward/backward: bounds memory on long clips


@dataclass(frozen=True)
class Attribution:
    """One model's explanation of its score for one clip.

    signed: (30, T) IG per feature row (ROW_LABELS order) and frame, in score points;
    joint_time: (15, T) |x part| + |y part| per joint and frame (MODEL_15 order);
    joint_importance: joint name -> share of the total |attribution| (sums to 1, largest
    first; all 0 when nothing in the clip moved the score).
    score: the clip score as predict gives it; baseline_score: the same reps of the still
    clip, scored the same way (so signed.sum() ≈ score − baseline_score).
    """

    model: str
    method: str
    exercise: str
    signed: np.ndarray
    joint_time: np.ndarray
    joint_importance: dict[str, float]
    baseline_score: float
    score: float


def still_baseline(features: ClipFeatures) -> np.ndarray:
    """(30, T): each joint at its mean position over the frames it was found in, 0 where
    it was not found (so not-found entries equal the input's and get no attribution)."""
    found = np.repeat(features.found, 2, axis=0)                       # (30, T)
    count = found.sum(axis=1, keepdims=True)
    mean = np.where(found, features.values, 0.0).sum(axis=1, keepdims=True) / np.maximum(count, 1)
    return np.where(found, mean, 0.0).astype(np.float32)


def reference_baseline(features: ClipFeatures, reference: ClipFeatures,
                       segments: list[tuple[int, int]], exercise: str) -> np.ndarray:
    """(30, T): in each scored segment, a rep of the reference (its reps in turn; the
    whole reference when it has none) stretched linearly in time to the segment's length;
    0 where the client's joint was not found, and outside the segments (never scored).

    Linear per-rep stretching, not DTW: both ends of a rep are at rest, so matching the
    ends lines up the phases closely enough, and a tempo fault stays visible as motion at
    the wrong moment instead of being warped away."""
    ref = resample(reference, features.fps)
    ref_reps = [(r.start, r.end) for r in segment_reps(ref.values, ref.fps, exercise)]
    ref_reps = ref_reps or [(0, ref.n_frames)]
    base = np.zeros_like(features.values)
    for k, (start, end) in enumerate(segments):
        r0, r1 = ref_reps[k % len(ref_reps)]
        t = np.linspace(r0, r1 - 1, end - start)
        lo = np.floor(t).astype(int)
        hi = np.minimum(lo + 1, r1 - 1)
        w = (t - lo).astype(np.float32)
        base[:, start:end] = ref.values[:, lo] * (1 - w) + ref.values[:, hi] * w
    return base * np.repeat(features.found, 2, axis=0)


def _segments(features: ClipFeatures, prediction: ModelPrediction) -> list[tuple[int, int]]:
    """The [start, end) frames predict scored: each rep, or the whole clip."""
    if prediction.reps:
        return [(r.start, r.end) for r in prediction.reps]
    return [(0, features.n_frames)]


def _window_plan(scorer: Scorer, segments: list[tuple[int, int]]):
    """Every window predict runs, with where it sits in the clip and its weight in the clip
    score: (clip start, real length, weight). Weight = length share within its segment
    (run_net) / number of segments (mean over reps)."""
    n, stride = scorer.settings.n_frames, scorer.settings.window_stride
    plan = []
    for start, end in segments:
        _, mask, starts = pad_or_window(np.zeros((1, end - start), np.float32), n, stride)
        lengths = mask.sum(axis=1)
        for s, length in zip(starts, lengths):
            plan.append((start + int(s), int(length),
                         float(length / lengths.sum() / len(segments))))
    return plan


def _integrated_gradients(net: torch.nn.Module, x: np.ndarray, base: np.ndarray,
                          weights: np.ndarray, lengths: np.ndarray, steps: int
                          ) -> tuple[np.ndarray, float, float]:
    """IG of sum_w weights[w] * score(x[w]) along the straight path base -> x.

    x, base: (W, 30, N) padded windows; lengths: (W,) real frames. Returns the (W, 30, N)
    attribution, the weighted score at x and at the baseline (the path's two ends, which
    the trapezoid rule evaluates anyway)."""
    alphas = np.linspace(0.0, 1.0, steps + 1, dtype=np.float32)
    rule = np.full(steps + 1, 1.0 / steps, np.float32)
    rule[[0, -1]] /= 2                                                 # trapezoid weights
    n_w, n = x.shape[0], x.shape[2]
    mask = np.arange(n)[None, :] < lengths[:, None]                   # (W, N)
    # path point (w, k): base[w] + alphas[k] * (x[w] - base[w]), flattened w-major
    w_idx = np.repeat(np.arange(n_w), steps + 1)
    k_idx = np.tile(np.arange(steps + 1), n_w)
    grads = np.zeros((n_w * (steps + 1), 30, n), np.float32)
    scores = np.zeros(n_w * (steps + 1), np.float32)
    for lo in range(0, len(w_idx), MAX_BATCH):
        w, k = w_idx[lo:lo + MAX_BATCH], k_idx[lo:lo + MAX_BATCH]
        point = base[w] + alphas[k, None, None] * (x[w] - base[w])
        inp = torch.from_numpy(point).requires_grad_(True)
        out = net(inp, torch.from_numpy(mask[w])).score
        (grad,) = torch.autograd.grad(out.sum(), inp)
        grads[lo:lo + len(w)] = grad.numpy()
        scores[lo:lo + len(w)] = out.detach().numpy()
    grads = grads.reshape(n_w, steps + 1, 30, n)
    scores = scores.reshape(n_w, steps + 1)
    avg_grad = np.einsum("k,wkcn->wcn", rule, grads)
    attributions = weights[:, None, None] * avg_grad * (x - base)
    return attributions, float(weights @ scores[:, -1]), float(weights @ scores[:, 0])


def attribute(scorer: Scorer, features: ClipFeatures, exercise: str | None = None,
              steps: int = DEFAULT_STEPS, reference: ClipFeatures | None = None
              ) -> Attribution:
    """Integrated gradients of `scorer`'s clip score (see the module docstring).

    The exercise and the reps are predict's own (the given exercise, or the one the model
    sees); the model is run in eval mode (no dropout) and left in the mode it was in.
    Completeness: signed.sum() ≈ score − baseline_score.
    reference: a correct execution (any fps, already facing the client's way, e.g.
    reference.match_facing(...).features) to use as the baseline instead of the still
    clip: the map then says which joints' deviation from it moved the score.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    prediction = predict(scorer, features, exercise)   # validates fps, exercise, length
    segments = _segments(features, prediction)
    plan = _window_plan(scorer, segments)
    # Windows are padded to the longest real one, not to N: both nets ignore padding
    # exactly (networks.py), so the answer is the same and a 3 s rep costs 45 frames, not 150.
    n = max(length for _, length, _ in plan)
    if reference is None:
        base_clip, kind = still_baseline(features), "still-pose"
    else:
        if reference.n_frames < 2:
            raise FitScoreError("The reference is too short to compare with (fewer than 2 "
                                "frames).")
        base_clip = reference_baseline(features, reference, segments, prediction.exercise)
        kind = "reference"
    values = features.values
    x = np.zeros((len(plan), 30, n), np.float32)
    base = np.zeros_like(x)
    for w, (start, length, _) in enumerate(plan):
        x[w, :, :length] = values[:, start:start + length]
        base[w, :, :length] = base_clip[:, start:start + length]
    weights = np.array([p[2] for p in plan], np.float32)
    lengths = np.array([p[1] for p in plan])

    net = scorer.net
    was_training = net.training
    net.eval()
    try:
        with torch.enable_grad():
            per_window, score, base_score = _integrated_gradients(net, x, base, weights,
                                                                  lengths, steps)
    finally:
        net.train(was_training)

    signed = np.zeros((30, features.n_frames), np.float32)
    for w, (start, length, _) in enumerate(plan):
        signed[:, start:start + length] += per_window[w, :, :length]
    joint_time = np.abs(signed[0::2]) + np.abs(signed[1::2])
    return Attribution(scorer.name, f"integrated gradients ({steps} steps, {kind} baseline)",
                       prediction.exercise, signed, joint_time,
                       joint_ranking(joint_time), base_score, score)


def joint_ranking(joint_time: np.ndarray) -> dict[str, float]:
    """(15, T) map -> joint name -> share of the total, largest first."""
    totals = joint_time.sum(axis=1).astype(float)
    shares = totals / totals.sum() if totals.sum() > 0 else np.zeros_like(totals)
    order = np.argsort(-shares, kind="stable")
    return {MODEL_15.joints[j]: float(shares[j]) for j in order}


def moved_features(features: ClipFeatures, joint: str, shift: tuple[float, float] = (0.0, 0.0),
                   range_scale: float = 1.0, frames: tuple[int, int] | None = None
                   ) -> ClipFeatures:
    """A copy of the clip with one joint moved: by `shift` (dx, dy) torso lengths (y up),
    and its travel around its clip-mean position scaled by `range_scale` (0.5 = half the
    motion, 0 = held still), in frames [start, end) of these features only if `frames` is
    given. Frames where the joint was not found stay 0; every other joint is untouched."""
    if joint not in MODEL_15.joints:
        raise FitScoreError(f"Unknown joint {joint!r}; the models read these 15 joints: "
                            f"{', '.join(MODEL_15.joints)}.")
    try:
        scale, (dx, dy) = float(range_scale), (float(v) for v in shift)
    except (TypeError, ValueError):
        raise FitScoreError(f"The shift must be two numbers (dx, dy in torso lengths) and the "
                            f"range scale one number; got {shift!r} and {range_scale!r}.") from None
    if not (math.isfinite(scale) and scale >= 0):
        raise FitScoreError(f"The range scale must be a number >= 0 (1 = unchanged, "
                            f"0.5 = half the motion), got {range_scale!r}.")
    if not (math.isfinite(dx) and math.isfinite(dy)):
        raise FitScoreError(f"The shift must be two finite numbers (torso lengths), got {shift!r}.")
    start, end = frames if frames is not None else (0, features.n_frames)
    if not 0 <= start < end <= features.n_frames:
        raise FitScoreError(f"The frame range {start}-{end} is not inside the clip "
                            f"(frames 0-{features.n_frames}).")
    j = MODEL_15.index(joint)
    found = features.found[j]
    if not found.any():
        raise FitScoreError(f"The {joint} was never found in this clip, so there is nothing "
                            "to move.")
    rows = features.values[2 * j:2 * j + 2].astype(np.float64)        # (2, T)
    mean = rows[:, found].mean(axis=1, keepdims=True)
    # v + (s - 1)(v - mean) + shift: exactly v when s = 1 and shift = 0
    moved = rows + (scale - 1.0) * (rows - mean) + np.array([[dx], [dy]])
    change = np.zeros(features.n_frames, bool)
    change[start:end] = True
    change &= found
    values = features.values.copy()
    values[2 * j:2 * j + 2, change] = moved[:, change].astype(np.float32)
    return replace(features, values=values, found=features.found.copy())


def what_if(scorer: Scorer, features: ClipFeatures, joint: str,
            shift: tuple[float, float] = (0.0, 0.0), range_scale: float = 1.0,
            frames: tuple[int, int] | None = None, exercise: str | None = None
            ) -> ModelPrediction:
    """Re-score the clip with one joint moved (see moved_features): how the model reacts.
    The reps are found again on the moved clip, exactly as predict would."""
    return predict(scorer, moved_features(features, joint, shift, range_scale, frames),
                   exercise)

