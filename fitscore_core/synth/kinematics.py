"""Rotation and limb-IK helpers, vectorized over time (arrays of shape (T,) -> (T, 3, 3)).

    >>> import numpy as np
    >>> from fitscore_core.synth.kinematics import rot_x, two_link
    >>> (rot_x(np.array([np.pi / 2])) @ np.array([0.0, 1.0, 0.0])).round(3).tolist()
    [[0.0, 0.0, 1.0]]
    >>> mid, upper, lower = two_link(np.zeros((1, 3)), np.array([[0.0, -0.5, 0.0]]), 0.4, 0.4,
    ...                              pole=np.array([0.0, 0.0, 1.0]))
    >>> bool(mid[0, 2] > 0), round(float(np.linalg.norm(mid[0])), 3)
    (True, 0.4)

Frames are (T, 3, 3) matrices whose columns are a segment's x (subject's left), y (along the
segment, pointing from its distal end to its proximal end, i.e. "up" when standing) and z
(front) axes in world coordinates. Angles are radians. Sign conventions (used by the moves):
rot_x(+a) tilts y toward +z (forward lean / flexion of a segment that points up); rot_z(+a)
tilts a downward segment toward +x (abduction of a left limb); rot_y(+a) turns +z toward +x.
"""

import numpy as np


def _rot(a: np.ndarray | float, i: int, j: int) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    c, s = np.cos(a), np.sin(a)
    r = np.zeros(a.shape + (3, 3))
    k = 3 - i - j
    r[..., k, k] = 1.0
    r[..., i, i] = c
    r[..., j, j] = c
    r[..., i, j] = -s
    r[..., j, i] = s
    return r


def rot_x(a: np.ndarray | float) -> np.ndarray:
    """Rotation about x: y -> z for positive a."""
    return _rot(a, 1, 2)


def rot_y(a: np.ndarray | float) -> np.ndarray:
    """Rotation about y: z -> x for positive a."""
    return _rot(a, 2, 0)


def rot_z(a: np.ndarray | float) -> np.ndarray:
    """Rotation about z: x -> y for positive a."""
    return _rot(a, 0, 1)


def identity(n: int) -> np.ndarray:
    return np.broadcast_to(np.eye(3), (n, 3, 3)).copy()


def norm(v: np.ndarray) -> np.ndarray:
    """(..., 3) -> (..., 1) Euclidean length (keeps the axis for broadcasting)."""
    return np.sqrt(np.sum(v * v, axis=-1, keepdims=True))


def normalize(v: np.ndarray) -> np.ndarray:
    return v / norm(v)


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product of (..., 3) arrays (np.cross is slow on many short vectors)."""
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return np.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)


def apply(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations times one (3,) vector -> (T, 3), as a single BLAS call."""
    return (r.reshape(-1, 3) @ v).reshape(r.shape[:-1])


def apply_points(r: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations times (K, 3) points -> (T, K, 3)."""
    t = r.shape[0]
    return (r.reshape(-1, 3) @ pts.T).reshape(t, 3, -1).transpose(0, 2, 1)


def _rows(v: np.ndarray) -> np.ndarray:
    """(T, 3) -> contiguous (3, T); (3,) -> (3, 1). Row-wise math on long contiguous rows is
    several times faster in numpy than on many length-3 vectors."""
    v = np.asarray(v, dtype=float)
    return v[:, None] if v.ndim == 1 else np.ascontiguousarray(v.T)


def _unit_rows(v: np.ndarray) -> np.ndarray:
    return v / np.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])


def _cross_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def _frame_rows(y_axis: np.ndarray, x_hint: np.ndarray) -> np.ndarray:
    """Rows version of frame_from_yx: (3, T) inputs -> (T, 3, 3) frames."""
    y = _unit_rows(y_axis)
    x = _unit_rows(x_hint - (x_hint[0] * y[0] + x_hint[1] * y[1] + x_hint[2] * y[2]) * y)
    z = _cross_rows(x, y)
    return np.ascontiguousarray(np.stack([x, y, z]).transpose(2, 1, 0))


def frame_from_yx(y_axis: np.ndarray, x_hint: np.ndarray) -> np.ndarray:
    """(T, 3) axes -> (T, 3, 3) orthonormal frames with y exactly along y_axis and x as close
    to x_hint as possible."""
    n = max(np.asarray(y_axis).reshape(-1, 3).shape[0], np.asarray(x_hint).reshape(-1, 3).shape[0])
    y, x = _rows(y_axis), _rows(x_hint)
    return _frame_rows(np.broadcast_to(y, (3, n)), np.broadcast_to(x, (3, n)))


def transpose(r: np.ndarray) -> np.ndarray:
    return np.swapaxes(r, -1, -2)


def two_link(root: np.ndarray, target: np.ndarray, l1: float, l2: float, pole: np.ndarray,
             hinge_sign: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Analytic two-segment IK (hip-knee-ankle, shoulder-elbow-wrist).

    root, target: (T, 3); pole: (T, 3) or (3,), the direction the middle joint bends toward.
    Returns (middle joint (T, 3), upper frame (T, 3, 3), lower frame (T, 3, 3)). Both frames
    share the hinge axis as x, so the middle joint is a pure hinge and segment lengths are exact.
    hinge_sign = +1 for legs (knee bends toward the pole, shank swings back), -1 for arms
    (elbow points toward the pole, forearm swings forward). A target out of reach is clamped
    to the straight limb, never a stretched one.
    """
    r, t, p = _rows(root), _rows(target), _rows(pole)
    d = t - r
    dist = np.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
    u = d / np.maximum(dist, 1e-9)
    dist = np.clip(dist, abs(l1 - l2) + 1e-6, (l1 + l2) * (1 - 1e-9))
    w = _unit_rows(p - (p[0] * u[0] + p[1] * u[1] + p[2] * u[2]) * u)
    cos_a = np.clip((l1 * l1 + dist * dist - l2 * l2) / (2 * l1 * dist), -1.0, 1.0)
    sin_a = np.sqrt(1.0 - cos_a * cos_a)
    mid = r + l1 * (cos_a * u + sin_a * w)
    end = r + dist * u
    hinge = hinge_sign * _cross_rows(w, u)
    return np.ascontiguousarray(mid.T), _frame_rows(r - mid, hinge), _frame_rows(mid - end, hinge)
