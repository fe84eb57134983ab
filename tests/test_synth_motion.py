"""Kinematic exercise synthesizer: body, faults, rubric, views, noise and data sets."""

import os
from dataclasses import fields

import numpy as np
import pytest

from fitscore_core.errors import FitScoreError
from fitscore_core.pose.skeletons import BODY_25
from fitscore_core.synth import dataset as dataset_module
from fitscore_core.synth.body import (
    HEIGHT_RANGE,
    SCALE_RANGE,
    BodyShape,
    Pose,
    forward_kinematics,
    random_body,
)
from fitscore_core.synth.camera import Camera
from fitscore_core.synth.dataset import (
    FAULT_COLUMNS,
    SynthDataset,
    generate_dataset,
    load_dataset,
    save_dataset,
    subject_body,
)
from fitscore_core.synth.exercises import (
    EXERCISES,
    FAULT_AFFECTED,
    FAULT_JOINTS,
    ClipSpec,
    generate_motion,
)
from fitscore_core.synth.kinematics import compose, euler, rot_x, rot_y, rot_z, two_link
from fitscore_core.synth.moves.common import arm_rot, clavicle_rot, foot_rot, sides
from fitscore_core.synth.noise import (
    NoiseParams,
    apply_noise,
    body_height_px,
    confidences,
    drop_joints,
    jitter,
    swap_left_right,
)
from fitscore_core.synth.rubric import FAULT_WEIGHTS, score_motion, score_reps
from fitscore_core.synth.views import (
    camera_axes,
    default_yaw,
    fit_camera,
    project_keypoints,
    sample_camera,
)

J = {n: i for i, n in enumerate(BODY_25.joints)}
REPS = 3
MARGIN_M = 0.03  # a fault at severity 1 moves its joints at least this much


def motion(exercise, faults=None, reps=REPS, seed=0, **kw):
    return generate_motion(ClipSpec(exercise, faults or {}, reps=reps, seed=seed, **kw))


def max_shift(a, b):
    """(25,) largest displacement of each joint between two clips."""
    return np.linalg.norm(a.joints3d - b.joints3d, axis=-1).max(axis=0)


@pytest.fixture(scope="module")
def good_clips():
    return {ex: motion(ex, seed=7) for ex in EXERCISES}


# ---------------------------------------------------------------- body and FK

RIGID_BONES = {  # joint pairs on one rigid segment -> Segments attribute (None: just constant)
    ("RShoulder", "RElbow"): "upper_arm", ("LShoulder", "LElbow"): "upper_arm",
    ("RElbow", "RWrist"): "forearm", ("LElbow", "LWrist"): "forearm",
    ("RHip", "RKnee"): "thigh", ("LHip", "LKnee"): "thigh",
    ("RKnee", "RAnkle"): "shank", ("LKnee", "LAnkle"): "shank",
    ("RHip", "LHip"): None, ("RAnkle", "RHeel"): None, ("LAnkle", "LBigToe"): None,
    ("RBigToe", "RSmallToe"): None, ("Neck", "RShoulder"): None, ("Neck", "LShoulder"): None,
    ("Nose", "REye"): None, ("LEye", "LEar"): None, ("REar", "LEar"): None,
}


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_bone_lengths_constant_and_equal_to_body(exercise, good_clips):
    m = good_clips[exercise]
    seg = m.body.segments
    for (a, b), attr in RIGID_BONES.items():
        length = np.linalg.norm(m.joints3d[:, J[a]] - m.joints3d[:, J[b]], axis=-1)
        assert np.ptp(length) < 1e-9, (a, b)
        if attr is not None:
            assert length[0] == pytest.approx(getattr(seg, attr), abs=1e-9)
    assert np.allclose(np.linalg.norm(m.joints3d[:, J["RHip"]] - m.joints3d[:, J["LHip"]], axis=-1),
                       2 * seg.hip_half)
    spine = np.linalg.norm(m.joints3d[:, J["Neck"]] - m.joints3d[:, J["MidHip"]], axis=-1)
    assert np.all(spine <= seg.lumbar + seg.thoracic + 1e-9)


