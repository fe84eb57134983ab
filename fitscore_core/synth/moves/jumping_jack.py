"""Jumping jack: jump the feet wide while the arms sweep overhead, jump back together.

    >>> from fitscore_core.synth.moves.jumping_jack import MODEL
    >>> MODEL.fault_names
    ('arms_not_overhead', 'narrow_feet', 'bent_knees', 'bent_arms')

The whole body leaves the floor between the closed and open positions (flight of a few
cm, toes pointing down in the air) and lands with slightly bent knees. The pelvis height
follows the good stance width, so a narrow stance changes only the legs.
"""

import numpy as np

from fitscore_core.synth.body import Pose
from fitscore_core.synth.kinematics import rot_x
from fitscore_core.synth.motion_model import ExerciseModel, FaultSpec, MoveContext
from fitscore_core.synth.moves.common import (SIDES, SIDE_NAME, arm_rot, deg, elbow_rot, foot_rot,
                                              hip_point, ik_both_sides, knee_pole, leg_ik,
                                              level_gaze, root_rot, set_arms, sides)
from fitscore_core.synth.timing import smooth_noise

FAULTS = (
    FaultSpec("arms_not_overhead",
              "Arms stop around shoulder height instead of meeting overhead.",
              joints=("WRISTS", "RElbow", "LElbow"), affected=("FOREARMS",)),
    FaultSpec("narrow_feet",
              "Feet barely leave the midline: the jump out is too narrow.",
              joints=("RAnkle", "LAnkle", "RHeel", "LHeel"), affected=("KNEES", "FEET")),
    FaultSpec("bent_knees",
              "Lands in a deep knee bend instead of soft, springy knees.",
              joints=("HIPS", "KNEES"), affected=("ABOVE_FEET",)),
    FaultSpec("bent_arms",
              "Bends the elbows instead of sweeping long, straight arms.",
              joints=("WRISTS",)),
)


def build(ctx: MoveContext) -> Pose:
    seg, tm, sev, rng = ctx.seg, ctx.timing, ctx.sev, ctx.rng
    h, flex_b = ctx.body.height, ctx.body.flexibility
    n = tm.n_frames
    closed = seg.hip_half - rng.uniform(0.0, 0.03)
    wide = rng.uniform(0.17, 0.24) * h
    flight = rng.uniform(0.07, 0.12)
    dip = rng.uniform(0.01, 0.04)
    toe_out = deg(rng.uniform(5.0, 20.0))
    abd_top = deg(rng.uniform(158.0, 168.0) + 8.0 * flex_b)
    elbow0 = deg(rng.uniform(5.0, 20.0))
    sway = smooth_noise(rng, n, tm.fps, 2)
    p = tm.phase
    q = p * tm.per_frame(tm.amplitude)
    air = np.sin(np.pi * p)

    x_good = closed + (wide - closed) * q
    x_feet = closed + (wide - 0.6 * sev["narrow_feet"] * (wide - closed) - closed) * q
    reach = np.sqrt((0.99 * seg.leg) ** 2 - (x_good - seg.hip_half) ** 2)
    pos = np.zeros((n, 3))
    pos[:, 1] = seg.foot_height + reach - (dip + 0.14 * sev["bent_knees"]) * (1.0 - air) + flight * air
    tilt = deg(3.0) * air + deg(8.0) * sev["bent_knees"] * (1.0 - air) + deg(1.0) * sway[:, 0]
    rot = root_rot(tilt)
    world: dict = {}
    ankles = {s: np.stack([s * x_feet, seg.foot_height + flight * air, np.zeros(n)], axis=-1)
              for s in SIDES}
    hips = {s: hip_point(seg, pos, rot, s) for s in SIDES}
    poles = {s: knee_pole(toe_out, 0.0, s) for s in SIDES}
    feet = sides(foot_rot(toe_out, deg(18.0) * air, 1))
    for s, (_, thigh, shank) in ik_both_sides(leg_ik, seg, hips, ankles, poles).items():
        world[SIDE_NAME[s] + "_thigh"], world[SIDE_NAME[s] + "_shank"] = thigh, shank
        world[SIDE_NAME[s] + "_foot"] = feet[s]
    local = {"lumbar": rot_x(deg(1.0) * sway[:, 1])}
    local["neck"], local["head"] = level_gaze(tilt, 0.6)
    abd = deg(8.0) + (abd_top - deg(85.0) * sev["arms_not_overhead"] - deg(8.0)) * q
    elbow = elbow0 + deg(70.0) * sev["bent_arms"] * p
    arms, forearm = sides(arm_rot(deg(8.0) * air, abd, 0.0, 1)), elbow_rot(elbow)
    set_arms(local, arms, forearm)
    return Pose(pos, rot, local, world)


MODEL = ExerciseModel(
    name="jumping_jack",
    description="Jumping jack: feet jump wider than the shoulders as straight arms meet "
                "overhead, then back together; light, springy landings.",
    faults=FAULTS, build=build, rep_seconds=(0.8, 1.3), tempo_ok=(0.6, 3.0), out_fraction=0.5,
    pause_bottom_s=(0.0, 0.08), pause_top_s=(0.0, 0.1), views=(0.0, 0.0, 45.0, -45.0, 20.0),
)
