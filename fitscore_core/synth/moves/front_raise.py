"""Standing dumbbell front raise: straight arms lifted forward to shoulder height and lowered.

    >>> from fitscore_core.synth.moves.front_raise import MODEL
    >>> MODEL.fault_names
    ('torso_swing', 'arms_too_high', 'bent_elbows', 'shrugging')
"""

from fitscore_core.synth.body import Pose
from fitscore_core.synth.kinematics import rot_x
from fitscore_core.synth.motion_model import ExerciseModel, FaultSpec, MoveContext
from fitscore_core.synth.moves.common import (arm_rot, clavicle_rot, deg, elbow_rot, level_gaze,
                                              planted_legs, root_rot, set_arms, sides, stance)
from fitscore_core.synth.timing import smooth_noise

FAULTS = (
    FaultSpec("torso_swing",
              "Leans back and uses momentum to swing the weights up.",
              joints=("Neck", "Nose", "RShoulder", "LShoulder"), affected=("UPPER",)),
    FaultSpec("arms_too_high",
              "Raises the arms well above shoulder height.",
              joints=("WRISTS", "RElbow", "LElbow"), affected=("FOREARMS",)),
    FaultSpec("bent_elbows",
              "Bends the elbows, turning the raise into a curl-and-lift.",
              joints=("WRISTS",)),
    FaultSpec("shrugging",
              "Shrugs the shoulders up toward the ears while raising.",
              joints=("RShoulder", "LShoulder"), affected=("ARMS",)),
)


def build(ctx: MoveContext) -> Pose:
    seg, tm, sev, rng = ctx.seg, ctx.timing, ctx.sev, ctx.rng
    n = tm.n_frames
    pos, ankles, toe_out = stance(seg, rng, n)
    flex0 = deg(rng.uniform(3.0, 10.0))
    flex_top = deg(rng.uniform(82.0, 95.0))
    abd = deg(rng.uniform(4.0, 12.0))
    elbow0 = deg(rng.uniform(6.0, 15.0))
    lean = deg(rng.uniform(0.0, 4.0))
    sway = smooth_noise(rng, n, tm.fps, 3)
    p = tm.phase
    q = p * tm.per_frame(tm.amplitude)

    tilt = lean - deg(16.0) * sev["torso_swing"] * p + deg(1.0) * sway[:, 0]
    rot = root_rot(tilt)
    world: dict = {}
    planted_legs(seg, pos, rot, ankles, toe_out, world)
    local = {"lumbar": rot_x(deg(1.0) * sway[:, 1])}
    local["neck"], local["head"] = level_gaze(tilt, 0.6)
    flex = flex0 + (flex_top - flex0) * q + deg(50.0) * sev["arms_too_high"] * p + deg(1.5) * sway[:, 2]
    elbow = elbow0 + deg(65.0) * sev["bent_elbows"] * p
    shrug = deg(16.0) * sev["shrugging"] * p
    clavicles, arms = sides(clavicle_rot(shrug, 0.0, 1)), sides(arm_rot(flex, abd, deg(-15.0), 1))
    forearm = elbow_rot(elbow)
    set_arms(local, arms, forearm, clavicles)
    return Pose(pos, rot, local, world)


MODEL = ExerciseModel(
    name="front_raise",
    description="Standing dumbbell front raise: nearly straight arms to shoulder height, "
                "trunk still, shoulders down.",
    faults=FAULTS, build=build, rep_seconds=(2.2, 3.5), tempo_ok=(1.6, 6.0), out_fraction=0.45,
    pause_bottom_s=(0.0, 0.4), pause_top_s=(0.2, 0.8), views=(90.0, -90.0, 45.0, -45.0, 60.0),
)