def test_random_bodies_within_bounds_and_varied():
    rng = np.random.default_rng(0)
    bodies = [random_body(rng) for _ in range(300)]
    heights = np.array([b.height for b in bodies])
    assert heights.min() >= HEIGHT_RANGE[0] and heights.max() <= HEIGHT_RANGE[1]
    assert heights.std() > 0.05
    for f in ("arm_scale", "leg_scale", "shoulder_scale", "hip_scale"):
        v = np.array([getattr(b, f) for b in bodies])
        assert SCALE_RANGE[0] <= v.min() and v.max() <= SCALE_RANGE[1] and v.std() > 0.01
    flex = np.array([b.flexibility for b in bodies])
    assert 0 <= flex.min() and flex.max() <= 1 and flex.std() > 0.1


def test_standing_pose_matches_height_and_proportions():
    for body in (BodyShape(height=1.52, leg_scale=1.1), BodyShape(height=1.93, leg_scale=0.9)):
        j = forward_kinematics(body, Pose.standing(body, 1))[0]
        seg = body.segments
        crown = j[J["Nose"], 1] - seg.nose[1] + seg.head_top
        assert crown == pytest.approx(body.height, abs=1e-9)   # height is the standing height
        assert j[J["MidHip"], 1] == pytest.approx(seg.hip_height)
        assert j[[J["LHeel"], J["LBigToe"], J["RSmallToe"]], 1] == pytest.approx(0.0, abs=1e-12)
        assert j[J["LShoulder"], 0] > 0 > j[J["RShoulder"], 0]          # x = subject's left
        assert j[J["Nose"], 2] > j[J["LEar"], 2]                         # facing +z
    long_legs = BodyShape(leg_scale=1.1).segments
    assert long_legs.thigh > BodyShape().segments.thigh > BodyShape(leg_scale=0.9).segments.thigh


# ---------------------------------------------------------------- faults

CASES = [(ex, f) for ex, m in EXERCISES.items() for f in m.fault_names]


@pytest.mark.parametrize("exercise,fault", CASES)
def test_fault_moves_only_its_joints(exercise, fault, good_clips):
    good = good_clips[exercise]
    bad = motion(exercise, {fault: 1.0}, seed=7)
    shift = max_shift(good, bad)
    moved = [J[j] for j in FAULT_JOINTS[exercise][fault]]
    assert shift[moved].max() > MARGIN_M, f"{fault} barely moves {FAULT_JOINTS[exercise][fault]}"
    still = [i for i, n in enumerate(BODY_25.joints) if n not in FAULT_AFFECTED[exercise][fault]]
    assert np.allclose(good.joints3d[:, still], bad.joints3d[:, still], rtol=0, atol=1e-9), \
        [BODY_25.joints[i] for i in still if shift[i] > 1e-9]
    assert bad.rep_ranges == good.rep_ranges                 # a fault never changes the timing


@pytest.mark.parametrize("exercise,fault", CASES)
def test_severity_zero_is_the_good_clip_and_effect_grows(exercise, fault, good_clips):
    good = good_clips[exercise]
    assert np.array_equal(motion(exercise, {fault: 0.0}, seed=7).joints3d, good.joints3d)
    moved = [J[j] for j in FAULT_JOINTS[exercise][fault]]
    effect = [max_shift(good, motion(exercise, {fault: s}, seed=7))[moved].max()
              for s in (0.25, 0.5, 1.0)]
    assert 0 < effect[0] < effect[1] < effect[2]


def test_fault_on_some_reps_only():
    good = motion("squat", reps=3, seed=3)
    bad = motion("squat", {"knees_caving_in": (0.0, 0.9, 0.0)}, reps=3, seed=3)
    assert [r["knees_caving_in"] for r in bad.rep_faults] == [0.0, 0.9, 0.0]
    assert bad.faults["knees_caving_in"] == pytest.approx(0.3)
    knee_shift = np.linalg.norm(bad.joints3d[:, J["RKnee"]] - good.joints3d[:, J["RKnee"]], axis=-1)
    (s0, e0), (s1, e1), (s2, e2) = bad.rep_ranges
    assert knee_shift[s1:e1].max() > MARGIN_M
    slack = int(0.3 * bad.fps)                 # severity blends between reps over ~0.3 s
    assert knee_shift[: e0 - slack].max() == 0.0
    assert knee_shift[s2 + slack:].max() == 0.0


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_timing_and_feet(exercise, good_clips):
    m = good_clips[exercise]
    assert len(m.rep_ranges) == REPS
    starts = [s for s, _ in m.rep_ranges]
    assert starts == sorted(starts) and all(0 <= s < e <= m.n_frames for s, e in m.rep_ranges)
    feet = m.joints3d[:, [J[n] for n in ("LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe",
                                          "RHeel")], 1]
    assert feet.min() > -1e-6                                  # nobody sinks into the floor
    if exercise != "jumping_jack":                             # feet stay on the floor
        assert np.all(feet.min(axis=1) < 0.01)


