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

import math

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


def euler(*factors: tuple[str, np.ndarray | float]) -> np.ndarray:
    """rot_<axis>(angle) @ rot_<axis>(angle) @ ... for factors ("x" | "y" | "z", angle).

    Angles are numbers or (T,) arrays; the result is (3, 3) when all are numbers, else
    (T, 3, 3). Same rotation as the matrix products (to rounding), written out entry by entry:
    each factor mixes two columns, so constant factors and zero entries cost nothing and no
    (T, 3, 3) temporaries or stacked 3x3 products are made.
    """
    m = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]   # floats or (T,) arrays
    n = 0
    for axis, a in factors:
        i, j = _PLANE[axis]
        if isinstance(a, np.ndarray) and a.ndim:
            c, s = np.cos(a), np.sin(a)
            n = a.shape[0]
        else:
            a = float(a)
            if a == 0.0:
                continue
            c, s = math.cos(a), math.sin(a)
        neg_s = -s
        for row in m:
            mi, mj = row[i], row[j]
            zi = mi.__class__ is float and mi == 0.0      # structural zeros: skip their terms
            zj = mj.__class__ is float and mj == 0.0
            if zi and zj:
                continue
            if zj:
                row[i], row[j] = _times(mi, c), _times(mi, neg_s)
            elif zi:
                row[i], row[j] = _times(mj, s), _times(mj, c)
            else:
                row[i], row[j] = mi * c + mj * s, mj * c - mi * s
    if not n:
        return np.array(m)
    out = np.empty((n, 3, 3))
    for r, row in enumerate(m):
        for k, e in enumerate(row):
            out[:, r, k] = e
    return out


_PLANE = {"x": (1, 2), "y": (2, 0), "z": (0, 1)}


def _times(a, b):
    """a * b, skipping a multiplication by the number 1."""
    if a.__class__ is float and a == 1.0:
        return b
    if b.__class__ is float and b == 1.0:
        return a
    return a * b


