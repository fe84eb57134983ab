"""Forward lunge, alternating legs: step out, lower the back knee toward the floor, step back.

    >>> from fitscore_core.synth.moves.lunge import MODEL
    >>> MODEL.fault_names
    ('knee_past_toes', 'torso_lean', 'short_step', 'knee_caving_in')

Each rep: the lead foot swings forward and lands flat, the back heel rises onto the ball of
the foot (the back big toe stays put), the pelvis lowers until the back knee is a few cm off
the floor, then everything reverses. The bottom position is solved from the back leg (knee
height, shin nearly flat) and the step length from the front leg (thigh ~ level, shin ~
vertical), so the lunge fits the person's own limb lengths.
"""

import numpy as np

from fitscore_core.synth.body import Pose, trunk
from fitscore_core.synth.kinematics import apply, rot_x
from fitscore_core.synth.motion_model import ExerciseModel, FaultSpec, MoveContext
from fitscore_core.synth.moves.common import (SIDES, SIDE_NAME, ankle_on_toe, arm_ik, arm_rot,
                                              big_toe_of, clamp_to_reach, deg, elbow_rot, foot_rot,
                                              hip_point, ik_both_sides, knee_pole, leg_ik,
                                              level_gaze, root_rot, set_arms, sides,
                                              standing_hip_height)
from fitscore_core.synth.timing import smooth_noise, smoothstep

FAULTS = (
    FaultSpec("knee_past_toes",
              "Front knee drives far past the toes: weight pitches forward onto the front knee.",
              joints=("KNEES",), affected=("ABOVE_FEET",)),
    FaultSpec("torso_lean",
              "Trunk folds forward over the front thigh instead of staying upright.",
              joints=("Neck", "Nose", "RShoulder", "LShoulder"), affected=("UPPER",)),
    FaultSpec("short_step",
              "Step too short: the feet end up close together and the front knee jams forward.",
              joints=("RAnkle", "LAnkle", "RBigToe", "LBigToe"), affected=("ALL",)),
    FaultSpec("knee_caving_in",
              "Front knee collapses inward instead of staying over the second toe.",
              joints=("KNEES",)),
)


