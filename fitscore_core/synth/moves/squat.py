"""Bodyweight squat: feet planted flat, hips back and down to about parallel, chest up.

    >>> from fitscore_core.synth.moves.squat import MODEL
    >>> MODEL.fault_names[:2]
    ('insufficient_depth', 'knees_caving_in')

The pelvis travels on a line from standing to the bottom position (shins ~33° forward,
thighs at or a little below parallel); each leg is solved by IK from hip to a planted ankle
with the knee tracking over the toes. The trunk leans forward with depth as real squats do.
"""

import numpy as np

from fitscore_core.synth.body import Pose
from fitscore_core.synth.kinematics import rot_x, rot_z
from fitscore_core.synth.motion_model import ExerciseModel, FaultSpec, MoveContext
from fitscore_core.synth.moves.common import (SIDE_NAME, SIDES, ankle_on_toe, arm_rot, big_toe_of,
                                              deg, elbow_rot, foot_rot, hip_point, ik_both_sides,
                                              knee_pole, leg_ik, level_gaze, root_rot, sides,
                                              standing_hip_height)
from fitscore_core.synth.timing import smooth_noise

FAULTS = (
    FaultSpec("insufficient_depth",
              "Stops well above parallel: the hips stay high at the bottom (range lost).",
              joints=("HIPS",), affected=("ABOVE_FEET",)),
    FaultSpec("knees_caving_in",
              "Knees collapse inward (valgus) instead of tracking over the toes.",
              joints=("KNEES",)),
    FaultSpec("heels_lifting",
              "Heels come off the floor at the bottom; weight shifts onto the toes.",
              joints=("RHeel", "LHeel"),
              affected=("RHeel", "LHeel", "RAnkle", "LAnkle", "RSmallToe", "LSmallToe", "KNEES")),
    FaultSpec("excessive_forward_lean",
              "Chest drops toward the knees: the trunk leans far more than the shins.",
              joints=("Neck", "Nose", "RShoulder", "LShoulder"), affected=("UPPER",)),
    FaultSpec("asymmetric_descent",
              "Hips shift and tilt toward one side on the way down (uneven loading).",
              joints=("HIPS",), affected=("ABOVE_FEET",)),
)


def build(ctx: MoveContext) -> Pose:
    seg, tm, sev, rng = ctx.seg, ctx.timing, ctx.sev, ctx.rng
    flex = ctx.body.flexibility
    n = tm.n_frames
    # style: the same draws whatever the faults
    extra = rng.uniform(0.03, 0.12)                  # feet wider than hips (each side)
    toe_out = deg(rng.uniform(8.0, 25.0))
    shin = deg(rng.uniform(28.0, 36.0) + 6.0 * flex)  # shin forward at the bottom
    thigh_below = deg(rng.uniform(-4.0, 6.0) + 10.0 * flex)
    lean_bottom = deg(rng.uniform(28.0, 42.0))
    arm_style = int(rng.integers(2))                 # 0 arms out front, 1 hands at the chest
    asym_side = 1.0 - 2.0 * int(rng.integers(2))
    sway = smooth_noise(rng, n, tm.fps, 4)

    p = tm.phase
    depth = p * tm.per_frame(tm.amplitude) * (1.0 - 0.55 * sev["insufficient_depth"])

    top = np.array([0.0, standing_hip_height(seg, extra), 0.0])
    bottom = np.array([0.0,
                       seg.foot_height + seg.shank * np.cos(shin) - seg.thigh * np.sin(thigh_below),
                       seg.shank * np.sin(shin) - seg.thigh * np.cos(thigh_below)])
    pos = top + depth[:, None] * (bottom - top)
    shift = asym_side * sev["asymmetric_descent"] * p
    pos[:, 0] += 0.14 * shift
    roll = deg(12.0) * shift

    lean = lean_bottom * depth + deg(30.0) * sev["excessive_forward_lean"] * p + deg(1.5) * sway[:, 0]
    rot = root_rot(lean, -roll)
    local = {"lumbar": rot_z(0.8 * roll) @ rot_x(deg(4.0) * depth + deg(1.0) * sway[:, 1])}
    local["neck"], local["head"] = level_gaze(lean, 0.6)
    pose_world = {}

    heel = deg(28.0) * sev["heels_lifting"] * p ** 1.5
    valgus = deg(22.0) * sev["knees_caving_in"] * p
    hips, ankles, poles = {}, {}, {}
    flats, feet = sides(foot_rot(toe_out, 0.0, 1)), sides(foot_rot(toe_out, heel, 1))
    if arm_style == 0:
        arms = sides(arm_rot(deg(12.0) + deg(75.0) * p + 0.9 * lean + deg(2.0) * sway[:, 2],
                             deg(6.0), 0.0, 1))
        forearm = elbow_rot(deg(8.0))
    else:
        arms = sides(arm_rot(deg(28.0) + deg(2.0) * sway[:, 2], deg(22.0), deg(-75.0), 1))
        forearm = elbow_rot(deg(118.0))
    for s in SIDES:
        name = SIDE_NAME[s]
        ankle_flat = np.array([s * (seg.hip_half + extra), seg.foot_height, 0.0])
        toe = big_toe_of(seg, ankle_flat, flats[s], s)
        ankles[s] = ankle_on_toe(seg, toe, feet[s], s)
        hips[s], poles[s] = hip_point(seg, pos, rot, s), knee_pole(toe_out, valgus, s)
        pose_world[name + "_foot"] = feet[s]
        local[name + "_upper_arm"], local[name + "_forearm"] = arms[s], forearm
    for s, (_, thigh, shank) in ik_both_sides(leg_ik, seg, hips, ankles, poles).items():
        pose_world[SIDE_NAME[s] + "_thigh"], pose_world[SIDE_NAME[s] + "_shank"] = thigh, shank
    return Pose(pos, rot, local, pose_world)


MODEL = ExerciseModel(
    name="squat",
    description="Bodyweight squat: hips back and down to parallel, heels down, knees over toes.",
    faults=FAULTS, build=build, rep_seconds=(2.0, 3.4), tempo_ok=(1.4, 6.0), out_fraction=0.55,
    pause_bottom_s=(0.0, 0.4), pause_top_s=(0.3, 1.0), views=(0.0, 45.0, 0.0, 45.0, 90.0),
)