def apply(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations times one (3,) vector -> (T, 3), as a single BLAS call (one 3x3
    product when r is a broadcast constant)."""
    if r.ndim == 3 and r.strides[0] == 0:
        out = np.empty(r.shape[:-1])
        out[:] = r[0] @ v
        return out
    return (r.reshape(-1, 3) @ v).reshape(r.shape[:-1])


def compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for rotations (T, 3, 3) or (3, 3), fast paths for a constant factor: numpy's
    broadcast (T, 3, 3) @ (3, 3) is ~6x slower than one (3T, 3) @ (3, 3) BLAS product."""
    if b.ndim == 2:
        if a.ndim == 2:
            return a @ b
        if a.strides[0] == 0:
            return np.broadcast_to(a[0] @ b, a.shape)
        return (a.reshape(-1, 3) @ b).reshape(a.shape)
    if a.ndim == 3 and a.strides[0] == 0:
        a = a[0]
    return a @ b


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
    if np.ndim(root) == np.ndim(target) == 2 and len(root) == len(target) == 1 and np.ndim(pole) == 1:
        return _two_link_one(root[0], target[0], l1, l2, pole, hinge_sign)
    r, t, p = _rows(root), _rows(target), _rows(pole)
    d = t - r
    dist = np.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
    u = d / np.maximum(dist, 1e-9)
    dist = np.clip(dist, abs(l1 - l2) + 1e-6, (l1 + l2) * (1 - 1e-9))
    w = _unit_rows(p - (p[0] * u[0] + p[1] * u[1] + p[2] * u[2]) * u)
    cos_a = np.clip((l1 * l1 + dist * dist - l2 * l2) / (2 * l1 * dist), -1.0, 1.0)
    sin_a = np.sqrt(1.0 - cos_a * cos_a)
    # u (root -> target) and w (toward the pole) are orthonormal and h = w x u, so both frames
    # are x = ±h, y = yu u + yw w and z = x cross y = ±(yw u - yu w): no cross products and
    # no re-projection per frame. Upper bone: y = -(cos u + sin w). Lower bone: y = unit of
    # mid - end = -(b_u u + b_w w) / |...|, normalized by its own length so rounding never
    # stretches a bone.
    a_u, a_w = l1 * cos_a, l1 * sin_a
    mid = r + a_u * u + a_w * w
    hinge = _cross_rows(w, u)
    if hinge_sign != 1.0:
        hinge *= hinge_sign
    b_u, b_w = dist - a_u, -a_w                     # end - mid = b_u u + b_w w
    inv = 1.0 / np.sqrt(b_u * b_u + b_w * b_w)
    b_u *= inv
    b_w *= inv
    upper = _frame_uw(hinge, u, w, -cos_a, -sin_a, hinge_sign * -sin_a, hinge_sign * cos_a)
    lower = _frame_uw(hinge, u, w, -b_u, -b_w, hinge_sign * -b_w, hinge_sign * b_u)
    return np.ascontiguousarray(mid.T), upper, lower


def _two_link_one(root, target, l1: float, l2: float, pole, hinge_sign: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """two_link for a single frame in plain floats (numpy calls cost more than the math);
    the same operations in the same order as the vectorized version."""
    r0, r1, r2 = (float(v) for v in root)
    d0, d1, d2 = float(target[0]) - r0, float(target[1]) - r1, float(target[2]) - r2
    p0, p1, p2 = (float(v) for v in pole)
    dist = math.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
    m = max(dist, 1e-9)
    u0, u1, u2 = d0 / m, d1 / m, d2 / m
    dist = min(max(dist, abs(l1 - l2) + 1e-6), (l1 + l2) * (1 - 1e-9))
    pu = p0 * u0 + p1 * u1 + p2 * u2
    w0, w1, w2 = p0 - pu * u0, p1 - pu * u1, p2 - pu * u2
    nw = math.sqrt(w0 * w0 + w1 * w1 + w2 * w2)
    w0, w1, w2 = w0 / nw, w1 / nw, w2 / nw
    cos_a = min(max((l1 * l1 + dist * dist - l2 * l2) / (2 * l1 * dist), -1.0), 1.0)
    sin_a = math.sqrt(1.0 - cos_a * cos_a)
    a_u, a_w = l1 * cos_a, l1 * sin_a
    mid = (r0 + a_u * u0 + a_w * w0, r1 + a_u * u1 + a_w * w1, r2 + a_u * u2 + a_w * w2)
    h = (w1 * u2 - w2 * u1, w2 * u0 - w0 * u2, w0 * u1 - w1 * u0)
    if hinge_sign != 1.0:
        h = tuple(v * hinge_sign for v in h)
    b_u, b_w = dist - a_u, -a_w
    inv = 1.0 / math.sqrt(b_u * b_u + b_w * b_w)
    b_u, b_w = b_u * inv, b_w * inv
    u, w = (u0, u1, u2), (w0, w1, w2)

    def frame(yu, yw, zu, zw):
        return np.array([[h[i], u[i] * yu + w[i] * yw, u[i] * zu + w[i] * zw] for i in range(3)])

    upper = frame(-cos_a, -sin_a, hinge_sign * -sin_a, hinge_sign * cos_a)
    lower = frame(-b_u, -b_w, hinge_sign * -b_w, hinge_sign * b_u)
    return np.array([mid]), upper[None], lower[None]


def _frame_uw(x: np.ndarray, u: np.ndarray, w: np.ndarray, yu, yw, zu, zw) -> np.ndarray:
    """(T, 3, 3) frames with columns x, y = yu u + yw w, z = zu u + zw w (rows inputs)."""
    cols = np.empty((3, 3, x.shape[1]))
    cols[0] = x
    np.multiply(u, yu, out=cols[1])
    cols[1] += w * yw
    np.multiply(u, zu, out=cols[2])
    cols[2] += w * zw
    return np.ascontiguousarray(cols.transpose(2, 1, 0))
