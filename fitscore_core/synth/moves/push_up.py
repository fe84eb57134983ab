"""Push-up: prone plank on hands and toes, chest lowered to a few cm off the floor and back.

    >>> from fitscore_core.synth.moves.push_up import MODEL
    >>> MODEL.lying, MODEL.fault_names[0]
    (True, 'sagging_hips')

The body is a rigid plank pivoting about the toes: the shoulder height is the driver, the
plank angle follows from it, and the arms are solved by IK to hands fixed on the floor, the
elbows pointing back and out at the person's flare angle. Sagging or piked hips bend the
lower spine about the mid-spine point, so the thorax, head and arms stay where a good plank
has them, and the legs swing about the hips until the toes touch the floor again.
"""

import numpy as np

from fitscore_core.synth.body import Pose, trunk
from fitscore_core.synth.kinematics import apply, euler, identity, rot_x, rot_z
from fitscore_core.synth.motion_model import ExerciseModel, FaultSpec, MoveContext
from fitscore_core.synth.moves.common import SIDE_NAME, SIDES, arm_ik, deg, ik_both_sides, sides
from fitscore_core.synth.timing import smooth_noise

FAULTS = (
    FaultSpec("sagging_hips",
              "Hips sag toward the floor: the lower back arches instead of a straight plank.",
              joints=("HIPS",), affected=("LEGS",)),
    FaultSpec("piked_hips",
              "Hips pike up: the body bends at the waist instead of a straight plank.",
              joints=("HIPS",), affected=("LEGS",)),
    FaultSpec("partial_range",
              "Stops half way: the chest stays far from the floor at the bottom.",
              joints=("Neck", "RShoulder", "LShoulder", "Nose"),
              affected=("ALL",)),
    FaultSpec("flared_elbows",
              "Elbows flare out to the sides (T shape) instead of ~45° from the body.",
              joints=("RElbow", "LElbow")),
    FaultSpec("head_dropping",
              "Head hangs toward the floor instead of staying in line with the spine.",
              joints=("Nose", "REye", "LEye"), affected=("HEAD",)),
)


