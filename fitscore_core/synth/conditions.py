"""What real footage varies in, applied to a synthetic clip: framing, occlusion, idle time, roll.

    >>> import numpy as np
    >>> from fitscore_core.synth.conditions import cut_frame, occluded_confidence
    >>> kps = np.zeros((4, 25, 3), np.float32); kps[..., 2] = 0.9
    >>> kps[:, :, 1] = np.linspace(0, 400, 25)             # joints from top to bottom
    >>> cut, size = cut_frame(kps, (640, 480), bottom_y=200.0)
    >>> size, bool((cut[:, :, 2] > 0).sum() < 25 * 4)
    ((640, 200), True)

Real clips are not framed like a studio shot: curls are filmed from the waist or the knees up,
people walk in and set up before the first rep, phones are held at a tilt, and from the side
the far arm and leg are hidden behind the body. A pose estimator still *places* a hidden
joint (MediaPipe guesses it, with a visibility near 0.05), so the features treat a joint
below the visibility threshold as not seen; here the synthetic detector gives hidden and
cut-off joints the low confidences a real one gives, so training sees the same gaps.
"""

import numpy as np

from fitscore_core.pose.skeletons import BODY_25

MIRROR = np.array(BODY_25.mirror)
NECK, MIDHIP = 1, 8
# cut lines of an upper-body framing: a point between two joints (share of the way to the
# 2nd), each given by its right-side BODY_25 index (the left one is 3 further on)
CUTS = {"hips": (9, 9, 0.0), "thighs": (9, 10, 0.5), "knees": (10, 10, 0.0),
        "shins": (10, 11, 0.5)}
# What real detectors lose behind the body: the far elbow and wrist behind the trunk, often
# the far knee and ankle behind the near leg. Shoulders, hips and the head they keep placing
# with high visibility from the torso around them (seen on MediaPipe, ../shared/real).
OCCLUDABLE = np.zeros(25, np.float32)
OCCLUDABLE[[3, 4, 6, 7, 10, 11, 13, 14, 19, 20, 21, 22, 23, 24]] = 1.0
LEGS = [10, 11, 13, 14, 19, 20, 21, 22, 23, 24]
UPPER_BODY = ("bicep_curl", "front_raise", "shoulder_press", "shoulder_shrug")


def occluded_confidence(kps: np.ndarray, depth: np.ndarray, rng: np.random.Generator,
                        base: float, hidden_conf: float) -> np.ndarray:
    """(T, 25) confidences: a left/right joint that is behind its partner AND drawn close to
    it (side views: the far elbow behind the near one) is hidden: its confidence falls to
    about hidden_conf. Behind but well apart (a 45° view) it stays visible, as in MediaPipe."""
    torso = np.linalg.norm(kps[:, NECK, :2] - kps[:, MIDHIP, :2], axis=1)
    torso = np.maximum(np.median(torso) if torso.size else 1.0, 1.0)
    behind = np.clip((depth - depth[:, MIRROR] - 0.05) / 0.1, 0.0, 1.0)
    apart = np.linalg.norm(kps[:, :, :2] - kps[:, MIRROR, :2], axis=2) / (0.45 * torso)
    hidden = behind * np.clip(1.3 - apart, 0.0, 1.0) * OCCLUDABLE
    hidden[:, LEGS] *= rng.uniform(0.0, 1.0)    # a far leg is hidden in some clips only
    conf = base - (base - hidden_conf) * hidden
    conf += rng.uniform(-0.05, 0.05, conf.shape)
    return np.clip(conf, 0.01, 1.0).astype(np.float32)


def cut_frame(kps: np.ndarray, size: tuple[int, int], bottom_y: float | None = None,
              right_x: float | None = None, left_x: float | None = None,
              top_y: float | None = None) -> tuple[np.ndarray, tuple[int, int]]:
    """Crop the frame: joints outside the new frame get confidence 0 (as OpenPose reports
    them; MediaPipe's out-of-frame guesses fall below the visibility threshold anyway) and
    pixels are shifted to the new frame's corner. Returns (keypoints, new size)."""
    w, h = size
    x0 = max(0.0, left_x or 0.0)
    y0 = max(0.0, top_y or 0.0)
    x1 = min(float(w), right_x if right_x is not None else float(w))
    y1 = min(float(h), bottom_y if bottom_y is not None else float(h))
    out = kps.copy()
    outside = (out[..., 0] < x0) | (out[..., 0] >= x1) | (out[..., 1] < y0) | (out[..., 1] >= y1)
    out[..., 0] -= x0
    out[..., 1] -= y0
    out[outside] = 0.0
    return out, (max(1, int(x1 - x0)), max(1, int(y1 - y0)))