def test_exercises_look_like_the_exercise(good_clips):
    sq = good_clips["squat"].joints3d
    heels = sq[:, [J["LHeel"], J["RHeel"]], 1]
    assert heels.max() < 1e-6                                  # heels stay down in a good squat
    hip_drop = sq[0, J["MidHip"], 1] - sq[:, J["MidHip"], 1].min()
    assert hip_drop > 0.35                                     # a real squat, not a knee bend
    pu = good_clips["push_up"].joints3d
    trunk = pu[:, J["Neck"]] - pu[:, J["MidHip"]]
    assert np.all(np.abs(trunk[:, 1]) < 0.5 * np.linalg.norm(trunk, axis=1))   # lying, not standing
    assert pu[:, [J["LWrist"], J["RWrist"]], 1].max() < 0.06   # hands on the floor
    assert np.ptp(pu[:, J["Neck"], 1]) > 0.25                  # chest travels to the floor
    curl = good_clips["bicep_curl"].joints3d
    rise = curl[:, J["RWrist"], 1] - curl[:, J["RElbow"], 1]
    assert rise.min() < -0.2 and rise.max() > 0.05             # hand from below to above elbow
    press = good_clips["shoulder_press"].joints3d
    assert (press[:, J["LWrist"], 1] - press[:, J["Nose"], 1]).max() > 0.3   # arms overhead
    jj = good_clips["jumping_jack"].joints3d
    assert np.ptp(jj[:, J["LAnkle"], 0] - jj[:, J["RAnkle"], 0]) > 0.3        # feet jump apart
    lunge = good_clips["lunge"].joints3d
    assert np.ptp(lunge[:, J["LAnkle"], 2] - lunge[:, J["RAnkle"], 2]) > 0.5  # a real step


# ---------------------------------------------------------------- rubric

def test_every_fault_has_a_weight_and_description():
    for ex, model in EXERCISES.items():
        assert set(FAULT_WEIGHTS[ex]) == set(model.fault_names)
        assert len(model.faults) >= 3 and all(f.description for f in model.faults)
        assert all(set(f.joints) <= set(f.affected) for f in model.faults)


def test_rubric_orders_clips_by_quality():
    good = score_motion(motion("push_up", seed=2))
    mild = score_motion(motion("push_up", {"sagging_hips": 0.3}, seed=2))
    bad = score_motion(motion("push_up", {"sagging_hips": 0.9}, seed=2))
    worse = score_motion(motion("push_up", {"sagging_hips": 0.9, "flared_elbows": 1.0}, seed=2))
    assert 100 >= good.score > mild.score > bad.score > worse.score >= 0
    assert len(bad.reps) == REPS and bad.rep_scores == tuple(r.score for r in bad.reps)
    assert "sagging hips" in bad.explain()


def test_correct_clips_score_high_nineties_not_always_100():
    scores = [score_motion(motion(ex, seed=s)).score for ex in EXERCISES for s in range(3)]
    assert min(scores) > 92 and np.mean(scores) > 96
    assert len(set(np.round(scores, 3))) > 5                  # a continuous target


def test_rubric_per_rep_and_tempo():
    m = motion("squat", {"insufficient_depth": (0.0, 1.0, 0.0)}, reps=3, seed=1)
    s = score_motion(m)
    assert s.rep_scores[1] < min(s.rep_scores[0], s.rep_scores[2]) - 25
    assert s.score == pytest.approx(np.mean(s.rep_scores))
    faults = [{"knees_caving_in": 0.0}] * 2
    calm = score_reps("squat", faults, [2.5, 2.5], [1.0, 1.0])
    rushed = score_reps("squat", faults, [0.8, 0.8], [1.0, 1.0])
    assert calm.score == 100.0 and rushed.score < 95
    worst = score_reps("squat", [dict.fromkeys(EXERCISES["squat"].fault_names, 1.0)], [0.3], [0.5])
    assert worst.score == 0.0


