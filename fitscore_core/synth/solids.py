"""Shaded 3D solids and flat patches, projected by a Camera and painted far-to-near with OpenCV.

    >>> import numpy as np
    >>> from fitscore_core.synth.camera import Camera
    >>> from fitscore_core.synth.solids import Group, Solid, draw_groups
    >>> img = np.zeros((480, 640, 3), np.uint8)
    >>> arm = Solid.capsule([(0, 1.4, 0), (0, 1.1, 0)], [0.05, 0.04], color=(60, 120, 200))
    >>> draw_groups(img, [Group((arm,), key=(0, 1.25, 0))], Camera())
    >>> bool(img[int(Camera().project(np.array([0, 1.25, 0]))[0][1]), 320].any())
    True

Why this shape of renderer: a body part is well approximated by the convex hull of a few
spheres (a tapered capsule is two), and the projected hull of spheres is the hull of their
projected circles, which OpenCV fills quickly and anti-aliased. Shading is cheap: each solid is
painted as shrinking, brightening copies of itself, nudged toward the light, which reads as a
rounded surface (dark rim, lit middle); bigger parts get more, finer layers. Groups are
painted by depth (painter's algorithm) so a near arm covers the torso behind it.
"""

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from .camera import Camera

Color = tuple[float, float, float]  # BGR, 0-255

# Shading: each solid is painted as layers shrinking toward its axis, rim (dark) to highlight.
RIM_BRIGHTNESS, CORE_BRIGHTNESS = 0.62, 1.04  # shading at the silhouette and at the highlight
INNERMOST = 0.3           # the highlight layer's size relative to the solid
HIGHLIGHT_SHIFT = 0.35     # how far (in radii) the innermost layer leans toward the light
NEAR_PLANE_M = 0.05        # parts closer to the camera than this are skipped
_SHIFT_BITS = 4            # sub-pixel precision of OpenCV drawing: 1/16 px
_CIRCLE = np.stack([np.cos(a := np.linspace(0, 2 * np.pi, 16, endpoint=False)), np.sin(a)], 1)


@dataclass(frozen=True)
class Solid:
    """A convex solid: hull of spheres at `points` (radii in metres, 0 = a bare surface point).

    Inner shading layers shrink each point toward its `anchor` (the solid's axis or centre).
    """

    points: np.ndarray   # (n, 3) world metres
    anchors: np.ndarray  # (n, 3)
    radii: np.ndarray    # (n,) metres
    color: Color

    @staticmethod
    def capsule(centres, radii, color: Color) -> "Solid":
        """Hull of spheres (a tapered capsule for two of them); layers shrink the radii."""
        c = np.asarray(centres, float).reshape(-1, 3)
        return Solid(c, c, np.asarray(radii, float).reshape(-1), color)

    @staticmethod
    def shell(points, anchors, color: Color) -> "Solid":
        """Hull of surface points; layers pull each point toward its anchor."""
        p = np.asarray(points, float).reshape(-1, 3)
        a = np.broadcast_to(np.asarray(anchors, float), p.shape)
        return Solid(p, a, np.zeros(len(p)), color)


@dataclass(frozen=True)
class Patch:
    """A flat convex polygon (eye, mouth, ear...), drawn unshaded when it faces the camera."""

    points: np.ndarray            # (n, 3) world metres
    color: Color
    normal: np.ndarray | None = None  # unit; None: always drawn
    min_cos: float = 0.0              # drawn when cos(normal, toward camera) exceeds this


@dataclass(frozen=True)
class Blend:
    """Solids painted as one surface: shading layer k of every solid before layer k+1.

    Why: a torso made of chest, waist and pelvis pieces would otherwise show seams where the
    dark rim of one piece crosses the lit middle of the other.
    """

    solids: tuple[Solid, ...]


@dataclass(frozen=True)
class Group:
    """Items painted together, in order; groups are sorted by the camera depth of `key`."""

    items: tuple[Solid | Blend | Patch, ...]
    key: tuple[float, float, float] | np.ndarray


def _fill(img: np.ndarray, pts: np.ndarray, color) -> None:
    """Fill the convex hull of (n, 2) pixel points, anti-aliased with sub-pixel precision."""
    hull = cv2.convexHull(np.clip(pts, -1e5, 1e5).astype(np.float32))
    poly = np.round(hull.reshape(-1, 2) * (1 << _SHIFT_BITS)).astype(np.int32)
    cv2.fillConvexPoly(img, poly, tuple(float(c) for c in color), cv2.LINE_AA, _SHIFT_BITS)


def _shade(color: Color, brightness: float) -> tuple[float, ...]:
    return tuple(min(255.0, c * brightness) for c in color)


