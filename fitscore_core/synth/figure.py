"""The synthetic person as paintable 3D parts: torso, head with a face, limbs, hands, shoes.

    >>> from fitscore_core.synth.appearance import Appearance
    >>> from fitscore_core.synth.camera import Camera
    >>> from fitscore_core.synth.figure import body_groups
    >>> from fitscore_core.synth.proportions import standing_pose
    >>> groups = body_groups(standing_pose(), Appearance(), Camera())
    >>> len(groups)                      # torso, head, 2 arms x 2 parts, 2 legs x 3 parts
    12

Why: BODY_25 gives joint centres only; this module wraps flesh and clothes around them so a
pose estimator sees a person and puts its keypoints back on those centres. The anatomy is
placed around the *joint centres*: hips sit inside the pelvis (the pelvis is ~1.9x wider than
the hip joints), shoulders inside the deltoids, knees and elbows inside their limbs. Sizes are
in metres (scaled to the skeleton in hand), so the camera's projection makes every part
perspective-correct from any side, standing or lying. Each group carries a depth key; the
painter (solids.draw_groups) paints far groups first.
"""

from dataclasses import dataclass

import numpy as np

from .appearance import Appearance
from .camera import Camera
from .solids import Blend, Group, Patch, Solid

# BODY_25 indices
NOSE, NECK, R_SH, R_EL, R_WR, L_SH, L_EL, L_WR, MID_HIP = range(9)
R_HIP, R_KNEE, R_ANK, L_HIP, L_KNEE, L_ANK, R_EYE, L_EYE, R_EAR, L_EAR = range(9, 19)
L_BTOE, L_STOE, L_HEEL, R_BTOE, R_STOE, R_HEEL = range(19, 25)

# Torso cross-sections of the reference body (1.75 m, hips 0.18 m and shoulders 0.36 m apart,
# MidHip-Neck 0.515 m): (height above MidHip, half width, half depth, forward offset), metres.
_REF_TORSO_M, _REF_HIP_HALF, _REF_SHOULDER_HALF, _REF_EAR_HALF = 0.515, 0.09, 0.18, 0.075
_PELVIS = ((-0.10, 0.140, 0.088, -0.020), (-0.02, 0.168, 0.104, -0.015),
           (0.08, 0.165, 0.100, -0.005), (0.16, 0.152, 0.094, 0.000))
_WAIST = ((0.11, 0.166, 0.106, 0.000), (0.24, 0.150, 0.100, 0.006), (0.33, 0.153, 0.106, 0.012))
_CHEST = ((0.30, 0.156, 0.106, 0.012), (0.40, 0.172, 0.116, 0.016), (0.47, 0.180, 0.104, 0.006),
          (0.535, 0.165, 0.074, -0.010), (0.575, 0.072, 0.055, -0.012))
_RING = np.stack([np.cos(a := np.linspace(0, 2 * np.pi, 14, endpoint=False)), np.sin(a)], 1)

# Limb girths: radius (metres) at fractions along the segment, reference build (average adult
# circumferences: upper arm ~31 cm, forearm ~27 cm, thigh ~54 cm, calf ~37 cm). Thinner
# limbs than real ones make a pose estimator lose them, so these are not slimmed.
_UPPER_ARM = ((0.0, 0.050), (0.45, 0.049), (1.0, 0.040))
_FOREARM = ((0.0, 0.039), (0.3, 0.043), (1.0, 0.028))
_THIGH = ((0.0, 0.086), (0.35, 0.079), (1.0, 0.056))
_SHIN = ((0.0, 0.054), (0.28, 0.059), (1.0, 0.035))
_CLOTH_M = 0.007       # clothes stand off the skin
_SHORTS_COVER = 0.6    # shorts cover this fraction of the thigh
_SOCK_M = 0.09         # socks reach this far up from the ankle joint
HEAD_SORT_BIAS_M = 0.12  # the head is painted as if this much nearer (see _HeadParts.group)
HAND_LENGTH_M = 0.16   # wrist to fingertips, reference body


# ---------------------------------------------------------------------------- geometry helpers

def _unit(v: np.ndarray, fallback=(0.0, 1.0, 0.0)) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else np.asarray(fallback, float)