def test_rubric_scores_only_what_the_camera_view_can_show():
    caving = [{"knees_caving_in": 1.0, "insufficient_depth": 0.0}]
    front, side, diagonal, anywhere = (score_reps("squat", caving, [2.5], [1.0], view).score
                                       for view in ("front", "side", "diagonal", "unknown"))
    assert side == 100.0                       # sideways knees: along a side camera's axis
    assert front == diagonal == anywhere == 100.0 - FAULT_WEIGHTS["squat"]["knees_caving_in"]
    shallow = [{"insufficient_depth": 1.0}]
    assert score_reps("squat", shallow, [2.5], [1.0], "front").score == 100.0
    assert score_reps("squat", shallow, [2.5], [1.0], "side").score < 70


def test_synthetic_score_labels_follow_the_clip_view():
    from fitscore_core.pose.view import view_of_yaw
    from fitscore_core.synth.dataset import RealWorld, clip_scene
    from fitscore_core.synth.exercises import UNKNOWN
    seen = 0
    for i in range(40):
        scene = clip_scene(7, i, ["squat", "push_up"], 5, RealWorld())
        if scene.exercise == UNKNOWN:
            continue
        view = view_of_yaw(scene.camera.yaw_deg)
        assert scene.labels["score"] == pytest.approx(score_motion(scene.motion, view).score)
        seen += score_motion(scene.motion).score != scene.labels["score"]
    assert seen > 0                             # some clip had a fault its view hides


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs,words", [
    (dict(exercise="burpee"), ["unknown exercise 'burpee'", "squat", "jumping_jack"]),
    (dict(exercise="squat", faults={"rounded_back": 0.5}), ["unknown fault 'rounded_back'",
                                                            "knees_caving_in"]),
    (dict(exercise="squat", faults={"heels_lifting": 1.5}), ["between 0 and 1", "heels_lifting"]),
    (dict(exercise="squat", faults={"heels_lifting": -0.1}), ["between 0 and 1"]),
    (dict(exercise="squat", faults={"heels_lifting": [0.5, 0.5]}, reps=3), ["list of 3"]),
    (dict(exercise="squat", reps=0), ["reps", "1 to 20"]),
    (dict(exercise="squat", reps=21), ["reps", "1 to 20"]),
    (dict(exercise="squat", reps=2.5), ["whole number"]),
    (dict(exercise="squat", fps=0), ["fps must be a positive number"]),
    (dict(exercise="squat", fps=-30), ["fps must be a positive number"]),
    (dict(exercise="squat", rep_seconds=0.0), ["rep_seconds"]),
    (dict(exercise="squat", seed=-1), ["seed"]),
    (dict(exercise="push_up", faults={"sagging_hips": 0.5, "piked_hips": 0.5}), ["contradict"]),
])
def test_bad_specs_raise_clear_errors(kwargs, words):
    with pytest.raises(FitScoreError) as err:
        ClipSpec(**kwargs)
    for w in words:
        assert w in str(err.value)


def test_bad_bodies_and_dataset_arguments():
    with pytest.raises(FitScoreError, match="height must be between 1.5 and 1.95"):
        BodyShape(height=2.3)
    with pytest.raises(FitScoreError, match="arm_scale"):
        BodyShape(arm_scale=1.3)
    with pytest.raises(FitScoreError, match="number of clips"):
        generate_dataset(0, seed=0)
    with pytest.raises(FitScoreError, match="unknown exercises"):
        generate_dataset(2, seed=0, exercises=["yoga"])
    with pytest.raises(FitScoreError, match="unknown fault"):
        score_reps("squat", [{"flared_elbows": 0.5}], [2.0], [1.0])
    with pytest.raises(FitScoreError, match="unknown exercise"):
        default_yaw("burpee")


# ---------------------------------------------------------------- views

def test_front_and_side_views_swap_width_and_depth():
    body = BodyShape()
    j = forward_kinematics(body, Pose.standing(body, 1))
    front = Camera(yaw_deg=0, distance_m=4, target=(0, 0.9, 0))
    side = Camera(yaw_deg=90, distance_m=4, target=(0, 0.9, 0))
    kf, _ = project_keypoints(front, j)
    ks, _ = project_keypoints(side, j)
    width = lambda k: abs(k[0, J["LShoulder"], 0] - k[0, J["RShoulder"], 0])
    foot = lambda k: abs(k[0, J["LBigToe"], 0] - k[0, J["LHeel"], 0])
    assert width(kf) > 40 and width(ks) < 0.1 * width(kf)
    assert foot(ks) > 20 and foot(kf) < 0.3 * foot(ks)
    assert kf[0, J["LShoulder"], 0] > kf[0, J["RShoulder"], 0]   # their left = our right
    px, _ = front.project(j)
    assert np.allclose(kf[..., :2], px, atol=1e-3)               # same pinhole as camera.py
    for yaw, pitch in ((0, 0), (45, 10), (-90, 25), (100, -3)):
        assert np.allclose(camera_axes(yaw, pitch), Camera(yaw, pitch).rotation, atol=1e-12)


