"""Movements that are none of FitScore's exercises: what the `unknown` answer is learned from.

    >>> from fitscore_core.synth.moves.other import NON_EXERCISES
    >>> sorted(NON_EXERCISES)[:3]
    ['arm_circles', 'dip', 'hang_pull']

Real clips hold much that is no exercise of the list: standing around and setting up,
walking, waving, stretching, and other gym movements (pull-ups, dips, kicks, twists). Each
is an ExerciseModel without faults, so the synthesizer times, projects and corrupts it like
any exercise; a "rep" is one cycle of the movement. `random_limbs` moves a random set of
joints in random rhythms, so the unknown class is not only the few movements named here.
"""

import numpy as np

from fitscore_core.synth.body import Pose
from fitscore_core.synth.kinematics import rot_x, rot_y, rot_z
from fitscore_core.synth.motion_model import ExerciseModel, MoveContext
from fitscore_core.synth.moves.common import (SIDE_NAME, SIDES, arm_rot, deg, elbow_rot,
                                              hip_rot, level_gaze, planted_legs, root_rot,
                                              set_arms, sides, stance)
from fitscore_core.synth.timing import smooth_noise


def _hanging_legs(local: dict, hip_flex, knee_flex) -> None:
    """Legs free of the floor (hanging from a bar, on dip bars, mid-kick)."""
    for s in SIDES:
        name = SIDE_NAME[s]
        local[name + "_thigh"] = hip_rot(np.asarray(hip_flex), deg(4.0), 0.0, s)
        local[name + "_shank"] = rot_x(np.asarray(knee_flex))


def _standing(ctx: MoveContext, tilt=None):
    """Planted, quiet legs and a pelvis with a little sway: (pos, rot, local, world)."""
    seg, n = ctx.seg, ctx.timing.n_frames
    pos, ankles, toe_out = stance(seg, ctx.rng, n)
    sway = smooth_noise(ctx.rng, n, ctx.timing.fps, 3)
    tilt = deg(1.5) * sway[:, 0] if tilt is None else tilt
    rot = root_rot(tilt)
    world: dict = {}
    planted_legs(seg, pos, rot, ankles, toe_out, world)
    local = {"lumbar": rot_x(deg(1.0) * sway[:, 1])}
    local["neck"], local["head"] = level_gaze(tilt, 0.5)
    return pos, rot, local, world


def build_idle(ctx: MoveContext) -> Pose:
    """Standing around: weight shifts, arms loose, a hand to the face or hip now and then."""
    rng, n, fps = ctx.rng, ctx.timing.n_frames, ctx.timing.fps
    pos, rot, local, world = _standing(ctx)
    drift = smooth_noise(rng, n, fps, 4)
    flex = deg(rng.uniform(0, 25)) * np.abs(drift[:, :2])
    elbow = deg(rng.uniform(10, 80)) * np.abs(drift[:, 2:])
    arms = {s: arm_rot(flex[:, k], deg(6.0), 0.0, s) for k, s in enumerate(SIDES)}
    set_arms(local, arms, elbow_rot(elbow[:, 0]))
    local["l_forearm"] = elbow_rot(elbow[:, 1])
    return Pose(pos, rot, local, world)


def build_walk(ctx: MoveContext) -> Pose:
    """Walking across the frame or on the spot: legs and opposite arms swing."""
    seg, tm, rng = ctx.seg, ctx.timing, ctx.rng
    n = tm.n_frames
    cycle = 2 * np.pi * np.cumsum(np.full(n, 1.0 / (tm.fps * rng.uniform(0.9, 1.3))))
    swing = np.sin(cycle)
    pos = np.zeros((n, 3))
    pos[:, 1] = seg.hip_height * 0.97 + 0.02 * np.abs(np.cos(cycle))
    pos[:, 0] = np.linspace(0, rng.uniform(-1.5, 1.5) * (rng.random() < 0.6), n)
    rot = root_rot(deg(2.0)) @ rot_y(deg(rng.uniform(-90, 90)) * (rng.random() < 0.3))
    hip = deg(rng.uniform(18, 28)) * swing
    local: dict = {"lumbar": rot_y(deg(4.0) * swing)}
    for s in SIDES:
        name = SIDE_NAME[s]
        local[name + "_thigh"] = hip_rot(s * hip, deg(2.0), 0.0, s)
        local[name + "_shank"] = rot_x(deg(30.0) * np.maximum(0, np.sin(cycle * 1 + s * 1.2)))
    arms = {s: arm_rot(-s * 0.8 * hip, deg(6.0), 0.0, s) for s in SIDES}
    set_arms(local, arms, elbow_rot(deg(rng.uniform(10, 35))))
    return Pose(pos, rot, local, {})


