"""A clip as one fixed-length vector for a small-data learner: what the network saw, plus
kinematics a coach can read.

    >>> import numpy as np
    >>> from fitscore_core.scorers.descriptors import kinematics
    >>> values = np.random.default_rng(0).normal(size=(30, 80)).astype(np.float32)
    >>> kinematics(values).shape
    (194,)

Three parts, each chosen because it carries what a few dozen labelled clips can teach:
- the frozen network's embedding (what its heads read), the mean over the clip's windows:
  the motion as the pretrained model learnt to see it on 20 000 synthetic clips;
- per coordinate of the 15 joints: mean, spread, 5th and 95th percentile over the frames the
  joint is seen, and the share of frames it is seen;
- joint angles over the clip (elbows, shoulders, hips, knees, trunk): mean, spread, 5th and
  95th percentile — range of motion, depth, a sagging or piking body line.
Unseen joints are 0 in the features (as padding) and are left out of every statistic.
"""

import numpy as np
import torch

from fitscore_core.features import pad_or_window

# (a, b, c): the angle at b between b->a and b->c, BODY_25 joints 0-14 (the feature rows)
ANGLES = {
    "right_elbow": (2, 3, 4), "left_elbow": (5, 6, 7),
    "right_shoulder": (3, 2, 9), "left_shoulder": (6, 5, 12),
    "right_hip": (1, 9, 10), "left_hip": (1, 12, 13),
    "right_knee": (9, 10, 11), "left_knee": (12, 13, 14),
    "right_body_line": (2, 9, 11), "left_body_line": (5, 12, 14),
    "neck": (0, 1, 8),
}
ROW_STATS = 5
ANGLE_STATS = 4


def _stats(v: np.ndarray) -> list[float]:
    """mean, std, 5th and 95th percentile of v (zeros when v is empty)."""
    if not v.size:
        return [0.0] * ANGLE_STATS
    lo, hi = np.percentile(v, [5, 95])
    return [float(v.mean()), float(v.std()), float(lo), float(hi)]


def joint_angles(values: np.ndarray, a: int, b: int, c: int) -> np.ndarray:
    """Degrees at joint b over the frames where a, b and c are all seen."""
    p = lambda j: values[2 * j: 2 * j + 2]  # noqa: E731
    seen = np.all([np.abs(p(j)).sum(0) > 0 for j in (a, b, c)], axis=0)
    u, w = p(a)[:, seen] - p(b)[:, seen], p(c)[:, seen] - p(b)[:, seen]
    cos = (u * w).sum(0) / np.maximum(np.linalg.norm(u, axis=0) * np.linalg.norm(w, axis=0),
                                      1e-6)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def kinematics(values: np.ndarray) -> np.ndarray:
    """(30, T) normalized features -> (30 x 5 + 11 x 4,) statistics."""
    out: list[float] = []
    for j in range(15):
        seen = (np.abs(values[2 * j]) + np.abs(values[2 * j + 1])) > 0
        for row in (values[2 * j], values[2 * j + 1]):
            out += _stats(row[seen]) + [float(seen.mean()) if seen.size else 0.0]
    for triple in ANGLES.values():
        out += _stats(joint_angles(values, *triple))
    return np.asarray(out, np.float32)


def embedding(net: torch.nn.Module, values: np.ndarray, n_frames: int, stride: int
              ) -> np.ndarray:
    """The network's hidden layer before its heads, averaged over the clip's windows by
    their length (the same windows scoring uses)."""
    x, mask, _ = pad_or_window(values, n_frames, stride)
    net.eval()
    with torch.no_grad():
        m = torch.from_numpy(mask)
        hidden = net.heads.body(net.embed(torch.from_numpy(x), m))
    w = m.sum(1).to(hidden.dtype)
    return ((w / w.sum())[:, None] * hidden).sum(0).numpy()


def describe(net: torch.nn.Module, values: np.ndarray, n_frames: int, stride: int
             ) -> np.ndarray:
    """The whole descriptor: embedding, then kinematics."""
    return np.concatenate([embedding(net, values, n_frames, stride), kinematics(values)])