def _orth(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """v without its component along the unit vector axis."""
    return v - axis * float(np.dot(v, axis))


def _frame(up: np.ndarray, lateral: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orthonormal (up, lateral = toward the body's left, forward) from rough directions."""
    lat = _unit(_orth(lateral, up), fallback=_unit(np.cross(up, (0.0, 0.0, 1.0)), (1, 0, 0)))
    return up, lat, np.cross(lat, up)


def _limb(a: np.ndarray, b: np.ndarray, girth, scale: float, extra: float = 0.0,
          upto: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Sphere centres and radii of a tapered limb a -> b, optionally only its first `upto`."""
    fr = [(t, r) for t, r in girth if t < upto] + [(upto, float(np.interp(upto, *zip(*girth))))]
    t = np.array([x for x, _ in fr])
    return a + t[:, None] * (b - a), np.array([r for _, r in fr]) * scale + extra


def _on_floor(centres, radii, color) -> Solid:
    """A capsule whose spheres are lifted out of the floor (y = 0) where they would cut it."""
    c = np.array(centres, float)
    r = np.asarray(radii, float)
    c[:, 1] = np.maximum(c[:, 1], r)
    return Solid.capsule(c, r, color)


def _sections(origin, up, lat, fwd, table, h_scale, w_scale, d_scale):
    """Ring points and their centres for torso cross-sections (see _PELVIS)."""
    pts, anchors = [], []
    for h, w, d, off in table:
        c = origin + up * h * h_scale + fwd * off * d_scale
        pts.append(c + np.outer(_RING[:, 0] * w * w_scale, lat)
                   + np.outer(_RING[:, 1] * d * d_scale, fwd))
        anchors.append(np.repeat(c[None], len(_RING), 0))
    return np.concatenate(pts), np.concatenate(anchors)


# ---------------------------------------------------------------------------- body parts

def body_size(joints3d: np.ndarray) -> float:
    """How big this skeleton is relative to the reference body, from its torso length."""
    length = float(np.linalg.norm(joints3d[NECK] - joints3d[MID_HIP]))
    return float(np.clip(length / _REF_TORSO_M, 0.7, 1.4))


def _torso(j: np.ndarray, app: Appearance, size: float) -> Group:
    """Pelvis (bottoms colour), then waist + chest (shirt) painted as one surface.

    Widths follow the skeleton's own hip and shoulder spacing, depths its size and build.
    """
    hip, neck = j[MID_HIP], j[NECK]
    up = _unit(neck - hip)
    hs = float(np.linalg.norm(neck - hip)) / _REF_TORSO_M or 1.0
    depth = app.build * size
    girth = 1 + 0.7 * (app.build - 1)
    hip_half = np.linalg.norm(_orth(j[L_HIP] - j[R_HIP], up)) / 2
    sh_half = np.linalg.norm(_orth(j[L_SH] - j[R_SH], up)) / 2
    _, lat_p, fwd_p = _frame(up, j[L_HIP] - j[R_HIP])
    _, lat_s, fwd_s = _frame(up, j[L_SH] - j[R_SH])
    _, lat_w, fwd_w = _frame(up, lat_p + lat_s)
    wp = float(np.clip(hip_half / _REF_HIP_HALF, 0.75, 1.35)) * girth
    ws = float(np.clip(sh_half / _REF_SHOULDER_HALF, 0.75, 1.35)) * girth
    pelvis = Solid.shell(*_sections(hip, up, lat_p, fwd_p, _PELVIS, hs, wp, depth), app.bottoms)
    waist = Solid.shell(*_sections(hip, up, lat_w, fwd_w, _WAIST, hs, (wp + ws) / 2, depth),
                        app.shirt)
    chest = Solid.shell(*_sections(hip, up, lat_s, fwd_s, _CHEST, hs, ws, depth), app.shirt)
    return Group((pelvis, Blend((waist, chest))), key=(hip + neck) / 2)


def _sphere_grid(n_lat: int = 9, n_lon: int = 14) -> np.ndarray:
    lat = np.linspace(-np.pi / 2, np.pi / 2, n_lat)
    lon = np.linspace(0, 2 * np.pi, n_lon, endpoint=False)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    xyz = np.stack([np.cos(la) * np.sin(lo), np.sin(la), np.cos(la) * np.cos(lo)], -1)
    return xyz.reshape(-1, 3)


_UNIT_SPHERE = _sphere_grid()  # columns: lateral, up, forward


def _cap(normal, offset: float) -> np.ndarray:
    """Unit-sphere points on the side `normal . p > offset`, plus the circle where it is cut,
    so the cap's hull ends exactly at the cut."""
    normal = np.asarray(normal, float) / np.linalg.norm(normal)
    u = _unit(np.cross(normal, (1.0, 0.0, 0.0)), (0, 1, 0))
    v = np.cross(normal, u)
    a = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    rim = normal * offset + np.sqrt(1 - offset ** 2) * (np.outer(np.cos(a), u)
                                                        + np.outer(np.sin(a), v))
    return np.concatenate([_UNIT_SPHERE[_UNIT_SPHERE @ normal > offset], rim])


# The face is the part of the skull in front of a plane running from the forehead hairline
# (up 0.5, forward 0.87) down and back to below the ear; the rest of the skull is hair
# (temples, crown, back of the head), as with short hair.
_FACE_CAP = _cap((0.0, -0.628, 0.778), 0.363)


def _head(j: np.ndarray, app: Appearance, size: float) -> "_HeadParts":
    """Hair-covered skull, face + jaw (skin), and face details that turn with the head.

    The head frame comes from the ears (lateral), nose (forward) and their cross product (up),
    so the face is seen from the front, in profile or not at all, as the pose dictates.
    """
    ear_mid = (j[L_EAR] + j[R_EAR]) / 2
    ear_vec = j[L_EAR] - j[R_EAR]
    s = float(np.clip(np.linalg.norm(ear_vec) / 2 / _REF_EAR_HALF, 0.7, 1.4))
    body_up = _unit(j[NECK] - j[MID_HIP])
    fwd = _unit(_orth(j[NOSE] - ear_mid, _unit(ear_vec, (1, 0, 0))),
                fallback=np.cross(_unit(ear_vec, (1, 0, 0)), body_up))
    lat = _unit(_orth(ear_vec, fwd), fallback=np.cross(body_up, fwd))
    up = np.cross(fwd, lat)
    basis = np.stack([lat, up, fwd])  # rows

    def ellipsoid(centre, radii, unit_points=_UNIT_SPHERE):
        return centre + (unit_points * radii) @ basis

    skull_c = ear_mid + (up * 0.020 - fwd * 0.005) * s
    skull_r = np.array([0.079, 0.112, 0.096]) * s
    jaw_c = ear_mid + (-up * 0.040 + fwd * 0.032) * s
    jaw_r = np.array([0.058, 0.062, 0.060]) * s
    hair = Solid.shell(ellipsoid(skull_c, skull_r * 1.03), skull_c, app.hair)
    # face and jaw as one hull shaded about the skull centre: one smooth face with a chin
    face_pts = np.concatenate([ellipsoid(skull_c, skull_r, _FACE_CAP), ellipsoid(jaw_c, jaw_r)])
    face = Solid.shell(face_pts, skull_c, app.skin)

    def flat(centre, half_a, half_b, axis_a, axis_b, n=10):
        t = np.linspace(0, 2 * np.pi, n, endpoint=False)
        return centre + np.outer(np.cos(t) * half_a, axis_a) + np.outer(np.sin(t) * half_b, axis_b)

    dark = tuple(c * 0.72 for c in app.skin)
    details: list[Patch] = []
    for ear_j, side in ((L_EAR, 1.0), (R_EAR, -1.0)):  # ears stick out ~30 degrees
        normal = _unit(lat * side * 0.87 - fwd * 0.5)
        blade = _unit(np.cross(up, normal))
        details.append(Patch(flat(j[ear_j] + up * 0.004 * s, 0.019 * s, 0.030 * s, blade, up),
                             dark, normal))
    for eye_j, side in ((L_EYE, 1.0), (R_EYE, -1.0)):
        e = j[eye_j]
        n = _unit(fwd + side * 0.45 * lat)  # eyes sit on the curve of the face
        across = _unit(np.cross(up, n)) * side
        details.append(Patch(flat(e, 0.014 * s, 0.0075 * s, across, up), (235, 238, 240), n))
        details.append(Patch(flat(e + n * 0.002 * s, 0.0062 * s, 0.0062 * s, across, up, 8),
                             (40, 30, 25), n))
        brow = e + (up * 0.022 + n * 0.003) * s
        details.append(Patch(flat(brow, 0.017 * s, 0.0045 * s, across, up, 8), app.hair, n))
    nose_tip = j[NOSE]
    bridge = (j[L_EYE] + j[R_EYE]) / 2 + fwd * 0.008 * s
    base = nose_tip - (up * 0.020 + fwd * 0.016) * s
    nose_pts = np.stack([bridge, nose_tip, base + lat * 0.016 * s, base - lat * 0.016 * s])
    details.append(Patch(nose_pts, tuple(c * 0.86 for c in app.skin), fwd, min_cos=-0.3))
    nostrils = flat(base + fwd * 0.004 * s, 0.012 * s, 0.003 * s, lat, up, 8)
    details.append(Patch(nostrils, tuple(c * 0.5 for c in app.skin), _unit(fwd - up)))
    mouth_c = nose_tip - (up * 0.037 + fwd * 0.014) * s
    mouth = flat(mouth_c, 0.023 * s, 0.0055 * s, lat, up)
    lips = (0.55 * app.skin[0] + 20, 0.45 * app.skin[1], 0.65 * app.skin[2] + 40)
    details.append(Patch(mouth, lips, _unit(mouth_c - jaw_c)))

    girth = (1 + 0.7 * (app.build - 1)) * size
    neck_top = ear_mid + (-up * 0.050 - fwd * 0.025) * s
    neck = Solid.capsule([j[NECK] + body_up * 0.03 * s, neck_top],
                         np.array([0.050, 0.046]) * girth, app.skin)
    return _HeadParts(neck=neck, face=face, hair=hair, details=tuple(details), forward=fwd,
                      centre=skull_c)


@dataclass(frozen=True)
class _HeadParts:
    neck: Solid
    face: Solid
    hair: Solid
    details: tuple[Patch, ...]
    forward: np.ndarray
    centre: np.ndarray

    def group(self, camera: Camera) -> Group:
        """Neck, hair-covered skull and face in visibility order, then face details.

        The face is painted over the skull unless it is turned clearly away from the camera.
        The head is sorted as if 12 cm nearer the camera than it is: it sits on the torso
        and in front of a shoulder at its own depth, yet a hand clearly in front still hides it.
        """
        to_cam = _unit(camera.position - self.centre)
        facing = float(np.dot(self.forward, to_cam)) > -0.25
        regions = (self.hair, self.face) if facing else (self.face, self.hair)
        key = self.centre + to_cam * HEAD_SORT_BIAS_M
        return Group((self.neck, *regions, *self.details), key=key)


def _hand(j: np.ndarray, el: int, wr: int, side: float, app: Appearance,
          size: float) -> tuple[Solid, ...]:
    """A flat hand (palm + fingers as one paddle, and a thumb) at the end of the forearm.

    BODY_25 has no hand points, so the hand continues the forearm, palm toward the body and
    thumb forward, fingers loosely curled; where that would push it into the floor (push-ups,
    planks) it lies flat instead, fingers toward where the head points, thumb inward.
    A palm wider than the wrist is what tells a pose estimator where the wrist ends.
    side: +1 left hand, -1 right hand.
    """
    w0 = j[wr]
    d = _unit(w0 - j[el])
    body_up = _unit(j[NECK] - j[MID_HIP])
    body_fwd = _frame(body_up, j[L_SH] - j[R_SH])[2]
    width = _unit(_orth(body_fwd + 0.3 * body_up, d), fallback=_unit(np.cross(d, (1, 0, 0))))
    palm_n = side * _unit(np.cross(d, width))  # palm faces the body's midline
    curl = 0.022
    if w0[1] + d[1] * HAND_LENGTH_M * size < 0.02:  # would enter the floor: lay it flat
        ahead = (j[NECK] - j[MID_HIP]) * (1.0, 0.0, 1.0)
        d = _unit(ahead, fallback=_unit(d * (1.0, 0.0, 1.0), (0, 0, 1)))
        width = -side * _unit(np.cross((0.0, 1.0, 0.0), d), (1, 0, 0))
        palm_n, curl = np.array([0.0, -1.0, 0.0]), 0.0
        w0 = np.array([w0[0], max(w0[1], 0.025), w0[2]])
    g = app.build * size

    def at(along: float, across: float, lift: float = 0.0) -> np.ndarray:
        """A point of the hand: along the fingers, across the palm, off the palm (metres)."""
        return w0 + (d * along + width * across + palm_n * lift) * size

    paddle = _on_floor(
        [at(0.02, 0.016), at(0.02, -0.016), at(0.085, 0.028), at(0.085, -0.03),
         at(0.165, 0.02, curl), at(0.155, -0.024, curl)],
        np.array([0.021, 0.021, 0.017, 0.016, 0.011, 0.010]) * g, app.skin)
    thumb = _on_floor([at(0.035, 0.03), at(0.075, 0.058, 0.012), at(0.1, 0.066, 0.02)],
                      np.array([0.015, 0.012, 0.010]) * g, app.skin)
    return thumb, paddle


def _arm(j, sh, el, wr, side: float, app: Appearance, size: float) -> list[Group]:
    g = app.build * size
    skin_pts, skin_r = _limb(j[sh], j[el], _UPPER_ARM, g)
    sleeve_pts, sleeve_r = _limb(j[sh], j[el], _UPPER_ARM, g, _CLOTH_M, upto=app.sleeve)
    upper = (Solid.capsule(skin_pts, skin_r, app.skin),
             Solid.capsule(sleeve_pts, sleeve_r, app.shirt))
    fore_pts, fore_r = _limb(j[el], j[wr], _FOREARM, g)
    return [Group(upper, key=(j[sh] + j[el]) / 2),
            Group((Solid.capsule(fore_pts, fore_r, app.skin), *_hand(j, el, wr, side, app, size)),
                  key=(j[el] + j[wr]) / 2)]


def _leg(j, hip, knee, ank, heel, btoe, stoe, app: Appearance, size: float) -> list[Group]:
    g = app.build * size
    thigh_pts, thigh_r = _limb(j[hip], j[knee], _THIGH, g)
    cover = _SHORTS_COVER if app.shorts else 1.0
    cloth_pts, cloth_r = _limb(j[hip], j[knee], _THIGH, g, _CLOTH_M * 1.4, upto=cover)
    thigh = [Solid.capsule(cloth_pts, cloth_r, app.bottoms)]
    if app.shorts:
        thigh.insert(0, Solid.capsule(thigh_pts, thigh_r, app.skin))
    shin_pts, shin_r = _limb(j[knee], j[ank], _SHIN, g)
    shin = (Solid.capsule(shin_pts, shin_r, app.skin) if app.shorts
            else Solid.capsule(shin_pts, shin_r + _CLOTH_M * 1.4, app.bottoms))
    toes = (j[btoe] + j[stoe]) / 2
    f_fwd = _unit(toes - j[heel], (0, 0, 1))
    f_up = _unit(_orth(j[ank] - j[heel], f_fwd)) * size
    f_fwd = f_fwd * size
    shoe = _on_floor(  # sole points lifted by their radius: the shoe rests on the floor
        [j[ank] + f_up * 0.005, j[heel] + f_up * 0.035 + f_fwd * 0.025,
         j[heel] + 0.55 * (toes - j[heel]) + f_up * 0.035,
         j[btoe] + f_up * 0.022 - f_fwd * 0.012, j[stoe] + f_up * 0.02 - f_fwd * 0.012],
        np.array([0.042, 0.037, 0.040, 0.025, 0.022]) * (0.5 + 0.5 * app.build) * size,
        app.shoes)
    lower = [shin]
    if app.shorts:  # socks show between bare shin and shoe; trousers hide them
        up_shin = tuple((1 - t, r) for t, r in reversed(_SHIN))
        reach = _SOCK_M * size / (float(np.linalg.norm(j[knee] - j[ank])) or 1.0)
        lower.append(Solid.capsule(*_limb(j[ank], j[knee], up_shin, g, _CLOTH_M * 0.5,
                                          upto=min(reach, 1.0)), app.socks))
    return [Group(tuple(thigh), key=(j[hip] + j[knee]) / 2),
            Group(tuple(lower), key=(j[knee] + j[ank]) / 2),
            Group((shoe,), key=(j[heel] + toes) / 2)]


def body_groups(joints3d: np.ndarray, appearance: Appearance, camera: Camera) -> list[Group]:
    """All paintable parts of the person, each keyed by its depth for far-to-near painting."""
    j = np.asarray(joints3d, float)
    size, app = body_size(j), appearance
    groups = [_torso(j, app, size), _head(j, app, size).group(camera)]
    groups += _arm(j, R_SH, R_EL, R_WR, -1.0, app, size)
    groups += _arm(j, L_SH, L_EL, L_WR, 1.0, app, size)
    groups += _leg(j, R_HIP, R_KNEE, R_ANK, R_HEEL, R_BTOE, R_STOE, app, size)
    groups += _leg(j, L_HIP, L_KNEE, L_ANK, L_HEEL, L_BTOE, L_STOE, app, size)
    return groups
