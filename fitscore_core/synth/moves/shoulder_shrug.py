"""Dumbbell shoulder shrug: arms hanging, shoulders lifted straight up toward the ears.

    >>> from fitscore_core.synth.moves.shoulder_shrug import MODEL
    >>> MODEL.fault_names
    ('rolling_shoulders', 'partial_range', 'head_forward', 'bending_elbows')

Only the shoulder girdle moves (the shoulder points rise ~5 cm); the arms ride along
hanging straight down.
"""

import numpy as np

from fitscore_core.synth.body import Pose
from fitscore_core.synth.kinematics import rot_x
from fitscore_core.synth.motion_model import ExerciseModel, FaultSpec, MoveContext
from fitscore_core.synth.moves.common import (arm_rot, clavicle_rot, deg, elbow_rot, planted_legs,
                                              root_rot, set_arms, sides, stance)
from fitscore_core.synth.timing import smooth_noise

FAULTS = (
    FaultSpec("rolling_shoulders",
              "Rolls the shoulders in a circle instead of lifting straight up and down.",
              joints=("RShoulder", "LShoulder"), affected=("ARMS",)),
    FaultSpec("partial_range",
              "Barely lifts the shoulders: a small twitch instead of a full shrug.",
              joints=("RShoulder", "LShoulder"), affected=("ARMS",)),
    FaultSpec("head_forward",
              "Pokes the chin forward as the shoulders come up.",
              joints=("Nose", "REye", "LEye", "REar", "LEar"), affected=("HEAD",)),
    FaultSpec("bending_elbows",
              "Bends the elbows, pulling with the arms instead of shrugging.",
              joints=("WRISTS",)),
)


def build(ctx: MoveContext) -> Pose:
    seg, tm, sev, rng = ctx.seg, ctx.timing, ctx.sev, ctx.rng
    n = tm.n_frames
    pos, ankles, toe_out = stance(seg, rng, n)
    lift = deg(rng.uniform(13.0, 18.0))
    abd = deg(rng.uniform(6.0, 12.0))
    flex = deg(rng.uniform(-3.0, 5.0))
    elbow0 = deg(rng.uniform(4.0, 12.0))
    lean = deg(rng.uniform(0.0, 4.0))
    sway = smooth_noise(rng, n, tm.fps, 3)
    p = tm.phase
    q = p * tm.per_frame(tm.amplitude)

    tilt = lean + deg(1.0) * sway[:, 0]
    rot = root_rot(tilt)
    world: dict = {}
    planted_legs(seg, pos, rot, ankles, toe_out, world)
    jut = sev["head_forward"] * p
    local = {"lumbar": rot_x(deg(1.0) * sway[:, 1]),
             "neck": rot_x(-0.5 * tilt + deg(45.0) * jut),
             "head": rot_x(-0.3 * tilt - deg(38.0) * jut + deg(1.5) * sway[:, 2])}
    elev = lift * q * (1.0 - 0.8 * sev["partial_range"])
    roll = deg(35.0) * sev["rolling_shoulders"] * np.sin(2.0 * np.pi * tm.progress)
    elbow = elbow0 + deg(45.0) * sev["bending_elbows"] * p
    clavicles, arms = sides(clavicle_rot(elev, roll, 1)), sides(arm_rot(flex, abd, 0.0, 1))
    forearm = elbow_rot(elbow)
    set_arms(local, arms, forearm, clavicles)
    return Pose(pos, rot, local, world)


MODEL = ExerciseModel(
    name="shoulder_shrug",
    description="Dumbbell shrug: shoulders straight up toward the ears, brief hold, straight "
                "down; arms and head still.",
    faults=FAULTS, build=build, rep_seconds=(1.6, 3.0), tempo_ok=(1.0, 6.0), out_fraction=0.45,
    pause_bottom_s=(0.2, 0.8), pause_top_s=(0.2, 0.6), views=(0.0, 45.0, -45.0, 0.0, 90.0),
)