def build_wave(ctx: MoveContext) -> Pose:
    """One hand up, waving from side to side."""
    rng, tm = ctx.rng, ctx.timing
    pos, rot, local, world = _standing(ctx)
    side = int(rng.choice(SIDES))
    wave = np.sin(2 * np.pi * np.cumsum(np.full(tm.n_frames, rng.uniform(1.5, 3.0) / tm.fps)))
    up = tm.phase
    arms = {side: arm_rot(deg(40) * up, deg(rng.uniform(90, 140)) * up, 0.0, side),
            -side: arm_rot(deg(5.0), deg(6.0), 0.0, -side)}
    set_arms(local, arms, elbow_rot(deg(10.0)))
    local[SIDE_NAME[side] + "_forearm"] = elbow_rot(deg(60) * up) @ rot_z(deg(25) * wave * up)
    return Pose(pos, rot, local, world)


def build_arm_circles(ctx: MoveContext) -> Pose:
    """Arms held out to the sides, circling."""
    rng, tm = ctx.rng, ctx.timing
    pos, rot, local, world = _standing(ctx)
    a = 2 * np.pi * tm.progress
    r = deg(rng.uniform(10, 35))
    arms = sides(arm_rot(r * np.sin(a), deg(85.0) + r * np.cos(a), 0.0, 1))
    set_arms(local, arms, elbow_rot(deg(rng.uniform(0, 15))))
    return Pose(pos, rot, local, world)


def build_twist(ctx: MoveContext) -> Pose:
    """Torso twists or side bends, arms along or out."""
    rng, tm = ctx.rng, ctx.timing
    pos, rot, local, world = _standing(ctx)
    swing = np.sin(2 * np.pi * tm.progress)
    if rng.random() < 0.5:
        local["lumbar"] = rot_y(deg(rng.uniform(25, 45)) * swing)
    else:
        local["lumbar"] = rot_z(deg(rng.uniform(15, 30)) * swing)
    abd = deg(rng.uniform(10, 90))
    set_arms(local, sides(arm_rot(deg(10.0), abd, 0.0, 1)), elbow_rot(deg(rng.uniform(5, 90))))
    return Pose(pos, rot, local, world)


def build_toe_touch(ctx: MoveContext) -> Pose:
    """Stretch: bend forward from the hips toward the toes and back up."""
    rng, tm = ctx.rng, ctx.timing
    bend = deg(rng.uniform(60, 100)) * tm.phase
    pos, rot, local, world = _standing(ctx, tilt=bend)
    local["neck"], local["head"] = rot_x(-0.2 * bend), rot_x(-0.1 * bend)
    set_arms(local, sides(arm_rot(bend * 0.9, deg(8.0), 0.0, 1)), elbow_rot(deg(5.0)))
    return Pose(pos, rot, local, world)


def build_hang_pull(ctx: MoveContext) -> Pose:
    """Hanging from a bar and pulling the body up to it (pull-ups, chin-ups, hanging)."""
    seg, tm, rng = ctx.seg, ctx.timing, ctx.rng
    n = tm.n_frames
    q = tm.phase
    arm = seg.arm
    pos = np.zeros((n, 3))
    pos[:, 1] = seg.hip_height + 0.3 + rng.uniform(0.35, 0.6) * arm * q
    rot = root_rot(deg(rng.uniform(-5, 10)) + deg(2.0) * smooth_noise(rng, n, tm.fps, 1)[:, 0])
    local: dict = {}
    local["neck"], local["head"] = rot_x(deg(-10) * q), rot_x(deg(-5) * q)
    grip = deg(rng.uniform(10, 30))
    flex = deg(175) - deg(rng.uniform(20, 50)) * q
    set_arms(local, sides(arm_rot(flex, grip, 0.0, 1)), elbow_rot(deg(rng.uniform(90, 130)) * q))
    _hanging_legs(local, deg(rng.uniform(0, 30)), deg(rng.uniform(0, 90)))
    return Pose(pos, rot, local, {})


