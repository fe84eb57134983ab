"""Standing dumbbell shoulder press: from the rack at shoulder height to arms locked overhead.

    >>> from fitscore_core.synth.moves.shoulder_press import MODEL
    >>> MODEL.fault_names
    ('arching_back', 'partial_lockout', 'uneven_arms', 'pressing_forward')

Start (phase 0): upper arms out to the sides and a little forward (scapular plane), elbows
bent ~95°, forearms vertical, hands beside the ears. Turning point (phase 1): arms straight
overhead. The trunk stays stacked over planted feet.
"""

from fitscore_core.synth.body import Pose
from fitscore_core.synth.kinematics import rot_x
from fitscore_core.synth.motion_model import ExerciseModel, FaultSpec, MoveContext
from fitscore_core.synth.moves.common import (SIDE_NAME, SIDES, arm_rot, deg, elbow_rot, level_gaze,
                                              planted_legs, root_rot, stance)
from fitscore_core.synth.timing import smooth_noise

FAULTS = (
    FaultSpec("arching_back",
              "Leans back and arches the lower back to get the weight overhead.",
              joints=("Neck", "Nose", "RShoulder", "LShoulder"), affected=("UPPER",)),
    FaultSpec("partial_lockout",
              "Stops short of straight arms overhead.",
              joints=("WRISTS", "RElbow", "LElbow"), affected=("FOREARMS",)),
    FaultSpec("uneven_arms",
              "One arm lags behind and finishes lower than the other.",
              joints=("WRISTS", "RElbow", "LElbow"), affected=("FOREARMS",)),
    FaultSpec("pressing_forward",
              "Presses out in front of the face instead of straight up over the shoulders.",
              joints=("WRISTS", "RElbow", "LElbow"), affected=("FOREARMS",)),
)


def build(ctx: MoveContext) -> Pose:
    seg, tm, sev, rng = ctx.seg, ctx.timing, ctx.sev, ctx.rng
    flex_b = ctx.body.flexibility
    n = tm.n_frames
    pos, ankles, toe_out = stance(seg, rng, n)
    abd_rack = deg(rng.uniform(78.0, 90.0))
    plane = deg(rng.uniform(12.0, 28.0))          # forward of the frontal plane at the rack
    elbow_rack = deg(rng.uniform(88.0, 102.0))
    abd_top = deg(rng.uniform(158.0, 166.0) + 10.0 * flex_b)
    elbow_top = deg(rng.uniform(3.0, 12.0))
    lean = deg(rng.uniform(-3.0, 3.0))
    lag_side = 1 - 2 * int(rng.integers(2))
    sway = smooth_noise(rng, n, tm.fps, 3)
    p = tm.phase
    amp = tm.per_frame(tm.amplitude)

    tilt = lean - deg(22.0) * sev["arching_back"] * p + deg(1.0) * sway[:, 0]
    rot = root_rot(tilt)
    world: dict = {}
    planted_legs(seg, pos, rot, ankles, toe_out, world)
    arch = deg(10.0) * sev["arching_back"] * p
    local = {"lumbar": rot_x(-arch + deg(1.0) * sway[:, 1])}
    local["neck"], local["head"] = level_gaze(tilt - arch, 0.8)
    u = sev["uneven_arms"]
    for s in SIDES:
        q = p * amp
        if s == lag_side:
            q = q ** (1.0 + 2.0 * u) * (1.0 - 0.4 * u)
        abd = abd_rack + (abd_top - deg(30.0) * sev["partial_lockout"] - abd_rack) * q
        elbow = elbow_rack + (elbow_top + deg(55.0) * sev["partial_lockout"] - elbow_rack) * q
        flex = plane * (1.0 - 0.7 * q) + deg(35.0) * sev["pressing_forward"] * p + deg(1.5) * sway[:, 2]
        local[SIDE_NAME[s] + "_upper_arm"] = arm_rot(flex, abd, deg(90.0), s)
        local[SIDE_NAME[s] + "_forearm"] = elbow_rot(elbow)
    return Pose(pos, rot, local, world)


MODEL = ExerciseModel(
    name="shoulder_press",
    description="Standing dumbbell press: from shoulder height to straight arms over the "
                "shoulders, trunk stacked, no arching.",
    faults=FAULTS, build=build, rep_seconds=(2.0, 3.2), tempo_ok=(1.4, 6.0), out_fraction=0.45,
    pause_bottom_s=(0.0, 0.3), pause_top_s=(0.2, 0.8), views=(0.0, 45.0, -45.0, 0.0, 90.0),
)