def build(ctx: MoveContext) -> Pose:
    seg, tm, sev, rng = ctx.seg, ctx.timing, ctx.sev, ctx.rng
    flex, h = ctx.body.flexibility, ctx.body.height
    n = tm.n_frames
    hand_extra = rng.uniform(0.04, 0.14)        # hands wider than the shoulders (each side)
    hand_fwd = rng.uniform(-0.02, 0.06)         # hands ahead of the shoulders at the top
    feet_gap = rng.uniform(0.0, 1.0)            # 0 feet together .. 1 hip width
    flare = deg(rng.uniform(30.0, 50.0))
    head_ext = deg(rng.uniform(5.0, 20.0))
    chest_gap = rng.uniform(0.05, 0.10) - 0.03 * flex
    sway = smooth_noise(rng, n, tm.fps, 2)
    p = tm.phase

    # legs: abduction so the feet are feet_gap of hip width apart
    foot_x = seg.hip_half * feet_gap + 0.04 * (1.0 - feet_gap)
    leg_abd = np.arctan2(foot_x - seg.hip_half, seg.hip_height)
    toe_vec = rot_z(leg_abd) @ np.array([-seg.big_toe_in, -(seg.hip_height), seg.big_toe_fwd])
    ty, tz = toe_vec[1], toe_vec[2]                 # MidHip -> toe midpoint, body frame (y, z)
    wy = seg.lumbar + seg.thoracic - seg.shoulder_drop - ty
    wz = -tz                                        # toe midpoint -> shoulder midpoint
    big_r, phi = np.hypot(wy, tz), np.arctan2(tz, wy)

    wrist_h = 0.026 * h
    h_top = wrist_h + np.sqrt((0.97 * seg.arm) ** 2 - hand_extra ** 2 - hand_fwd ** 2)
    h_bot = chest_gap + 0.065 * h
    h_bot = h_bot + 0.6 * sev["partial_range"] * (h_top - h_bot)
    h_sh = h_top - (h_top - h_bot) * p * tm.per_frame(tm.amplitude)
    theta = np.arcsin(h_sh / big_r) - phi           # plank angle above the floor
    a = np.pi / 2 - theta
    theta_top = np.arcsin(h_top / big_r) - phi
    a_top = np.pi / 2 - theta_top
    c_z = -(np.sin(a_top) * -ty + np.cos(a_top) * -tz)   # MidHip at z = 0 at the top
    toe_mid = np.array([0.0, 0.0, c_z])
    rt = rot_x(a)
    mid_hip0 = toe_mid + apply(rt, np.array([0.0, -ty, -tz]))

    # sag (+) or pike (-): bend the lumbar segment about the mid-spine point
    sigma = (deg(22.0) * sev["sagging_hips"] - deg(30.0) * sev["piked_hips"]) * (0.7 + 0.3 * p) \
        + deg(1.0) * sway[:, 0]
    spine_mid = mid_hip0 + apply(rt, np.array([0.0, seg.lumbar, 0.0]))
    r_lumbar = rt @ rot_x(-sigma)
    mid_hip = spine_mid - apply(r_lumbar, np.array([0.0, seg.lumbar, 0.0]))
    # legs pitch about the hips until the toes touch the floor: Ly cos b + f sin b = hip height
    leg_y, leg_z = -ty, tz
    psi, big_rt = np.arctan2(leg_z, leg_y), np.hypot(leg_y, leg_z)
    b = psi + np.arccos(np.clip(mid_hip[:, 1] / big_rt, -1.0, 1.0))
    world = {}
    thighs = sides(euler(("x", b), ("z", leg_abd)))        # = rot_x(b) @ rot_z(s * leg_abd)
    for s in SIDES:
        world[SIDE_NAME[s] + "_thigh"] = thighs[s]

    local = {"thorax": rot_x(sigma), "lumbar": identity(n)}
    drop = deg(60.0) * sev["head_dropping"] * (0.5 + 0.5 * p)
    local["neck"] = rot_x(-0.5 * head_ext + 0.6 * drop + deg(3.0) * sway[:, 1])
    local["head"] = rot_x(-0.5 * head_ext + 0.4 * drop)
    pose = Pose(mid_hip, r_lumbar, local, world)

    tr = trunk(seg, pose)
    sh_top_z = c_z + np.sin(a_top) * wy + np.cos(a_top) * wz
    flare_t = flare + (deg(85.0) - flare) * sev["flared_elbows"]
    shoulders = {-1: tr.r_shoulder, 1: tr.l_shoulder}
    wrists = {s: np.array([s * (seg.shoulder_half + hand_extra), wrist_h, sh_top_z + hand_fwd])
              for s in SIDES}
    poles = {s: np.stack([s * np.sin(flare_t), np.full(n, 0.8), -np.cos(flare_t)], axis=-1)
             for s in SIDES}
    for s, (_, upper, lower) in ik_both_sides(arm_ik, seg, shoulders, wrists, poles).items():
        world[SIDE_NAME[s] + "_upper_arm"], world[SIDE_NAME[s] + "_forearm"] = upper, lower
    return Pose(mid_hip, r_lumbar, local, world)


MODEL = ExerciseModel(
    name="push_up",
    description="Push-up from the toes: straight plank, chest to a fist above the floor, "
                "elbows ~45° from the body.",
    faults=FAULTS, build=build, rep_seconds=(1.4, 2.8), tempo_ok=(1.0, 5.0), out_fraction=0.5,
    pause_bottom_s=(0.0, 0.3), pause_top_s=(0.1, 0.8), lying=True,
    views=(90.0, -90.0, 60.0, -60.0, 45.0, -45.0),
    exclusive=(("sagging_hips", "piked_hips"),),
)
