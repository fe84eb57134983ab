"""Standing dumbbell biceps curl, both arms together: elbows pinned at the sides.

    >>> from fitscore_core.synth.moves.bicep_curl import MODEL
    >>> MODEL.fault_names
    ('elbow_drift_forward', 'torso_swing', 'partial_range', 'elbows_flaring')

Only the elbows should move: from nearly straight to ~140° of flexion and back, the upper
arms hanging still by the trunk, the trunk quiet over planted feet.
"""

from fitscore_core.synth.body import Pose
from fitscore_core.synth.kinematics import rot_x
from fitscore_core.synth.motion_model import ExerciseModel, FaultSpec, MoveContext
from fitscore_core.synth.moves.common import (arm_rot, deg, elbow_rot, level_gaze, planted_legs,
                                              root_rot, set_arms, sides, stance)
from fitscore_core.synth.timing import smooth_noise

FAULTS = (
    FaultSpec("elbow_drift_forward",
              "Elbows travel forward as the weight comes up: the shoulder takes over the lift.",
              joints=("RElbow", "LElbow"), affected=("FOREARMS",)),
    FaultSpec("torso_swing",
              "Leans back and swings the trunk to heave the weight up.",
              joints=("Neck", "Nose", "RShoulder", "LShoulder"), affected=("UPPER",)),
    FaultSpec("partial_range",
              "Neither straightens the arm at the bottom nor curls all the way up.",
              joints=("WRISTS",)),
    FaultSpec("elbows_flaring",
              "Elbows drift out away from the body during the curl.",
              joints=("RElbow", "LElbow"), affected=("FOREARMS",)),
)


def build(ctx: MoveContext) -> Pose:
    seg, tm, sev, rng = ctx.seg, ctx.timing, ctx.sev, ctx.rng
    n = tm.n_frames
    pos, ankles, toe_out = stance(seg, rng, n)
    lean = deg(rng.uniform(0.0, 5.0))
    abd0 = deg(rng.uniform(5.0, 12.0))
    flex0 = deg(rng.uniform(-6.0, 4.0))
    top = deg(rng.uniform(132.0, 148.0))
    bottom = deg(rng.uniform(5.0, 15.0))
    sway = smooth_noise(rng, n, tm.fps, 3)
    p = tm.phase
    reach = p * tm.per_frame(tm.amplitude)

    tilt = lean - deg(18.0) * sev["torso_swing"] * p + deg(1.0) * sway[:, 0]
    rot = root_rot(tilt)
    world: dict = {}
    planted_legs(seg, pos, rot, ankles, toe_out, world)
    local = {"lumbar": rot_x(deg(1.0) * sway[:, 1])}
    local["neck"], local["head"] = level_gaze(tilt, 0.6)
    top_t = top - deg(55.0) * sev["partial_range"]
    bottom_t = bottom + deg(25.0) * sev["partial_range"]
    elbow = bottom_t + (top_t - bottom_t) * reach
    flex = flex0 + deg(6.0) * reach + deg(42.0) * sev["elbow_drift_forward"] * p + deg(1.5) * sway[:, 2]
    abd = abd0 + deg(30.0) * sev["elbows_flaring"] * p
    arms, forearm = sides(arm_rot(flex, abd, 0.0, 1)), elbow_rot(elbow)
    set_arms(local, arms, forearm)
    return Pose(pos, rot, local, world)


MODEL = ExerciseModel(
    name="bicep_curl",
    description="Standing dumbbell curl: elbows still at the sides, full extension to full flexion.",
    faults=FAULTS, build=build, rep_seconds=(2.0, 3.4), tempo_ok=(1.4, 6.0), out_fraction=0.42,
    pause_bottom_s=(0.0, 0.4), pause_top_s=(0.2, 0.8), views=(90.0, -90.0, 45.0, -45.0, 0.0),
)
