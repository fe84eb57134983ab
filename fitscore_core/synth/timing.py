"""Rep timing: when each rep happens, and a smooth movement phase for every frame.

    >>> import numpy as np
    >>> from fitscore_core.synth.timing import make_timing
    >>> tm = make_timing(reps=3, rep_seconds=2.0, out_fraction=0.5, pause_bottom_s=0.2,
    ...                  pause_top_s=0.5, fps=30, rng=np.random.default_rng(0))
    >>> len(tm.rep_ranges), float(tm.phase.max()) == 1.0, tm.phase.shape == (tm.n_frames,)
    (3, True, True)

A rep goes out (phase 0 -> 1: down into the squat, up in the curl), may pause at the turning
point, comes back (1 -> 0), then pauses in the start position before the next rep. The phase
is eased with a half cosine, so joints start and stop smoothly the way people move, and every
move describes its positions as a function of this one phase.
"""

import bisect
import functools
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RepTiming:
    """Per-frame timing of a clip.

    phase: (T,) eased 0 (start position) .. 1 (turning point of the rep).
    progress: (T,) 0 -> 1 linearly through each rep's movement, 0 in the pauses between reps;
        for moves that trace a loop rather than go out and back (rolling shoulders).
    rep: (T,) int, the rep a frame belongs to (lead-in: first rep; pause after a rep: that rep).
    amplitude: (reps,) natural range of motion reached in each rep (1 = the person's full range).
    rep_ranges: (start, end) frames of each rep's movement, end exclusive.
    rep_seconds: (reps,) duration of each rep's movement, pause at the turning point included.
    """

    fps: float
    phase: np.ndarray
    progress: np.ndarray
    rep: np.ndarray
    amplitude: np.ndarray
    rep_ranges: tuple[tuple[int, int], ...]
    rep_seconds: tuple[float, ...]

    @property
    def n_frames(self) -> int:
        return int(self.phase.shape[0])

    @property
    def n_reps(self) -> int:
        return len(self.rep_ranges)

    def per_frame(self, per_rep: np.ndarray) -> np.ndarray:
        """(reps, ...) values -> (T, ...) by the rep each frame belongs to."""
        return np.asarray(per_rep)[self.rep]


def make_timing(reps: int, rep_seconds: float, out_fraction: float, pause_bottom_s: float,
                pause_top_s: float, fps: float, rng: np.random.Generator,
                variability: float = 1.0, lead_s: float | None = None,
                tail_s: float | None = None) -> RepTiming:
    """Lay out `reps` reps with natural rep-to-rep variation (scaled by `variability`)."""
    v = max(0.0, float(variability))
    dur = rep_seconds * np.exp(rng.normal(0.0, 0.07 * v, reps))
    frac = np.clip(out_fraction + rng.normal(0.0, 0.03 * v, reps), 0.25, 0.75)
    pb = pause_bottom_s * rng.uniform(1 - 0.3 * min(v, 1), 1 + 0.3 * min(v, 1), reps)
    pt = pause_top_s * rng.uniform(1 - 0.3 * min(v, 1), 1 + 0.3 * min(v, 1), reps)
    amp = np.clip(1.0 - np.abs(rng.normal(0.0, 0.035 * v, reps)), 0.85, 1.0)
    lead = rng.uniform(0.3, 0.8) if lead_s is None else lead_s
    tail = rng.uniform(0.3, 0.8) if tail_s is None else tail_s

    knots_t, knots_p = [0.0, lead], [0.0, 0.0]
    starts, ends = [], []
    t = lead
    dur_l, frac_l, pb_l, pt_l = dur.tolist(), frac.tolist(), pb.tolist(), pt.tolist()
    for k in range(reps):
        out_s, back_s = dur_l[k] * frac_l[k], dur_l[k] * (1 - frac_l[k])
        starts.append(t)
        t += out_s
        knots_t.append(t); knots_p.append(1.0)
        t += pb_l[k]
        knots_t.append(t); knots_p.append(1.0)
        t += back_s
        knots_t.append(t); knots_p.append(0.0)
        ends.append(t)
        t += pt_l[k] if k < reps - 1 else tail
        knots_t.append(t); knots_p.append(0.0)

    n = max(2, math.ceil(t * fps))
    time = np.arange(n) / fps
    phase = np.interp(time, knots_t, knots_p)
    phase *= np.pi
    np.cos(phase, out=phase)
    phase *= 0.5
    np.subtract(0.5, phase, out=phase)              # 0.5 - 0.5 cos(pi raw)
    starts_a, ends_a = np.array(starts), np.array(ends)
    rep = np.searchsorted(starts_a, time, side="right") - 1
    np.clip(rep, 0, reps - 1, out=rep)
    start, end = starts_a[rep], ends_a[rep]
    inside = (time >= start) & (time < end)
    progress = np.where(inside, (time - start) / (end - start), 0.0)
    ranges = []
    for s, e in zip(starts, ends):
        a = min(int(round(s * fps)), n - 1)
        ranges.append((a, max(a + 1, min(int(round(e * fps)), n))))
    return RepTiming(float(fps), phase, progress, rep, amp, tuple(ranges),
                     tuple(float(e - s) for s, e in zip(starts, ends)))


