"""Backdrops for synthetic exercise videos: gym, studio, room and outdoors.

    >>> import numpy as np
    >>> from fitscore_core.synth.backgrounds import BACKGROUND_KINDS, floor_row, make_background
    >>> from fitscore_core.synth.camera import Camera
    >>> cam = Camera(pitch_deg=10)
    >>> bg = make_background("gym", cam.width, cam.height, np.random.default_rng(0),
    ...                      floor_y=floor_row(cam))   # the person stands on the floor
    >>> bg.shape, bg.dtype.name, BACKGROUND_KINDS
    ((480, 640, 3), 'uint8', ('gym', 'studio', 'room', 'outdoor'))

Why: a pose model trained or tested on one flat colour learns the colour. These scenes vary
wall, floor, light and texture, with a floor line in perspective, yet stay calm enough
(soft texture, muted props, no people-like shapes) that the person remains the subject.
"""

import cv2
import numpy as np

from fitscore_core.errors import FitScoreError

from .camera import Camera

BACKGROUND_KINDS = ("gym", "studio", "room", "outdoor")

# Wall and floor colours (BGR) keep away from skin hues (beige, peach, tan, brown): a face
# against a skin-coloured wall, or bare forearms on a floor of the same brown, is what makes a
# pose detector lose a person or a limb. Floors: rubber, mats, grey-washed and pale wood.
_GYM_WALLS = ((205, 205, 200), (190, 175, 150), (120, 125, 130), (200, 215, 195),
              (225, 225, 225), (150, 110, 70))
_GYM_FLOORS = ((70, 70, 72), (55, 60, 65), (90, 95, 100), (95, 70, 50), (70, 90, 60))
_ROOM_FLOORS = ((120, 128, 135), (150, 160, 165), (70, 75, 85), (130, 150, 165))
_STUDIO_TOPS = ((235, 235, 235), (215, 205, 190), (120, 120, 125), (200, 220, 200),
                (75, 70, 70))
_ROOM_WALLS = ((235, 235, 230), (215, 205, 190), (190, 210, 185), (170, 170, 165),
               (205, 215, 215))


def _vertical(h: int, w: int, top, bottom) -> np.ndarray:
    """(h, w, 3) float gradient from colour top to colour bottom."""
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    return np.broadcast_to((1 - t) * np.float32(top) + t * np.float32(bottom), (h, w, 3)).copy()


def _texture(rng: np.random.Generator, h: int, w: int, amp: float, sigma: float) -> np.ndarray:
    """(h, w, 1) smooth noise: plaster, concrete, grass."""
    noise = rng.normal(0.0, 1.0, (h, w)).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), sigma)
    return (noise * (amp / max(float(noise.std()), 1e-6)))[..., None]


def _jitter(rng: np.random.Generator, color, amount: float = 18.0) -> np.ndarray:
    return np.clip(np.float32(color) + rng.uniform(-amount, amount, 3), 0, 255)


def _floor_lines(img: np.ndarray, horizon_y: int, floor_y: int, vanish_x: float,
                 color, n: int, cross: bool) -> None:
    """Seams on the floor converging to a vanishing point: the floor reads as a plane."""
    h, w = img.shape[:2]
    col = tuple(float(c) for c in color)
    for x in np.linspace(-1.5 * w, 2.5 * w, n):
        t = (floor_y - horizon_y) / max(h - horizon_y, 1)
        x_top = vanish_x + (x - vanish_x) * t
        cv2.line(img, (int(x_top * 16), floor_y * 16), (int(x * 16), h * 16), col, 1,
                 cv2.LINE_AA, 4)
    if cross:  # rows of tiles get closer together toward the horizon
        z = np.geomspace(1.0, 8.0, 9)
        for y in horizon_y + (h - horizon_y) / z:
            if y > floor_y + 2:
                cv2.line(img, (0, int(y)), (w, int(y)), col, 1, cv2.LINE_AA)