def test_sampled_cameras_keep_everyone_in_frame():
    rng = np.random.default_rng(5)
    for i, ex in enumerate(list(EXERCISES) * 3):
        m = motion(ex, reps=2, seed=i, fps=24)
        cam = sample_camera(m.joints3d, ex, m.fps, rng)
        kps, depth = project_keypoints(cam, m.joints3d)
        assert kps[..., 2].min() == 1.0, (ex, cam)
        assert depth.min() > 0.5
        extent = np.ptp(kps[..., :2].reshape(-1, 2), axis=0) / (cam.width, cam.height)
        assert extent.max() > 0.3                                # the subject is not a speck
    assert abs(default_yaw("push_up")) == 90 and abs(default_yaw("bicep_curl")) == 90
    assert default_yaw("squat") == 0


def test_lying_push_up_fits_a_landscape_side_view():
    m = motion("push_up", seed=1)
    cam = fit_camera(m.joints3d, yaw_deg=90, pitch_deg=15, fps=m.fps, fill=0.8)
    kps, _ = project_keypoints(cam, m.joints3d)
    assert kps[..., 2].min() == 1.0
    span = np.ptp(kps[..., :2].reshape(-1, 2), axis=0)
    assert span[0] > 2 * span[1]                                 # long and low in the frame


# ---------------------------------------------------------------- noise

def _clean(t=3000):
    kps = np.zeros((t, 25, 3), np.float32)
    kps[..., 0] = np.linspace(200, 300, 25)
    kps[..., 1] = np.linspace(100, 400, 25)
    kps[..., 2] = 1.0
    return kps


def test_jitter_statistics():
    kps = _clean()
    out = jitter(kps, np.random.default_rng(1), sigma_px=4.0, corr=0.7)
    assert np.array_equal(kps, _clean())                          # pure: input untouched
    d = out[:, J["Neck"], 0] - kps[:, J["Neck"], 0]               # Neck: scale 0.8, conf 1
    assert d.std() == pytest.approx(4.0 * 0.8, rel=0.1)
    assert abs(d.mean()) < 0.5
    assert np.corrcoef(d[1:], d[:-1])[0, 1] == pytest.approx(0.7, abs=0.06)
    wrist = out[:, J["RWrist"], 1] - kps[:, J["RWrist"], 1]
    assert wrist.std() > d.std()                                  # extremities shake more
    kps[:10, 3, 2] = 0
    kps[:10, 3, :2] = 0
    assert np.all(jitter(kps, np.random.default_rng(1), 4.0)[:10, 3] == 0)   # missing stays missing


def test_dropped_joints_and_swaps():
    kps = _clean(2000)
    out = drop_joints(kps, np.random.default_rng(2), rate=0.03)
    lost = out[..., 2] == 0
    assert lost.mean() == pytest.approx(0.03, abs=0.008)
    assert np.all(out[lost][:, :2] == 0)
    runs = np.diff(np.concatenate([[0], lost[:, 5].astype(int), [0]]))
    assert (np.flatnonzero(runs == -1) - np.flatnonzero(runs == 1)).max() <= 6   # short bursts
    swapped = swap_left_right(kps, np.random.default_rng(3), rate=0.01)
    changed = np.any(swapped != kps, axis=(1, 2))
    assert 0.01 < changed.mean() < 0.15
    f = np.flatnonzero(changed)[0]
    diff = np.flatnonzero(np.any(swapped[f] != kps[f], axis=1))
    assert set(np.array(BODY_25.mirror)[diff]) == set(diff)       # whole L/R pairs trade places


