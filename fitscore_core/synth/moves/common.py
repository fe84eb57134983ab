"""Building blocks the exercise moves share: joint rotations, planted feet, leg IK, posture.

    >>> import numpy as np
    >>> from fitscore_core.synth.moves.common import arm_rot
    >>> r = arm_rot(np.radians([90.0]), 0.0, 0.0, side=1)   # left arm raised to the front
    >>> (r @ np.array([0.0, -1.0, 0.0])).round(3).tolist() == [[0.0, 0.0, 1.0]]
    True

side is +1 for the subject's left, -1 for the right; a right joint mirrors the left one, so
moves write each rule once.
"""

import numpy as np

from fitscore_core.synth.body import Segments
from fitscore_core.synth.kinematics import apply, euler, rot_x, two_link

SIDES = (-1, 1)  # right, left
SIDE_NAME = {-1: "r", 1: "l"}
_MIRROR = np.array([[1.0, -1.0, -1.0], [-1.0, 1.0, 1.0], [-1.0, 1.0, 1.0]])


def deg(x):
    return np.radians(x)


def arm_rot(flex, abd, twist, side: int) -> np.ndarray:
    """Upper-arm rotation relative to the thorax: flexion (forward raise), abduction (side
    raise), then external rotation about the arm's own axis. Zero = hanging by the side."""
    return euler(("z", side * np.asarray(abd)), ("x", -np.asarray(flex)),
                 ("y", side * np.asarray(twist)))


def sides(left: np.ndarray) -> dict[int, np.ndarray]:
    """{side: rotation} from the left side's (T, 3, 3) or (3, 3) rotation. A rule written
    once with `side` (arm_rot, hip_rot, foot_rot, clavicle_rot) gives the right side the
    left rotation mirrored in the midplane, S R S with S = diag(-1, 1, 1): four exact sign
    flips instead of a second set of sines, cosines and products."""
    return {-1: left * _MIRROR, 1: left}


def set_arms(local: dict, arms: dict[int, np.ndarray], forearm: np.ndarray,
             clavicles: dict[int, np.ndarray] | None = None) -> None:
    """Both arms' local rotations (and the clavicles', when given) into a Pose's `local`."""
    for s in SIDES:
        name = SIDE_NAME[s]
        if clavicles is not None:
            local[name + "_clavicle"] = clavicles[s]
        local[name + "_upper_arm"] = arms[s]
        local[name + "_forearm"] = forearm


def elbow_rot(flex) -> np.ndarray:
    """Elbow flexion: the forearm swings forward/up."""
    return rot_x(-np.asarray(flex))


def hip_rot(flex, abd, twist, side: int) -> np.ndarray:
    """Thigh rotation relative to the pelvis; same convention as arm_rot."""
    return arm_rot(flex, abd, twist, side)


def root_rot(tilt, roll=0.0) -> np.ndarray:
    """Pelvis frame: forward tilt about the hip axis, then sideways roll.

    The tilt axis passes through both hip joints, so tilting the trunk never moves the hips.
    """
    return euler(("z", np.asarray(roll)), ("x", np.asarray(tilt)))


def foot_rot(toe_out, plantar, side: int) -> np.ndarray:
    """Foot frame in the world: turned out by toe_out, heel raised (toes down) by plantar."""
    return euler(("y", side * np.asarray(toe_out)), ("x", np.asarray(plantar)))


def ankle_on_toe(seg: Segments, toe: np.ndarray, foot: np.ndarray, side: int) -> np.ndarray:
    """Ankle position for a foot of orientation `foot` whose big-toe tip is at `toe`."""
    return toe - foot @ seg.foot_points(side)[1]


def big_toe_of(seg: Segments, ankle: np.ndarray, foot: np.ndarray, side: int) -> np.ndarray:
    return ankle + foot @ seg.foot_points(side)[1]


