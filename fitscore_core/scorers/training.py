"""Training the scorers: examples, augmentations that mimic real pose output, the loop.

    >>> from fitscore_core.synth.dataset import generate_dataset
    >>> from fitscore_core.scorers.training import TrainConfig, examples_from_synth, train_scorer
    >>> examples = examples_from_synth(generate_dataset(200, seed=0))          # doctest: +SKIP
    >>> scorer, history = train_scorer("cnn1d", examples, TrainConfig(epochs=2))  # doctest: +SKIP

Examples go through the very feature pipeline real inputs take (gap filling, smoothing,
normalization, resampling). Each training step sees a window of one clip: the whole clip, or
a run of whole reps (what scoring feeds the model rep by rep), time-warped, mirrored left to
right, jittered, with joints dropped for a few frames. A window's labels come from the reps it
holds: score = their mean rep score, a fault is present when any of them has it at severity
>= FAULT_PRESENT.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from fitscore_core.config import FEATURES, FeatureSettings
from fitscore_core.errors import FitScoreError
from fitscore_core.features import mirror_rows, normalize, resample
from fitscore_core.pose.cleaning import fill_gaps, smooth
from fitscore_core.scorers.checkpoints import Scorer, build_net
from fitscore_core.scorers.resume import job_fingerprint, load_state, save_state

FAULT_PRESENT = 0.2
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Example:
    """One labelled clip as model-rate features.

    values: (30, T); rep_ranges: (R, 2) frames [start, end) at the model's fps;
    rep_scores: (R,); rep_faults: (R, F) severities over the fault vocabulary, NaN where the
    fault does not apply (another exercise's) or is unknown; group: who/what the clip comes
    from (splits never put one group on both sides); view: camera yaw in degrees, or NaN.
    """

    values: np.ndarray
    exercise: str
    score: float
    rep_ranges: np.ndarray
    rep_scores: np.ndarray
    rep_faults: np.ndarray
    group: str
    view: float = float("nan")
    source: str = ""


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 40
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    patience: int = 6           # epochs without validation improvement before stopping
    seed: int = 0
    augment: bool = True
    windows_per_clip: int = 1   # training windows drawn from each clip per epoch
    score_weight: float = 1.0
    fault_weight: float = 1.0
    fault_pos_weight: float = 3.0  # a fault is present in ~1 clip in 5: weigh its positives up
    net: dict = field(default_factory=dict)  # constructor arguments of the network


def clip_features(seq, settings: FeatureSettings = FEATURES):
    """The same steps a real clip takes after pose: gaps, smoothing, normalization, fps."""
    return resample(normalize(smooth(fill_gaps(seq))), settings.fps)


def examples_from_synth(ds, settings: FeatureSettings = FEATURES,
                        progress: Progress | None = None, workers: int = 1) -> list[Example]:
    """Every clip of a synthetic data set as an Example, through the real feature path, in
    `workers` processes. A clip the features refuse (too little of the body seen, as they
    would refuse a real one) is left out."""
    chunks = [range(a, min(len(ds), a + 256)) for a in range(0, len(ds), 256)]
    examples: list[Example] = []
    done = 0
    if workers > 1 and len(chunks) > 1:
        import multiprocessing
        global _SYNTH_FOR_WORKERS
        _SYNTH_FOR_WORKERS = (ds, settings)       # inherited by the forked workers, not pickled
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for part in pool.imap(_synth_chunk, chunks):
                examples += part
                done += 256
                if progress is not None:
                    progress(min(done, len(ds)), len(ds))
        _SYNTH_FOR_WORKERS = None
        return examples
    for chunk in chunks:
        examples += _examples_of(ds, settings, chunk)
        if progress is not None:
            progress(chunk.stop, len(ds))
    return examples


_SYNTH_FOR_WORKERS = None


def _synth_chunk(indices: range) -> list[Example]:
    ds, settings = _SYNTH_FOR_WORKERS
    torch.set_num_threads(1)
    return _examples_of(ds, settings, indices)


def _examples_of(ds, settings: FeatureSettings, indices: range) -> list[Example]:
    out = []
    for i in indices:
        seq = ds.pose_sequence(i)
        try:
            feats = clip_features(seq, settings)
        except FitScoreError:
            continue
        ratio = settings.fps / seq.fps
        reps = ds.reps_of(i)
        ranges = np.clip(np.round(ds.rep_ranges[reps] * ratio), 0, feats.n_frames).astype(int)
        out.append(Example(feats.values, str(ds.exercise[i]), float(ds.score[i]), ranges,
                           ds.rep_scores[reps], ds.rep_fault_severity[reps],
                           f"subject-{ds.subject[i]}", float(ds.yaw_deg[i]), seq.source))
    return out


def examples_from_posed(clips, settings: FeatureSettings = FEATURES) -> list[Example]:
    """Rendered clips the real pose estimator posed (`synth posed`, synth.posed.PosedClip) as
    Examples: the person and labels of the synthetic clip, MediaPipe's own errors (guessed
    hidden limbs, swaps, lost frames) instead of the noise model's. Group: the subject, as
    for the data set of the same seed, so a split keeps each person on one side."""
    out = []
    for clip in clips:
        seq = clip.pose_sequence()
        try:
            feats = clip_features(seq, settings)
        except FitScoreError:
            continue
        ranges = np.clip(np.round(clip.rep_ranges * settings.fps / seq.fps), 0,
                         feats.n_frames).astype(int)
        out.append(Example(feats.values, clip.exercise, float(clip.score), ranges,
                           clip.rep_scores, clip.rep_fault_severity, f"subject-{clip.subject}",
                           float(clip.yaw_deg), seq.source))
    return out


def split_by_group(examples: list[Example], seed: int, fractions=(0.8, 0.1, 0.1)
                   ) -> tuple[list[Example], list[Example], list[Example]]:
    """Train / validation / test with every group (person, source clip) on one side only."""
    groups = sorted({e.group for e in examples})
    order = np.random.default_rng(seed).permutation(len(groups))
    cut1 = round(fractions[0] * len(groups))
    cut2 = cut1 + round(fractions[1] * len(groups))
    side = {groups[g]: (0 if k < cut1 else 1 if k < cut2 else 2) for k, g in enumerate(order)}
    parts: tuple[list, list, list] = ([], [], [])
    for e in examples:
        parts[side[e.group]].append(e)
    return parts


def window_labels(ex: Example, start: int, end: int) -> tuple[float, np.ndarray]:
    """Score and fault severities of the reps a window [start, end) holds (at least half of
    a rep inside counts it); the whole clip's labels when it holds no rep."""
    if len(ex.rep_ranges) == 0:
        return ex.score, np.full(ex.rep_faults.shape[1], np.nan, np.float32)
    lo, hi = ex.rep_ranges[:, 0], ex.rep_ranges[:, 1]
    inside = (np.minimum(hi, end) - np.maximum(lo, start)) / np.maximum(hi - lo, 1)
    held = inside >= 0.5
    if not held.any():
        held = inside == inside.max()
    faults = ex.rep_faults[held]
    severity = np.where(np.isnan(faults).all(0), np.nan,
                        np.nanmax(np.nan_to_num(faults, nan=-1.0), axis=0))
    return float(ex.rep_scores[held].mean()), severity.astype(np.float32)