@lru_cache(maxsize=16)
def shade_layers(n: int) -> tuple[tuple[float, float], ...]:
    """n (shrink, brightness) layers, rim to highlight, brightness following a lit sphere
    (Lambert: ~ sqrt(1 - r^2) at relative radius r)."""
    shrink = np.linspace(1.0, INNERMOST, n)
    bright = RIM_BRIGHTNESS + (CORE_BRIGHTNESS - RIM_BRIGHTNESS) * np.sqrt(
        np.clip(1 - shrink ** 2, 0, 1) / (1 - INNERMOST ** 2))
    return tuple((float(a), float(b)) for a, b in zip(shrink, bright))


def _layer_count(size_px: float) -> int:
    """More layers for bigger parts, so the bands stay ~2.5 px wide and read as a gradient."""
    return int(np.clip(size_px * (1 - INNERMOST) / 2.5, 5, 14))


def _size_px(p2, a2, rpx) -> float:
    return float(np.mean(np.linalg.norm(p2 - a2, axis=1) + rpx))


def _solid_layers(img, solid: Solid, p2, a2, rpx, light2d, layers, dim: float = 1.0) -> None:
    size = _size_px(p2, a2, rpx)
    for shrink, brightness in layers:
        centres = a2 + shrink * (p2 - a2) + (1 - shrink) * HIGHLIGHT_SHIFT * size * light2d
        radii = shrink * rpx
        pts = centres if radii.max() < 0.3 else (
            centres[:, None, :] + radii[:, None, None] * _CIRCLE[None]).reshape(-1, 2)
        _fill(img, pts, _shade(solid.color, brightness * dim))


def _flat(items) -> list[Solid | Patch]:
    return [s for it in items for s in (it.solids if isinstance(it, Blend) else (it,))]


def draw_groups(img: np.ndarray, groups: list[Group], camera: Camera,
                light2d: np.ndarray | None = None,
                depth_dim: tuple[float, float] | None = None) -> None:
    """Paint the groups onto img (in place), farthest first, each with shaded solids.

    light2d: image-space direction toward the light (default: up and a little left).
    depth_dim: (reference depth m, dimming per metre): groups behind the reference are
    darker, as the far side of a body is in its own shadow; keeps a far limb apart from a
    near one of the same colour.
    """
    light = np.array([-0.35, -1.0]) if light2d is None else np.asarray(light2d, float)
    light = light / max(float(np.linalg.norm(light)), 1e-9)
    chunks: list[np.ndarray] = []
    starts: list[int] = []
    for g in groups:  # one projection call for everything in the frame
        starts.append(sum(len(c) for c in chunks))
        chunks.append(np.asarray(g.key, float).reshape(1, 3))
        for it in _flat(g.items):
            chunks += [it.points, it.anchors] if isinstance(it, Solid) else [it.points]
    if not chunks:
        return
    xy, depth = camera.project(np.concatenate(chunks))
    cam_pos, f = camera.position, camera.focal_px

    for k in sorted(range(len(groups)), key=lambda k: -depth[starts[k]]):
        i = starts[k] + 1
        dim = 1.0 if depth_dim is None else float(
            np.clip(1 - depth_dim[1] * (depth[starts[k]] - depth_dim[0]), 0.7, 1.1))
        seen: dict[int, tuple] = {}  # id(item) -> its projection, if drawable
        for it in _flat(groups[k].items):
            m = len(it.points)
            if isinstance(it, Solid):
                p2, a2, d = xy[i:i + m], xy[i + m:i + 2 * m], depth[i:i + m]
                i += 2 * m
                if d.min() >= NEAR_PLANE_M:
                    seen[id(it)] = (p2, a2, f * it.radii / d)
            else:
                p2, d = xy[i:i + m], depth[i:i + m]
                i += m
                to_cam = cam_pos - it.points.mean(axis=0)
                facing = it.normal is None or float(np.dot(it.normal, to_cam)) > it.min_cos * float(
                    np.linalg.norm(to_cam))
                if d.min() >= NEAR_PLANE_M and facing:
                    seen[id(it)] = (p2,)
        for it in groups[k].items:
            if isinstance(it, Blend):
                parts = [(s, *seen[id(s)]) for s in it.solids if id(s) in seen]
                n = _layer_count(max((_size_px(*p[1:]) for p in parts), default=0.0))
                for layer in shade_layers(n):
                    for s, p2, a2, rpx in parts:
                        _solid_layers(img, s, p2, a2, rpx, light, (layer,), dim)
            elif id(it) in seen and isinstance(it, Solid):
                layers = shade_layers(_layer_count(_size_px(*seen[id(it)])))
                _solid_layers(img, it, *seen[id(it)], light, layers, dim)
            elif id(it) in seen:
                _fill(img, seen[id(it)][0], _shade(it.color, dim))