def _pick_row(rng, h: int, lo: float, hi: float, given: int | None) -> int:
    """The wall/floor (or horizon) row: given, or random; random drawn either way, so a seed
    gives the same scene whatever the row."""
    row = int(h * rng.uniform(lo, hi))
    return row if given is None else int(np.clip(given, 4, h - 4))


def _gym(rng, w, h, floor_row=None):
    floor_y = _pick_row(rng, h, 0.58, 0.7, floor_row)
    wall = _jitter(rng, _GYM_WALLS[rng.integers(len(_GYM_WALLS))], 10)
    img = _vertical(h, w, wall * 1.05, wall * 0.9) + _texture(rng, h, w, 3.0, 2.0)
    band_y = int(floor_y * rng.uniform(0.25, 0.5))
    band = _jitter(rng, [(40, 40, 160), (140, 80, 30), (40, 120, 200), (60, 60, 60)]
                   [rng.integers(4)], 25)
    img[band_y:band_y + max(4, h // 40)] = band
    for _ in range(rng.integers(1, 4)):  # mirrors, windows, a noticeboard
        x0 = int(rng.uniform(0, w * 0.85))
        pw, ph = int(w * rng.uniform(0.1, 0.25)), int(floor_y * rng.uniform(0.25, 0.45))
        y0 = int(rng.uniform(0.1, 0.5) * floor_y)
        panel = _jitter(rng, (205, 200, 190), 25)
        cv2.rectangle(img, (x0, y0), (x0 + pw, y0 + ph), tuple(float(c) for c in panel), -1)
        cv2.rectangle(img, (x0, y0), (x0 + pw, y0 + ph), tuple(float(c) * 0.6 for c in panel), 2)
    floor = _jitter(rng, _GYM_FLOORS[rng.integers(len(_GYM_FLOORS))], 8)
    img[floor_y:] = _vertical(h - floor_y, w, floor * 0.85, floor * 1.15) \
        + _texture(rng, h - floor_y, w, 6.0, 0.8)
    img[floor_y:floor_y + 3] = floor * 0.5  # skirting
    _floor_lines(img, floor_y - h // 4, floor_y, w * rng.uniform(0.3, 0.7), floor * 0.7, 14, True)
    return img


def _studio(rng, w, h, floor_row=None):
    top = _jitter(rng, _STUDIO_TOPS[rng.integers(len(_STUDIO_TOPS))], 8)
    img = _vertical(h, w, top, top * rng.uniform(0.6, 0.8))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((xx - w / 2) / w, (yy - h * 0.45) / h)
    img *= (1.0 - 0.35 * r ** 2)[..., None]  # vignette
    return img + _texture(rng, h, w, 1.5, 3.0)


def _room(rng, w, h, floor_row=None):
    floor_y = _pick_row(rng, h, 0.6, 0.72, floor_row)
    wall = _jitter(rng, _ROOM_WALLS[rng.integers(len(_ROOM_WALLS))], 10)
    img = _vertical(h, w, wall, wall * 0.85) + _texture(rng, h, w, 5.0, 1.2)
    # a door or a window
    x0 = int(rng.uniform(0.0, 0.8) * w)
    if rng.random() < 0.5:
        dw, y0 = int(w * 0.13), int(floor_y * 0.25)
        cv2.rectangle(img, (x0, y0), (x0 + dw, floor_y), tuple(float(c) for c in wall * 0.75), -1)
    else:
        ww, y0 = int(w * 0.2), int(floor_y * 0.15)
        cv2.rectangle(img, (x0, y0), (x0 + ww, y0 + int(floor_y * 0.45)), (235, 225, 210), -1)
        cv2.rectangle(img, (x0, y0), (x0 + ww, y0 + int(floor_y * 0.45)), (240, 240, 240), 4)
    wood = _jitter(rng, _ROOM_FLOORS[rng.integers(len(_ROOM_FLOORS))], 8)
    img[floor_y:] = _vertical(h - floor_y, w, wood * 0.85, wood * 1.1) \
        + _texture(rng, h - floor_y, w, 7.0, 1.0)
    img[floor_y:floor_y + 4] = (235, 235, 235)  # skirting board
    _floor_lines(img, floor_y - h // 4, floor_y + 4, w * rng.uniform(0.35, 0.65), wood * 0.65,
                 22, False)
    return img


def _outdoor(rng, w, h, floor_row=None):
    horizon = _pick_row(rng, h, 0.45, 0.6, floor_row)
    sky = _vertical(horizon, w, _jitter(rng, (215, 160, 110), 20),
                    _jitter(rng, (240, 225, 205), 10))
    img = np.empty((h, w, 3), np.float32)
    img[:horizon] = sky
    x = np.arange(w, dtype=np.float32)
    hills = horizon - h * (0.06 + 0.05 * np.sin(x / w * rng.uniform(3, 7) + rng.uniform(0, 6))
                           + 0.03 * np.sin(x / w * rng.uniform(9, 15) + rng.uniform(0, 6)))
    yy = np.arange(h, dtype=np.float32)[:, None]
    hill_col = _jitter(rng, (120, 140, 110), 15)
    img[(yy >= hills[None]) & (yy < horizon)] = hill_col
    for _ in range(rng.integers(4, 9)):  # soft trees
        cx, cy = int(rng.uniform(0, w)), int(horizon - rng.uniform(0.02, 0.08) * h)
        r = int(h * rng.uniform(0.03, 0.07))
        cv2.circle(img, (cx, cy), r, tuple(float(c) for c in _jitter(rng, (50, 95, 60), 15)), -1,
                   cv2.LINE_AA)
    grass = _jitter(rng, [(60, 140, 95), (70, 125, 110), (90, 150, 130)][rng.integers(3)], 10)
    img[horizon:] = _vertical(h - horizon, w, grass * 0.85, grass * 1.1) \
        + _texture(rng, h - horizon, w, 8.0, 0.9)
    img[:horizon + 2] = cv2.GaussianBlur(img[:horizon + 2], (0, 0), 1.5)
    return img


_MAKERS = {"gym": _gym, "studio": _studio, "room": _room, "outdoor": _outdoor}


def floor_row(camera: Camera, behind_m: float = 3.0) -> int:
    """Image row where the floor meets a wall behind_m metres behind the camera's target.

    Pass it to make_background(..., floor_y=...) so the person stands on the drawn floor
    instead of in front of the wall, whatever the camera height and pitch.
    """
    target = np.asarray(camera.target, float)
    away = (target - camera.position) * (1.0, 0.0, 1.0)
    away = away / max(float(np.linalg.norm(away)), 1e-9)
    xy, depth = camera.project(np.array([target[0], 0.0, target[2]]) + away * behind_m)
    row = float(xy[1]) if depth > 0 else 0.0
    return int(np.clip(round(row), 0.05 * camera.height, 0.95 * camera.height))


def make_background(kind: str, width: int, height: int, rng: np.random.Generator,
                    floor_y: int | None = None) -> np.ndarray:
    """(height, width, 3) uint8 BGR backdrop of the given kind, varied by rng.

    floor_y: row of the wall/floor line (horizon outdoors), e.g. floor_row(camera);
    None picks one at random (the studio has no floor line and ignores it).
    """
    if kind not in _MAKERS:
        raise FitScoreError(f"Unknown background '{kind}': choose one of "
                            f"{', '.join(BACKGROUND_KINDS)}.")
    if width <= 0 or height <= 0:
        raise ValueError(f"background size must be positive, got {width}x{height}")
    img = _MAKERS[kind](rng, width, height, floor_y)
    img = cv2.GaussianBlur(img, (0, 0), 0.7) + rng.normal(0, 1.5, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)