def test_far_side_is_less_confident_in_side_view():
    m = motion("bicep_curl", seed=0)
    side = fit_camera(m.joints3d, yaw_deg=90, pitch_deg=5, fps=m.fps)   # sees the left side
    _, depth = project_keypoints(side, m.joints3d)
    conf = confidences(depth, np.random.default_rng(0), base=0.9, far_drop=0.35)
    left = [J[n] for n in ("LShoulder", "LElbow", "LHip", "LKnee")]
    right = [J[n] for n in ("RShoulder", "RElbow", "RHip", "RKnee")]
    assert conf[:, left].mean() > conf[:, right].mean() + 0.15
    front = fit_camera(m.joints3d, yaw_deg=0, pitch_deg=5, fps=m.fps)
    _, depth_f = project_keypoints(front, m.joints3d)
    cf = confidences(depth_f, np.random.default_rng(0))
    assert abs(cf[:, left].mean() - cf[:, right].mean()) < 0.05


def test_apply_noise_scales_with_body_size():
    kps = _clean(500)
    small = kps.copy()
    small[..., :2] = 300 + (kps[..., :2] - 300) * 0.25
    depth = np.full((500, 25), 3.0)
    p = NoiseParams(jitter=0.01, drop_rate=0.0, swap_rate=0.0)
    big_err = np.abs(apply_noise(kps, depth, np.random.default_rng(0), p) - kps)[..., 0].mean()
    small_err = np.abs(apply_noise(small, depth, np.random.default_rng(0), p) - small)[..., 0].mean()
    assert big_err == pytest.approx(4 * small_err, rel=0.05)


# ---------------------------------------------------------------- data sets

def test_dataset_round_trip_and_labels(tmp_path):
    ds = generate_dataset(12, seed=4)
    assert len(ds) == 12 and ds.offsets[-1] == len(ds.keypoints)
    assert ds.keypoints.dtype == np.float32 and ds.keypoints.shape[1:] == (25, 3)
    assert ds.fault_severity.shape == (12, len(FAULT_COLUMNS))
    for i in range(len(ds)):
        own = np.array([c.startswith(ds.exercise[i] + ".") for c in FAULT_COLUMNS])
        assert not np.isnan(ds.fault_severity[i, own]).any()
        assert np.isnan(ds.fault_severity[i, ~own]).all()
        reps = ds.reps_of(i)
        assert np.mean(ds.rep_scores[reps]) == pytest.approx(ds.score[i], abs=1e-3)
        assert ds.rep_ranges[reps].max() <= len(ds.sequence(i))
        seq = ds.pose_sequence(i)
        assert seq.fps == ds.fps[i] and seq.size == tuple(ds.image_size[i])
        xy = ds.sequence(i)[..., :2][ds.sequence(i)[..., 2] > 0]
        assert xy.min() >= 0 and (xy.max(axis=0) < ds.image_size[i]).all()
    assert 0 <= ds.score.min() and ds.score.max() <= 100
    path = tmp_path / "synth.npz"
    save_dataset(ds, path)
    back = load_dataset(path)
    for name in ("keypoints", "offsets", "exercise", "score", "subject", "yaw_deg", "fps",
                 "image_size", "rep_offsets", "rep_scores", "rep_ranges"):
        assert np.array_equal(getattr(ds, name), getattr(back, name)), name
    assert np.array_equal(ds.fault_severity, back.fault_severity, equal_nan=True)
    assert back.fault_columns == ds.fault_columns and back.seed == 4
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(FitScoreError, match="not a FitScore synthetic data set"):
        load_dataset(tmp_path / "junk.npz")
    with pytest.raises(FitScoreError, match="no synthetic data set"):
        load_dataset(tmp_path / "missing.npz")


def test_dataset_is_deterministic_and_subjects_are_people():
    a = generate_dataset(6, seed=11, n_subjects=3)
    b = generate_dataset(6, seed=11, n_subjects=3)
    c = generate_dataset(6, seed=12, n_subjects=3)
    assert np.array_equal(a.keypoints, b.keypoints) and np.array_equal(a.score, b.score)
    assert not np.array_equal(a.keypoints[:100], c.keypoints[:100])
    assert subject_body(11, 2) == subject_body(11, 2) != subject_body(11, 1)
    assert subject_body(11, 2) != subject_body(12, 2)
    assert set(a.subject) <= {0, 1, 2}


def test_dataset_progress_and_workers_agree():
    calls = []
    one = generate_dataset(70, seed=3, progress=lambda d, t: calls.append((d, t)),
                           exercises=["shoulder_shrug", "jumping_jack"])
    assert calls[-1] == (70, 70) and len(calls) == 2
    assert set(one.exercise) == {"shoulder_shrug", "jumping_jack"}
    two = generate_dataset(70, seed=3, exercises=["shoulder_shrug", "jumping_jack"], workers=2)
    assert np.array_equal(one.keypoints, two.keypoints)
    for f in fields(SynthDataset):
        a, b = getattr(one, f.name), getattr(two, f.name)
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f") if isinstance(a, np.ndarray) \
            else a == b, f.name