def leg_ik(seg: Segments, hip: np.ndarray, ankle: np.ndarray, pole: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(knee, thigh world frame, shank world frame) reaching from hip to ankle."""
    return two_link(hip, ankle, seg.thigh, seg.shank, pole, hinge_sign=1.0)


def arm_ik(seg: Segments, shoulder: np.ndarray, wrist: np.ndarray, pole: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(elbow, upper-arm world frame, forearm world frame) reaching from shoulder to wrist."""
    return two_link(shoulder, wrist, seg.upper_arm, seg.forearm, pole, hinge_sign=-1.0)


def ik_both_sides(ik, seg: Segments, roots: dict[int, np.ndarray], targets: dict[int, np.ndarray],
                  poles: dict[int, np.ndarray]) -> dict[int, tuple[np.ndarray, ...]]:
    """ik (leg_ik or arm_ik) for both sides in one vectorized call: {side: (middle joint,
    upper frame, lower frame)}, the same numbers as one call per side (every step is per
    frame) for half the numpy calls."""
    n = max(np.shape(a)[0] if np.ndim(a) == 2 else 1
            for d in (roots, targets, poles) for a in d.values())

    def both(d: dict[int, np.ndarray]) -> np.ndarray:
        return np.concatenate([np.broadcast_to(d[s], (n, 3)) for s in SIDES])

    out = ik(seg, both(roots), both(targets), both(poles))
    return {s: tuple(a[k * n:(k + 1) * n] for a in out) for k, s in enumerate(SIDES)}


def hip_point(seg: Segments, pos: np.ndarray, rot: np.ndarray, side: int) -> np.ndarray:
    """(T, 3) hip joint of `side` for pelvis positions/rotations (same formula as the FK)."""
    return pos + apply(rot, np.array([side * seg.hip_half, 0.0, 0.0]))


def knee_pole(toe_out, valgus, side: int) -> np.ndarray:
    """(T, 3) direction the knee points: over the toes, turned inward by `valgus`."""
    a = side * (np.asarray(toe_out) - np.asarray(valgus))
    return np.stack([np.sin(a), np.zeros_like(a), np.cos(a)], axis=-1)


def standing_hip_height(seg: Segments, dx: float, bend: float = 0.995) -> float:
    """MidHip height that leaves the legs `bend` of full length with feet dx wider than hips."""
    return seg.foot_height + float(np.sqrt((bend * seg.leg) ** 2 - dx * dx))


def level_gaze(trunk_pitch, share: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Neck and head local rotations that undo `share` of the trunk's pitch each (look ahead)."""
    r = rot_x(-0.5 * share * np.asarray(trunk_pitch))
    return r, r


def clamp_to_reach(seg: Segments, pos: np.ndarray, rot: np.ndarray,
                   ankles: dict[int, np.ndarray], bend: float = 0.995) -> np.ndarray:
    """Lower the pelvis where needed so both legs can reach their ankle targets.

    Moves that step (lunge) or jump set a pelvis path first; this keeps it honest: a leg is
    never asked to be longer than it is, so planted feet stay planted.
    """
    out = pos.copy()
    for s, ankle in ankles.items():
        hip = hip_point(seg, pos, rot, s)
        dh2 = np.sum((hip - ankle)[:, [0, 2]] ** 2, axis=1)
        y_max = ankle[:, 1] + np.sqrt(np.maximum((bend * seg.leg) ** 2 - dh2, 0.0))
        out[:, 1] = np.minimum(out[:, 1], y_max - (hip[:, 1] - pos[:, 1]))
    return out


def clavicle_rot(elevation, protraction, side: int) -> np.ndarray:
    """Shoulder girdle: raise the shoulder point (shrug) and bring it forward (protraction)."""
    return euler(("z", side * np.asarray(elevation)), ("y", -side * np.asarray(protraction)))


def stance(seg: Segments, rng: np.random.Generator, n: int
           ) -> tuple[np.ndarray, dict[int, np.ndarray], float]:
    """Quiet standing for the upper-body exercises: (pelvis positions (T, 3), ankle targets
    {side: (T, 3)}, toe-out angle). Feet about hip width, knees a touch soft."""
    extra = rng.uniform(0.0, 0.10)
    toe_out = float(np.radians(rng.uniform(5.0, 18.0)))
    soft = rng.uniform(0.982, 0.995)
    pos = np.tile([0.0, standing_hip_height(seg, extra, soft), rng.uniform(-0.02, 0.02)], (n, 1))
    ankles = {s: np.tile([s * (seg.hip_half + extra), seg.foot_height, 0.0], (n, 1)) for s in SIDES}
    return pos, ankles, toe_out


def planted_legs(seg: Segments, pos: np.ndarray, rot: np.ndarray, ankles: dict[int, np.ndarray],
                 toe_out: float, world: dict[str, np.ndarray]) -> None:
    """Solve both legs to flat, planted feet; writes thigh/shank/foot frames into `world`.

    Standing exercises keep hips and ankles still (trunk tilts pivot on the hip axis), so the
    legs are solved once and reused for every frame when nothing moves.
    """
    n = pos.shape[0]
    feet = sides(foot_rot(toe_out, 0.0, 1))
    for s in SIDES:
        hip = hip_point(seg, pos, rot, s)
        still = bool((hip == hip[0]).all() and (ankles[s] == ankles[s][0]).all())
        h, a = (hip[:1], ankles[s][:1]) if still else (hip, ankles[s])
        _, thigh, shank = leg_ik(seg, h, a, knee_pole(toe_out, 0.0, s))
        name = SIDE_NAME[s]
        world[name + "_thigh"] = np.broadcast_to(thigh, (n, 3, 3))
        world[name + "_shank"] = np.broadcast_to(shank, (n, 3, 3))
        world[name + "_foot"] = np.broadcast_to(feet[s], (n, 3, 3))