def build(ctx: MoveContext) -> Pose:
    seg, tm, sev, rng = ctx.seg, ctx.timing, ctx.sev, ctx.rng
    flex = ctx.body.flexibility
    n = tm.n_frames
    extra = rng.uniform(0.0, 0.06)
    toe_out = deg(rng.uniform(3.0, 12.0))
    step_frac = rng.uniform(0.85, 1.0, tm.n_reps)
    first_lead = 1 - 2 * int(rng.integers(2))
    heel_max = deg(rng.uniform(45.0, 60.0))
    knee_h = rng.uniform(0.06, 0.12) - 0.03 * flex     # back knee above the floor at the bottom
    back_thigh = deg(rng.uniform(0.0, 12.0))           # back thigh forward of vertical
    lean_nat = deg(rng.uniform(0.0, 10.0))
    arm_style = int(rng.integers(2))                   # 0 hands on hips, 1 arms hanging
    sway = smooth_noise(rng, n, tm.fps, 3)

    p = tm.phase
    q_step = smoothstep(p / 0.4)
    q_down = smoothstep((p - 0.3) / 0.7) * tm.per_frame(tm.amplitude)
    lead = np.where(tm.rep % 2 == 0, first_lead, -first_lead)

    # bottom position from the back leg: ball of the foot planted, knee just off the floor
    ankle0 = {s: np.array([s * (seg.hip_half + extra), seg.foot_height, 0.0]) for s in SIDES}
    toe0 = {s: big_toe_of(seg, ankle0[s], foot_rot(toe_out, 0.0, s), s) for s in SIDES}
    ab = ankle_on_toe(seg, toe0[1], foot_rot(toe_out, heel_max, 1), 1)
    z_knee = ab[2] + np.sqrt(seg.shank ** 2 - (knee_h - ab[1]) ** 2)
    z_b = z_knee + seg.thigh * np.sin(back_thigh)
    y_b = knee_h + seg.thigh * np.cos(back_thigh)
    step = tm.per_frame(step_frac) * (z_b + seg.thigh) * (1.0 - 0.35 * sev["short_step"])
    z_b = z_b * (1.0 - 0.25 * sev["short_step"]) + 0.14 * sev["knee_past_toes"]
    y_b = y_b - 0.04 * sev["knee_past_toes"]

    y_stand = standing_hip_height(seg, extra)
    z_land = 0.5 * step
    y_land = np.minimum(y_stand, seg.foot_height + np.sqrt((0.99 * seg.leg) ** 2 - z_land ** 2))
    pos = np.zeros((n, 3))
    pos[:, 2] = z_land * q_step + (z_b - z_land) * q_down
    pos[:, 1] = y_stand + (y_land - y_stand) * q_step + (y_b - y_land) * q_down

    tilt = (lean_nat + deg(28.0) * sev["torso_lean"]) * q_down + deg(1.5) * sway[:, 0]
    rot = root_rot(tilt)
    world, local = {}, {}
    ankles, feet = {}, {}
    heel = heel_max * smoothstep(0.4 * q_step + 0.6 * q_down)
    swing = np.sin(np.pi * q_step)
    fronts, backs = sides(foot_rot(toe_out, -deg(12.0) * swing, 1)), sides(foot_rot(toe_out, heel, 1))
    for s in SIDES:
        front = lead == s
        a_front = np.stack([np.full(n, ankle0[s][0]), seg.foot_height + 0.07 * swing,
                            step * q_step], axis=-1)
        f_front, f_back = fronts[s], backs[s]
        a_back = ankle_on_toe(seg, toe0[s], f_back, s)
        ankles[s] = np.where(front[:, None], a_front, a_back)
        feet[s] = np.where(front[:, None, None], f_front, f_back)
    pos = clamp_to_reach(seg, pos, rot, ankles)
    hips = {s: hip_point(seg, pos, rot, s) for s in SIDES}
    poles = {s: knee_pole(toe_out, np.where(lead == s, deg(30.0) * sev["knee_caving_in"] * q_down,
                                            0.0), s) for s in SIDES}
    for s, (_, thigh, shank) in ik_both_sides(leg_ik, seg, hips, ankles, poles).items():
        world[SIDE_NAME[s] + "_thigh"], world[SIDE_NAME[s] + "_shank"] = thigh, shank
        world[SIDE_NAME[s] + "_foot"] = feet[s]

    local["lumbar"] = rot_x(deg(1.0) * sway[:, 1])
    local["neck"], local["head"] = level_gaze(tilt, 0.7)
    pose = Pose(pos, rot, local, world)
    if arm_style == 0:
        tr = trunk(seg, pose)
        shoulders = {-1: tr.r_shoulder, 1: tr.l_shoulder}
        hands = {s: pos + apply(rot, np.array([s * (seg.hip_half + 0.07), 0.09, -0.01]))
                 for s in SIDES}
        poles = {s: np.array([s * 1.0, 0.0, -0.5]) for s in SIDES}
        for s, (_, upper, lower) in ik_both_sides(arm_ik, seg, shoulders, hands, poles).items():
            world[SIDE_NAME[s] + "_upper_arm"], world[SIDE_NAME[s] + "_forearm"] = upper, lower
    else:
        arms, forearm = sides(arm_rot(deg(4.0) * sway[:, 2] + 0.8 * tilt, deg(8.0), 0.0, 1)), \
            elbow_rot(deg(12.0))
        set_arms(local, arms, forearm)
    return Pose(pos, rot, local, world)


MODEL = ExerciseModel(
    name="lunge",
    description="Forward lunge, alternating legs: long step, back knee toward the floor, "
                "trunk upright, front knee over the foot.",
    faults=FAULTS, build=build, rep_seconds=(2.2, 3.6), tempo_ok=(1.6, 6.0), out_fraction=0.5,
    pause_bottom_s=(0.0, 0.4), pause_top_s=(0.3, 1.0), views=(90.0, -90.0, 45.0, -45.0, 60.0),
)