def _median_x(kps: np.ndarray, j: int) -> float:
    seen = kps[:, j, 2] > 0
    return float(np.median(kps[seen, j, 0])) if seen.any() else float("nan")


def _median_y(kps: np.ndarray, j: int) -> float:
    seen = kps[:, j, 2] > 0
    return float(np.median(kps[seen, j, 1])) if seen.any() else float("nan")


def random_framing(kps: np.ndarray, size: tuple[int, int], exercise: str, lying: bool,
                   rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, int], str]:
    """A framing real footage has: most clips whole, upper-body exercises often cut at the
    hips, thighs, knees or shins, lying ones now and then at the knees or shins (the feet out
    at one side), any clip now and then tight (head or feet cut) or with
    the person partly out at one side. Returns (keypoints, size, framing name)."""
    u = rng.random()
    upper = exercise in UPPER_BODY
    if lying and u < 0.15:                 # a push-up filmed close: the feet out at one side
        name, share = (("knees", rng.uniform(-0.15, 0.15)), ("shins", rng.uniform(0.4, 0.85))
                       )[int(rng.integers(2))]
        knee, ankle = (np.nanmean([_median_x(kps, j), _median_x(kps, j + 3)]) for j in (10, 11))
        neck = _median_x(kps, NECK)
        x = knee + share * (ankle - knee)
        if np.isfinite(x) and np.isfinite(neck):
            if neck < x:
                return (*cut_frame(kps, size, right_x=x), "lying-" + name)
            return (*cut_frame(kps, size, left_x=x), "lying-" + name)
    if not lying and u < (0.45 if upper else 0.06):
        name = list(CUTS)[int(rng.integers(len(CUTS)))]
        cut = cut_below(kps, size, name, rng)
        if cut is not None:
            return (*cut, name)
    if u > 0.9:                            # tight: a side of the frame cuts into the body
        seen = kps[..., 2] > 0
        if seen.any():
            xs, ys = kps[..., 0][seen], kps[..., 1][seen]
            side = int(rng.integers(4))
            cut = rng.uniform(0.03, 0.15)
            if side == 0:
                return (*cut_frame(kps, size, top_y=ys.min() + cut * np.ptp(ys)), "tight-top")
            if side == 1:
                return (*cut_frame(kps, size, bottom_y=ys.max() - cut * np.ptp(ys)), "tight-bottom")
            if side == 2:
                return (*cut_frame(kps, size, left_x=xs.min() + cut * np.ptp(xs)), "tight-left")
            return (*cut_frame(kps, size, right_x=xs.max() - cut * np.ptp(xs)), "tight-right")
    return kps, size, "whole"


def cut_below(kps: np.ndarray, size: tuple[int, int], name: str, rng: np.random.Generator
              ) -> tuple[np.ndarray, tuple[int, int]] | None:
    """An upper-body framing: the frame's bottom at the CUTS line `name` (a little above or
    below it); None when the joints that place the line are never seen."""
    a, b, share = CUTS[name]
    ya = max(_median_y(kps, a), _median_y(kps, a + 3))       # right and left joint
    yb = max(_median_y(kps, b), _median_y(kps, b + 3))
    y = ya + share * (yb - ya)
    if not np.isfinite(y):
        return None
    return cut_frame(kps, size, bottom_y=y + rng.normal(0, 0.03) * size[1])


def hold_ends(joints3d: np.ndarray, fps: float, rng: np.random.Generator
              ) -> tuple[np.ndarray, int]:
    """Idle time before the first rep and after the last (setting up, walking off): the
    start and end poses held for 0-3 s each, half the time. Returns (joints, frames added
    at the start)."""
    if rng.random() < 0.5:
        return joints3d, 0
    lead = int(rng.uniform(0.0, 3.0) * fps)
    tail = int(rng.uniform(0.0, 3.0) * fps)
    out = np.concatenate([np.repeat(joints3d[:1], lead, 0), joints3d,
                          np.repeat(joints3d[-1:], tail, 0)])
    return out, lead


def roll(kps: np.ndarray, size: tuple[int, int], degrees: float) -> np.ndarray:
    """A phone held at a tilt: keypoints rotated about the frame centre (found joints only)."""
    a = np.radians(degrees)
    c = np.array(size, np.float32) / 2
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], np.float32)
    out = kps.copy()
    found = out[..., 2] > 0
    out[..., :2][found] = (out[..., :2][found] - c) @ rot.T + c
    return out