def build_dip(ctx: MoveContext) -> Pose:
    """On parallel bars or a bench: lowering the body by bending the elbows, arms at the sides."""
    seg, tm, rng = ctx.seg, ctx.timing, ctx.rng
    n = tm.n_frames
    q = tm.phase
    pos = np.zeros((n, 3))
    pos[:, 1] = seg.hip_height + 0.2 - rng.uniform(0.2, 0.35) * q
    lean = deg(rng.uniform(0, 25)) * (0.5 + 0.5 * q)
    rot = root_rot(lean)
    local: dict = {}
    local["neck"], local["head"] = level_gaze(lean, 0.5)
    ext = -deg(rng.uniform(40, 70)) * q          # upper arm goes back as the body drops
    set_arms(local, sides(arm_rot(ext, deg(8.0), 0.0, 1)), elbow_rot(deg(rng.uniform(70, 100)) * q))
    bench = rng.random() < 0.4                   # bench dips: legs out in front
    _hanging_legs(local, deg(80 if bench else rng.uniform(-10, 20)),
                  deg(10 if bench else rng.uniform(40, 100)))
    return Pose(pos, rot, local, {})


def build_kick(ctx: MoveContext) -> Pose:
    """Kicks, leg swings or knee raises on one leg."""
    tm, rng = ctx.timing, ctx.rng
    pos, rot, local, world = _standing(ctx)
    side = SIDE_NAME[int(rng.choice(SIDES))]
    q = tm.phase
    for part in ("_thigh", "_shank", "_foot"):
        world.pop(side + part, None)
    local[side + "_thigh"] = hip_rot(deg(rng.uniform(50, 100)) * q, deg(rng.uniform(0, 40)) * q,
                                     0.0, 1 if side == "l" else -1)
    local[side + "_shank"] = rot_x(deg(rng.uniform(0, 90)) * q)
    set_arms(local, sides(arm_rot(deg(20.0), deg(rng.uniform(10, 70)), 0.0, 1)),
             elbow_rot(deg(rng.uniform(10, 90))))
    return Pose(pos, rot, local, world)


def build_random_limbs(ctx: MoveContext) -> Pose:
    """A random subset of joints, each swinging in its own rhythm: no named movement."""
    tm, rng = ctx.timing, ctx.rng
    n = tm.n_frames
    pos, rot, local, world = _standing(ctx)
    noise = smooth_noise(rng, n, tm.fps, 8) * rng.uniform(0.5, 2.0)

    def wave(k: int, amp: float) -> np.ndarray:
        return deg(amp) * (np.sin(2 * np.pi * tm.progress * rng.integers(1, 3)
                                  + rng.uniform(0, 6)) * (rng.random() < 0.6) + 0.5 * noise[:, k])

    arms = {s: arm_rot(np.abs(wave(k, 90)), np.abs(wave(k + 2, 80)), 0.0, s)
            for k, s in enumerate(SIDES)}
    set_arms(local, arms, elbow_rot(np.abs(wave(4, 90))))
    local["l_forearm"] = elbow_rot(np.abs(wave(5, 90)))
    local["lumbar"] = rot_x(wave(6, 25)) @ rot_y(wave(7, 25))
    return Pose(pos, rot, local, world)


def _model(name: str, description: str, build, rep_seconds, views=(0.0, 45.0, 90.0, -45.0),
           pause=(0.0, 0.3)) -> ExerciseModel:
    return ExerciseModel(name=name, description=description, faults=(), build=build,
                         rep_seconds=rep_seconds, tempo_ok=(0.1, 20.0), pause_bottom_s=pause,
                         pause_top_s=pause, views=views)


NON_EXERCISES: dict[str, ExerciseModel] = {m.name: m for m in (
    _model("idle", "Standing around, setting up.", build_idle, (2.0, 5.0), pause=(0.0, 1.0)),
    _model("walk", "Walking.", build_walk, (1.5, 3.0)),
    _model("wave", "Waving a hand.", build_wave, (1.5, 4.0)),
    _model("arm_circles", "Arm circles.", build_arm_circles, (0.8, 2.0)),
    _model("twist", "Torso twists or side bends.", build_twist, (1.5, 3.5)),
    _model("toe_touch", "Forward bend stretch.", build_toe_touch, (2.0, 4.0)),
    _model("hang_pull", "Hanging from a bar, pulling up.", build_hang_pull, (1.5, 3.0),
           views=(0.0, 90.0, 45.0, 180.0)),
    _model("dip", "Dips on bars or a bench.", build_dip, (1.5, 3.0), views=(90.0, 45.0, 0.0)),
    _model("kick", "Kicks, leg swings, knee raises.", build_kick, (0.8, 2.0)),
    _model("random_limbs", "Random limb movement.", build_random_limbs, (1.0, 4.0)),
)}