def severity_trace(per_rep: np.ndarray, timing: RepTiming, smooth_s: float = 0.3) -> np.ndarray:
    """(reps,) severities -> (T,) per frame, changing smoothly between reps.

    Constant severities give an exactly constant trace (0 stays exactly 0), so a clip without
    a fault is bit-for-bit the good clip.
    """
    per_rep = np.asarray(per_rep, dtype=float)
    values = per_rep.tolist()
    if all(v == values[0] for v in values):
        return np.full(timing.n_frames, per_rep[0])
    step = per_rep[timing.rep]
    kernel = _hanning_kernel(max(1, int(round(smooth_s * timing.fps))))
    half = len(kernel) // 2
    padded = np.concatenate([np.full(half, step[0]), step, np.full(half, step[-1])])
    return np.convolve(padded, kernel, mode="valid")


@functools.lru_cache(maxsize=64)
def _hanning_kernel(k: int) -> np.ndarray:
    kernel = np.hanning(2 * k + 1)[1:-1]
    kernel /= kernel.sum()
    kernel.flags.writeable = False
    return kernel


def smooth_noise(rng: np.random.Generator, n_frames: int, fps: float, channels: int = 1,
                 max_hz: float = 0.6) -> np.ndarray:
    """(T, channels) slow wobble in about [-1, 1]: three random sinusoids per channel.

    Real people sway and drift a little; this keeps good reps from being robotic copies.
    """
    f = rng.uniform(0.08, max_hz, (1, channels, 3))
    ph = rng.uniform(0, 2 * np.pi, (1, channels, 3))
    a = rng.uniform(0.3, 1.0, (1, channels, 3))
    a /= a.sum(axis=2, keepdims=True)
    # sum_k a_k sin(2 pi f_k t + ph_k), computed as contiguous (channels * 3, T) rows
    arg = (2 * np.pi * f).reshape(-1, 1) * (np.arange(n_frames) / fps)
    arg += ph.reshape(-1, 1)
    np.sin(arg, out=arg)
    arg *= a.reshape(-1, 1)
    arg = arg.reshape(channels, 3, n_frames)
    return (arg[:, 0] + arg[:, 1] + arg[:, 2]).T     # (T, channels) view of (channels, T)


def pick(rng: np.random.Generator, weights) -> int:
    """Index drawn with the given weights (rng.choice(p=...) is ~10x slower per call)."""
    c = _cumulative(tuple(np.asarray(weights, dtype=float).tolist()))
    return bisect.bisect_right(c, rng.random() * c[-1])


@functools.lru_cache(maxsize=256)
def _cumulative(weights: tuple[float, ...]) -> list[float]:
    return np.cumsum(weights).tolist()


def smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)