def choose_window(ex: Example, n: int, rng: np.random.Generator) -> tuple[int, int]:
    """The whole clip (or a random N-frame part of a long one), or a run of whole reps."""
    length = ex.values.shape[1]
    reps = ex.rep_ranges
    if len(reps) and rng.random() < 0.5:
        a = int(rng.integers(len(reps)))
        b = int(rng.integers(a, len(reps)))
        while b > a and reps[b, 1] - reps[a, 0] > n:
            b -= 1
        start, end = int(reps[a, 0]), int(reps[b, 1])
        if end - start <= n:
            return start, max(end, start + 1)
    if length <= n:
        return 0, length
    start = int(rng.integers(0, length - n + 1))
    return start, start + n


def augment(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Time warp, left/right mirror, jitter and dropped joints, as real pose output varies."""
    length = values.shape[1]
    factor = rng.uniform(0.8, 1.25)
    n_out = max(2, round(length * factor))
    t = np.linspace(0, length - 1, n_out)
    lo = np.floor(t).astype(int)
    hi = np.minimum(lo + 1, length - 1)
    w = t - lo
    warped = values[:, lo] * (1 - w) + values[:, hi] * w
    missing = (values[:, lo] == 0) & (values[:, hi] == 0)
    warped[missing] = 0
    if rng.random() < 0.5:
        warped = mirror_rows(warped)
    found = warped != 0
    warped = warped + rng.normal(0, rng.uniform(0, 0.03), warped.shape) * found
    for _ in range(rng.poisson(1.0)):
        joint = int(rng.integers(15))
        span = int(rng.integers(2, 12))
        s = int(rng.integers(0, max(1, n_out - span)))
        warped[2 * joint:2 * joint + 2, s:s + span] = 0
    return warped.astype(np.float32)


def batch_tensors(windows: list[np.ndarray], n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-pad windows (each (30, L <= n)) into (B, 30, n) with a (B, n) mask."""
    x = np.zeros((len(windows), 30, n), np.float32)
    mask = np.zeros((len(windows), n), bool)
    for i, w in enumerate(windows):
        length = min(w.shape[1], n)
        x[i, :, :length] = w[:, :length]
        mask[i, :length] = True
    return torch.from_numpy(x), torch.from_numpy(mask)


@dataclass
class Batch:
    x: torch.Tensor
    mask: torch.Tensor
    exercise: torch.Tensor      # (B,) class index
    score: torch.Tensor         # (B,) 0-100, 0 where there is none (unknown movement)
    score_mask: torch.Tensor    # (B,) whether the score counts
    faults: torch.Tensor        # (B, F) 0/1 targets
    fault_mask: torch.Tensor    # (B, F) which targets count


def make_batch(items: list[tuple[np.ndarray, int, float, np.ndarray]], n: int) -> Batch:
    x, mask = batch_tensors([i[0] for i in items], n)
    severity = np.stack([i[3] for i in items])
    score = np.array([i[2] for i in items], np.float32)
    return Batch(x, mask, torch.tensor([i[1] for i in items]),
                 torch.from_numpy(np.nan_to_num(score)), torch.from_numpy(~np.isnan(score)),
                 torch.from_numpy((np.nan_to_num(severity) >= FAULT_PRESENT).astype(np.float32)),
                 torch.from_numpy(~np.isnan(severity)))


def loss_terms(out, batch: Batch, fault_pos_weight: float = 3.0) -> dict[str, torch.Tensor]:
    fault = F.binary_cross_entropy_with_logits(
        out.fault_logits, batch.faults, reduction="none",
        pos_weight=torch.tensor(fault_pos_weight))
    m = batch.fault_mask.float()
    s = batch.score_mask.float()
    score = F.smooth_l1_loss(out.score / 10, batch.score / 10, reduction="none")
    return {"exercise": F.cross_entropy(out.exercise_logits, batch.exercise),
            "score": (score * s).sum() / s.sum().clamp(min=1),
            "faults": (fault * m).sum() / m.sum().clamp(min=1)}


def total_loss(terms: dict, cfg: TrainConfig):
    return terms["exercise"] + cfg.score_weight * terms["score"] + cfg.fault_weight * terms["faults"]


def epoch_items(examples, exercises, n, rng, augmenting, per_clip=1):
    index = {e: k for k, e in enumerate(exercises)}
    items = []
    for ex in examples:
        for _ in range(per_clip):
            if augmenting:
                start, end = choose_window(ex, n, rng)
            else:
                start, end = 0, min(ex.values.shape[1], n)
            window = ex.values[:, start:end]
            score, severity = window_labels(ex, start, end)
            items.append((augment(window, rng) if augmenting else window, index[ex.exercise],
                          score, severity))
    return items


def evaluate_loss(net, items, n, cfg: TrainConfig) -> dict[str, float]:
    net.eval()
    totals: dict[str, float] = {}
    correct = abs_err = scored = 0.0
    with torch.no_grad():
        for s in range(0, len(items), 256):
            batch = make_batch(items[s:s + 256], n)
            out = net(batch.x, batch.mask)
            for k, v in loss_terms(out, batch, cfg.fault_pos_weight).items():
                totals[k] = totals.get(k, 0.0) + float(v) * len(batch.x)
            correct += float((out.exercise_logits.argmax(1) == batch.exercise).sum())
            abs_err += float(((out.score - batch.score).abs() * batch.score_mask).sum())
            scored += float(batch.score_mask.sum())
    n_items = max(1, len(items))
    result = {k: v / n_items for k, v in totals.items()}
    result["loss"] = total_loss(result, cfg)
    result["accuracy"] = correct / n_items
    result["score_mae"] = abs_err / max(1.0, scored)
    return result


def train_scorer(name: str, train: list[Example], val: list[Example], exercises: list[str],
                 faults: list[str], cfg: TrainConfig = TrainConfig(),
                 settings: FeatureSettings = FEATURES, init: Scorer | None = None,
                 progress: Callable[[dict], None] | None = None,
                 resume: Path | None = None) -> tuple[Scorer, list[dict]]:
    """Train (or fine-tune `init`) with early stopping on validation loss; returns the best
    epoch's scorer and the per-epoch history. `resume`: a file for the loop state, written
    after every epoch; a run of the same job finding it continues after its last epoch
    (scorers/resume.py; the first new epoch's record says `resumed_after`)."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    n = settings.n_frames
    net = build_net(name, len(exercises), len(faults), cfg.net)
    if init is not None:
        transfer_weights(init, net, exercises, faults)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, cfg.epochs))
    val_items = epoch_items(val, exercises, n, rng, augmenting=False)
    best, best_state, history, waited = float("inf"), None, [], 0
    fingerprint = job_fingerprint(name, cfg, train, val, exercises, faults) if resume else ""
    state = load_state(resume, fingerprint) if resume else None
    if state is not None:
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        best, best_state, history, waited = (state["best"], state["best_state"],
                                             state["history"], state["waited"])
    resumed_after = len(history) if state is not None else None
    started = time.time() - (history[-1]["seconds"] if history else 0.0)
    first = len(history) if waited < cfg.patience else cfg.epochs   # resumed after a stop
    for epoch in range(first, cfg.epochs):
        net.train()
        items = epoch_items(train, exercises, n, rng, cfg.augment, cfg.windows_per_clip)
        order = rng.permutation(len(items))
        running = 0.0
        for s in range(0, len(items), cfg.batch_size):
            batch = make_batch([items[i] for i in order[s:s + cfg.batch_size]], n)
            loss = total_loss(loss_terms(net(batch.x, batch.mask), batch, cfg.fault_pos_weight), cfg)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            running += float(loss.detach()) * len(batch.x)
        sched.step()
        record = {"epoch": epoch + 1, "train_loss": running / max(1, len(items)),
                  "seconds": time.time() - started}
        record.update({f"val_{k}": v for k, v in
                       evaluate_loss(net, val_items or items[:256], n, cfg).items()})
        history.append(record)
        if record["val_loss"] < best - 1e-4:
            best, waited = record["val_loss"], 0
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
        else:
            waited += 1
        if resume:
            save_state(resume, {"fingerprint": fingerprint, "net": net.state_dict(),
                                "opt": opt.state_dict(), "sched": sched.state_dict(),
                                "rng": rng.bit_generator.state,
                                "torch_rng": torch.get_rng_state(), "best": best,
                                "best_state": best_state, "history": history,
                                "waited": waited})
        if progress is not None:             # after the save: a reported epoch is kept
            progress(record if resumed_after is None or epoch != resumed_after else
                     record | {"resumed_after": resumed_after})
        if waited >= cfg.patience:
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    config = dict(cfg.net)
    return Scorer(name, net, list(exercises), list(faults), settings, config, {}), history


def transfer_weights(init: Scorer, net: torch.nn.Module, exercises: list[str],
                     faults: list[str]) -> None:
    """Start from a trained scorer: copy every matching weight; the class and fault heads
    keep the rows of names both vocabularies share (new exercises start fresh)."""
    own = net.state_dict()
    for key, value in init.net.state_dict().items():
        if key not in own:
            continue
        if own[key].shape == value.shape and not key.startswith(("heads.exercise",
                                                                 "heads.faults")):
            own[key] = value.clone()
        elif key.startswith(("heads.exercise", "heads.faults")):
            old = init.exercises if "exercise" in key else init.faults
            new = exercises if "exercise" in key else faults
            for i, name in enumerate(new):
                if name in old:
                    own[key][i] = value[old.index(name)]
    net.load_state_dict(own)



def fit_temperature(scorer: Scorer, examples: list[Example]) -> float:
    """The temperature T that makes softmax(logits / T) calibrated on held-out clips: the
    one minimising their negative log-likelihood (whole clips, as scoring reads them).
    A network trained to near-zero loss is overconfident; T > 1 softens it."""
    if not examples:
        return 1.0
    index = {e: k for k, e in enumerate(scorer.exercises)}
    n = scorer.settings.n_frames
    logits, labels = [], []
    with torch.no_grad():
        for s in range(0, len(examples), 256):
            part = examples[s:s + 256]
            x, mask = batch_tensors([e.values[:, :n] for e in part], n)
            logits.append(scorer.net(x, mask).exercise_logits)
            labels += [index[e.exercise] for e in part]
    logits, target = torch.cat(logits), torch.tensor(labels)
    grid = torch.exp(torch.linspace(np.log(0.5), np.log(20.0), 200))
    nll = torch.stack([F.cross_entropy(logits / t, target) for t in grid])
    return float(grid[int(nll.argmin())])