def test_dataset_chunks_land_in_order_however_they_travel(tmp_path):
    """Worker output goes through a spool file, or inline when the spool is unusable; the
    frame store grows past its first reservation: the same data set either way."""
    args = (5, range(0, 9), tuple(EXERCISES), 3)
    inline_labels, inline = dataset_module._chunk(args + (None, None))
    spooled_labels, (path, n) = dataset_module._chunk(args + (str(tmp_path), None))
    _, fallback = dataset_module._chunk(args + (str(tmp_path / "missing"), None))
    assert all(np.array_equal(a, b) for a, b in zip(inline, fallback))
    assert n == sum(len(k) for k in inline) == int(inline_labels["lengths"].sum())
    frames = dataset_module._Frames(3)               # far too small: must grow
    frames.append_file(path, n)
    for k in inline:
        frames.append(k)
    assert not (tmp_path / os.path.basename(path)).exists()
    joined = np.concatenate(inline)
    assert np.array_equal(frames.array(), np.concatenate([joined, joined]))
    for k, v in inline_labels.items():
        assert np.array_equal(v, spooled_labels[k], equal_nan=v.dtype.kind == "f"), k


# ---------------------------------------------------------------- fast paths = the plain math

def test_rotation_and_ik_fast_paths_match_the_plain_math():
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(3, 50)) * 2
    for angles in ((a, 0.3, 0.0), (a, b, c), (0.4, b, -1.1), (0.2, 0.3, 0.4)):
        plain = rot_z(angles[0]) @ rot_x(angles[1]) @ rot_y(angles[2])
        fast = euler(("z", np.asarray(angles[0])), ("x", np.asarray(angles[1])),
                     ("y", np.asarray(angles[2])))
        assert fast.shape == plain.shape and np.allclose(fast, plain, rtol=0, atol=1e-15)
    for rule, args in ((arm_rot, (a, b, c)), (foot_rot, (0.3, b)), (clavicle_rot, (a, b))):
        mirrored = sides(rule(*args, 1))
        assert np.array_equal(mirrored[-1], rule(*args, -1))      # exact, not just close
    assert np.allclose(compose(rot_x(a), rot_y(0.7)), rot_x(a) @ rot_y(0.7), rtol=0, atol=1e-15)
    root, target = rng.normal(size=(2, 1, 3)) * 0.4
    one = two_link(root, target, 0.4, 0.45, np.array([0.0, 0.0, 1.0]), -1.0)
    many = two_link(np.repeat(root, 3, 0), np.repeat(target, 3, 0), 0.4, 0.45,
                    np.array([0.0, 0.0, 1.0]), -1.0)
    for x, y in zip(one, many):
        assert np.array_equal(x[0], y[2])
    for frame in one[1:]:
        assert np.allclose(frame[0].T @ frame[0], np.eye(3), atol=1e-12)


def test_apply_noise_is_its_steps_in_order():
    m = motion("squat", seed=2)
    cam = fit_camera(m.joints3d, yaw_deg=60, pitch_deg=5, fps=m.fps)
    kps, depth = project_keypoints(cam, m.joints3d)
    kps[5:9, 4] = 0.0                                       # a few joints not found
    p = NoiseParams(drop_rate=0.03, swap_rate=0.02)
    for size in (None, (cam.width, cam.height)):
        rng = np.random.default_rng(4)
        out = kps.astype(np.float32)
        out[..., 2] = confidences(depth, rng, p.conf_base, p.far_conf_drop) * (out[..., 2] > 0)
        out = jitter(out, rng, p.jitter * body_height_px(kps), p.jitter_corr)
        out = drop_joints(out, rng, p.drop_rate, p.drop_burst)
        out = swap_left_right(out, rng, p.swap_rate, p.swap_burst)
        if size is not None:
            found = out[..., 2] > 0
            out[..., 0] = np.clip(out[..., 0], 0, size[0] - 1) * found
            out[..., 1] = np.clip(out[..., 1], 0, size[1] - 1) * found
        assert np.array_equal(apply_noise(kps, depth, np.random.default_rng(4), p, size), out)
