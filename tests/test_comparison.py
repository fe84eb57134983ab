"""Reference, DTW and joint-by-joint comparison (dtw.py, reference.py, anchors.py, angles.py,
comparison.py)."""

import functools
import json

import numpy as np
import pytest

from fitscore_core.compare.angles import TRUNK_LEAN, joint_angles, range_of_motion
from fitscore_core.compare.comparison import compare
from fitscore_core.compare.reference import (
    MIRROR_NOTE,
    Reference,
    builtin_reference,
    facing,
    load_reference,
    mirror_features,
    reference_from_sequence,
)
from fitscore_core.config import FEATURES
from fitscore_core.dtw import dtw_path
from fitscore_core.errors import FitScoreError
from fitscore_core.features import ClipFeatures, normalize, resample
from fitscore_core.pose.openpose_json import write_openpose
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.pose.skeletons import MODEL_15
from fitscore_core.scorers.reps import Rep
from fitscore_core.synth.exercises import (
    EXERCISES,
    FAULT_AFFECTED,
    FAULT_JOINTS,
    ClipSpec,
    generate_motion,
)
from fitscore_core.synth.views import default_yaw, fit_camera, project_keypoints

SEEDS = (1, 2, 3)          # client people; the built-in reference uses other seeds
SEVERITY = 0.8


# --------------------------------------------------------------------------------------------
# DTW against the textbook double loop


def naive_dtw(a: np.ndarray, b: np.ndarray, window: int | None = None):
    """O(nm) reference: same band rule, same tie order (diagonal, advance a, advance b)."""
    n, m = len(a), len(b)
    w = max(n, m) if window is None else max(window, abs(n - m))
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            if abs(i - j) <= w:
                cost = float(np.sqrt(((a[i - 1] - b[j - 1]) ** 2).sum()))
                acc[i, j] = cost + min(acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1])
    i, j, path = n, m, [(n - 1, m - 1)]
    while i > 1 or j > 1:
        steps = [(i - 1, j - 1), (i - 1, j), (i, j - 1)]
        i, j = min(steps, key=lambda s: (acc[s], steps.index(s)))
        path.append((i - 1, j - 1))
    return acc[n, m], np.array(path[::-1])


@pytest.mark.parametrize("window", [None, 0, 1, 3, 8])
@pytest.mark.parametrize("dims", [1, 3, 30])
def test_dtw_matches_the_naive_double_loop(window, dims):
    rng = np.random.default_rng(7 + dims)
    for _ in range(25):
        n, m = rng.integers(1, 30, 2)
        a, b = rng.normal(size=(n, dims)), rng.normal(size=(m, dims))
        cost, path = dtw_path(a, b, window)
        want_cost, want_path = naive_dtw(a, b, window)
        assert cost == pytest.approx(want_cost, rel=1e-12)
        np.testing.assert_array_equal(path, want_path)


def test_dtw_path_is_monotone_complete_and_inside_the_band():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(50, 4)), rng.normal(size=(35, 4))
    _, path = dtw_path(a, b, window=5)
    assert path[0].tolist() == [0, 0] and path[-1].tolist() == [49, 34]
    steps = np.diff(path, axis=0)
    assert set(map(tuple, steps.tolist())) <= {(1, 1), (1, 0), (0, 1)}
    assert np.abs(path[:, 0] - path[:, 1]).max() <= max(5, 50 - 35)


def test_dtw_with_a_zero_window_on_equal_lengths_is_the_diagonal():
    a = np.random.default_rng(0).normal(size=(20, 2))
    cost, path = dtw_path(a, a[::-1], window=0)
    np.testing.assert_array_equal(path, np.stack([np.arange(20)] * 2, axis=1))
    assert cost == pytest.approx(np.linalg.norm(a - a[::-1], axis=1).sum())


# --------------------------------------------------------------------------------------------
# Synthetic clients


@functools.lru_cache(maxsize=None)
def client(exercise: str, fault: str | None, seed: int, yaw: float) -> ClipFeatures:
    """A synthetic clip through the pipeline's path: project, normalize, resample to 15 fps."""
    spec = ClipSpec(exercise, faults={fault: SEVERITY} if fault else {}, reps=3, seed=seed)
    motion = generate_motion(spec)
    pitch = 15.0 if motion.model.lying else 5.0
    keypoints, _ = project_keypoints(fit_camera(motion.joints3d, yaw, pitch, 30.0),
                                     motion.joints3d)
    return resample(normalize(PoseSequence(keypoints, 30.0, (640, 480))), FEATURES.fps)


def fault_joints(exercise: str, fault: str) -> list[str]:
    """The fault's joints among the 15 compared; heels_lifting moves only heels (not among
    them), so for it the joints it affects (ankles, knees)."""
    joints = [j for j in FAULT_JOINTS[exercise][fault] if j in MODEL_15.joints]
    return joints or [j for j in FAULT_AFFECTED[exercise][fault] if j in MODEL_15.joints]


@functools.lru_cache(maxsize=None)
def fault_signal(exercise: str, fault: str, yaw: float) -> float:
    """How far the fault moves its joints in the picture (torso lengths, mean over the clip,
    the most moved joint): the same person (seed 0, not a test seed) with and without it."""
    good = generate_motion(ClipSpec(exercise, reps=3, seed=0))
    bad = generate_motion(ClipSpec(exercise, faults={fault: SEVERITY}, reps=3, seed=0))
    camera = fit_camera(good.joints3d, yaw, 15.0 if good.model.lying else 5.0, 30.0)
    kg, _ = project_keypoints(camera, good.joints3d)
    kb, _ = project_keypoints(camera, bad.joints3d)
    scale = normalize(PoseSequence(kg, 30.0)).scale
    idx = [MODEL_15.index(j) for j in fault_joints(exercise, fault)]
    moved = np.linalg.norm(kb[:, idx, :2] - kg[:, idx, :2], axis=2) / scale
    return float(moved.mean(axis=0).max())


def view_for(exercise: str, fault: str) -> float:
    """The exercise's default view, unless the fault shows less than half as much there as
    from the best of the views the exercise is filmed from (e.g. a back arching toward the
    camera in a front view): then that best view."""
    default = default_yaw(exercise)
    views = dict.fromkeys([default] + [abs(v) for v in EXERCISES[exercise].views])
    signal = {v: fault_signal(exercise, fault, v) for v in views}
    best = max(signal, key=signal.get)
    return default if signal[default] >= 0.5 * signal[best] else best


# Faults the default view hides, and the view the test films them from instead (client and
# reference alike). test_views_for_hidden_faults keeps this list honest.
OTHER_VIEWS = {
    ("lunge", "knee_caving_in"): 45.0,          # knees move sideways: hidden from the side
    ("bicep_curl", "elbows_flaring"): 0.0,       # elbows move sideways
    ("shoulder_press", "arching_back"): 90.0,    # the back arches toward the camera
    ("shoulder_press", "pressing_forward"): 90.0,
    ("shoulder_shrug", "rolling_shoulders"): 90.0,
    ("shoulder_shrug", "head_forward"): 90.0,
    ("shoulder_shrug", "bending_elbows"): 90.0,  # the forearms come toward the camera
    ("jumping_jack", "bent_arms"): 45.0,
}
# Known misses of the top-3 target: (exercise, fault, seed) -> rank of its best joint.
# Shallow squat, seed 1: the knees (thigh direction, 2 rows), Neck (trunk lean) and MidHip
# (hip height over the feet) all differ clearly; MidHip is 4th by 0.012 torso lengths.
KNOWN_MISSES = {("squat", "insufficient_depth", 1): 4}


def test_views_for_hidden_faults():
    chosen = {(e, f): view_for(e, f) for e in EXERCISES for f in FAULT_JOINTS[e]}
    assert {k: v for k, v in chosen.items() if v != default_yaw(k[0])} == OTHER_VIEWS


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_a_faults_joints_rank_in_the_top_three(exercise):
    """Each fault alone at severity 0.8, three people, against the built-in reference."""
    misses = {}
    for fault in FAULT_JOINTS[exercise]:
        yaw = OTHER_VIEWS.get((exercise, fault), default_yaw(exercise))
        reference = builtin_reference(exercise, yaw)
        wanted = fault_joints(exercise, fault)
        for seed in SEEDS:
            result = compare(client(exercise, fault, seed, yaw), reference, exercise)
            ranks = {row.joint: row.rank for row in result.joints}
            best = min(ranks.get(j, 99) for j in wanted)
            if best > 3:
                misses[(exercise, fault, seed)] = (best, result.top_joints(5))
    known = {k: v for k, v in KNOWN_MISSES.items() if k[0] == exercise}
    assert {k: v for k, v in misses.items() if k not in known} == {}
    assert all(misses[k][0] <= 5 for k in known if k in misses)


def test_a_correct_client_differs_less_than_a_faulty_one():
    good = compare(client("push_up", None, 1, 90.0), builtin_reference("push_up"), "push_up")
    bad = compare(client("push_up", "sagging_hips", 1, 90.0), builtin_reference("push_up"),
                  "push_up")
    hips = [MODEL_15.index(j) for j in ("MidHip", "RHip", "LHip")]
    assert np.nanmean(bad.local_deviation[hips]) > 2 * np.nanmean(good.local_deviation[hips])


# --------------------------------------------------------------------------------------------
# Alignment


def stretched(features: ClipFeatures, factor: float) -> ClipFeatures:
    """The same movement `factor` times slower (linear interpolation in time)."""
    n = round(features.n_frames * factor)
    t = np.linspace(0, features.n_frames - 1, n)
    values = np.stack([np.interp(t, np.arange(features.n_frames), row)
                       for row in features.values]).astype(np.float32)
    return ClipFeatures(values, np.ones((15, n), bool), features.fps, features.centre,
                        features.scale)


def test_a_slow_rep_aligns_with_near_zero_deviation():
    ref = resample(builtin_reference("squat").features, FEATURES.fps)
    slow = stretched(ref, 1.6)
    result = compare(slow, Reference(ref, "squat", "reference"), "squat")
    compared = ~np.isnan(result.deviation)
    assert compared.mean() > 0.6                           # the reps, not the rests around
    # a slow frame falls between two reference frames: at most half a frame's motion away
    half_step = np.linalg.norm(np.diff(ref.values, axis=1).reshape(15, 2, -1), axis=1) / 2
    assert np.nanmax(result.deviation) <= half_step.max() + 1e-3
    assert np.nanmean(result.deviation) < 0.015
    assert all(row.p90 < 0.04 for row in result.joints)
    # without warping the same clips are far apart: the test can tell
    n = min(slow.n_frames, ref.n_frames)
    naive = np.linalg.norm((slow.values[:, :n] - ref.values[:, :n]).reshape(15, 2, n), axis=1)
    assert np.percentile(naive, 95) > 0.3
    for a in result.alignments:                             # each slow rep meets one rep
        assert (a.client_end - a.client_start) > 1.4 * (a.reference_end - a.reference_start)


def test_a_reference_at_another_frame_rate_is_resampled_to_the_clients():
    ref = builtin_reference("bicep_curl")                    # 30 fps
    result = compare(client("bicep_curl", None, 2, 90.0), ref, "bicep_curl")   # 15 fps
    assert result.fps == FEATURES.fps
    for a in result.alignments:                              # reference frames at 15 fps
        assert a.path[:, 1].max() <= ref.clips[a.reference_clip].n_frames / 2


# --------------------------------------------------------------------------------------------
# Facing


def test_a_client_filmed_from_the_other_side_gets_a_mirrored_reference():
    same = compare(client("bicep_curl", None, 1, 90.0), builtin_reference("bicep_curl"),
                   "bicep_curl")
    other = client("bicep_curl", None, 1, -90.0)
    mirrored = compare(other, builtin_reference("bicep_curl"), "bicep_curl")
    unmirrored = compare(other, builtin_reference("bicep_curl"), "bicep_curl", mirror=False)
    assert not same.mirrored and MIRROR_NOTE not in same.notes
    assert mirrored.mirrored and MIRROR_NOTE in mirrored.notes
    assert mirrored.to_json()["mirrored"] is True
    # like for like: as close as filmed from the same side, far closer than not mirrored
    assert np.nanmean(mirrored.deviation) < 1.5 * np.nanmean(same.deviation)
    assert np.nanmean(unmirrored.deviation) > 3 * np.nanmean(mirrored.deviation)


def test_facing_and_mirror_features():
    right = client("push_up", None, 1, -90.0)
    assert facing(right) == -facing(client("push_up", None, 1, 90.0)) != 0
    assert facing(client("squat", None, 1, 0.0)) == 0           # front view: no side
    flipped = mirror_features(right)
    assert facing(flipped) == -facing(right)
    back = mirror_features(flipped)
    np.testing.assert_array_equal(back.values, right.values)
    np.testing.assert_array_equal(back.found, right.found)
    r_wrist, l_wrist = 2 * MODEL_15.index("RWrist"), 2 * MODEL_15.index("LWrist")
    np.testing.assert_array_equal(flipped.values[r_wrist], -right.values[l_wrist])


# --------------------------------------------------------------------------------------------
# Bad input


def test_a_reference_of_another_exercise_is_compared_with_a_note():
    result = compare(client("squat", None, 1, 0.0), builtin_reference("lunge", 0.0), "squat")
    note = [n for n in result.notes if "different exercises" in n]
    assert len(note) == 1 and "lunge" in note[0] and "squat" in note[0]
    assert result.reference_exercise == "lunge" and len(result.joints) == 15
    assert result.to_json()["notes"] == list(result.notes)


def test_the_same_exercise_gets_no_mismatch_note():
    result = compare(client("squat", None, 1, 0.0), builtin_reference("squat"), "squat")
    assert not any("different exercises" in n for n in result.notes)


def test_a_reference_without_a_person_is_refused(tmp_path):
    empty = ClipFeatures(np.zeros((30, 40), np.float32), np.zeros((15, 40), bool), 15.0,
                         (0.0, 0.0), 1.0)
    with pytest.raises(FitScoreError, match="has no person"):
        compare(client("squat", None, 1, 0.0), Reference(empty, "squat", "empty.zip"), "squat")
    nobody = PoseSequence(np.zeros((30, 25, 3), np.float32), 30.0, (640, 480))
    with pytest.raises(FitScoreError, match="has no person"):
        reference_from_sequence(nobody, "squat", "nobody.mp4")
    write_openpose(nobody, tmp_path / "json", name="nobody")
    with pytest.raises(FitScoreError, match="reference json cannot be used: No person"):
        load_reference(tmp_path / "json")


def test_a_reference_clip_loads_like_a_client_clip(tmp_path):
    motion = generate_motion(ClipSpec("squat", reps=2, seed=5))
    keypoints, _ = project_keypoints(fit_camera(motion.joints3d, 0.0, 5.0, 30.0),
                                     motion.joints3d)
    write_openpose(PoseSequence(keypoints, 30.0, (640, 480)), tmp_path / "coach", name="coach")
    reference = load_reference(tmp_path / "coach", exercise="squat")
    assert reference.exercise == "squat" and not reference.builtin and not reference.alternatives
    result = compare(client("squat", None, 1, 0.0), reference, "squat")
    assert result.reference_source == "coach" and len(result.alignments) >= 2


def test_nothing_visible_in_both_is_refused():
    legs = [MODEL_15.index(j) for j in ("RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle")]
    c = client("squat", None, 1, 0.0)
    arms_only = np.ones((15, c.n_frames), bool)
    arms_only[legs + [MODEL_15.index("MidHip")]] = False
    upper = ClipFeatures(c.values * np.repeat(arms_only, 2, axis=0), arms_only, c.fps,
                         c.centre, c.scale)
    ref = resample(builtin_reference("squat").features, FEATURES.fps)
    legs_only = np.zeros_like(ref.found)
    legs_only[legs] = True
    lower = ClipFeatures(ref.values * np.repeat(legs_only, 2, axis=0), legs_only, ref.fps,
                         ref.centre, ref.scale)
    with pytest.raises(FitScoreError, match="no joint that is visible in both"):
        compare(upper, Reference(lower, "squat", "legs.mp4"), "squat")


def test_an_empty_overlap_after_alignment_is_refused():
    c = client("squat", None, 1, 0.0)
    found = c.found.copy()
    found[:, :20] = False                      # nobody in the first 20 frames ...
    gap = ClipFeatures(c.values * np.repeat(found, 2, axis=0), found, c.fps, c.centre, c.scale)
    with pytest.raises(FitScoreError, match="no joint was visible in both at the same moment"):
        compare(gap, builtin_reference("squat"), "squat",
                client_reps=[Rep(0, 20, 10)])   # ... and the only rep is there


# --------------------------------------------------------------------------------------------
# Table, moments, angles, JSON


def test_table_moments_angles_and_json():
    c = client("squat", "knees_caving_in", 2, 0.0)
    result = compare(c, builtin_reference("squat"), "squat")
    assert [row.rank for row in result.joints] == list(range(1, 16))
    p90 = [row.p90 for row in result.joints]
    assert p90 == sorted(p90, reverse=True)
    for row in result.joints:
        j = MODEL_15.index(row.joint)
        assert row.peak == pytest.approx(float(np.nanmax(result.local_deviation[j])))
        assert result.local_deviation[j, row.peak_frame] == pytest.approx(row.peak)
        assert row.mean <= row.p90 <= row.peak
    assert result.deviation.shape == result.local_deviation.shape == (15, c.n_frames)
    assert 1 <= len(result.worst) <= 5
    frames = [m.frame for m in result.worst]
    assert frames == sorted(frames) and min(np.diff(frames), default=99) >= FEATURES.fps
    assert set(result.angles) >= {"left knee", "right knee", "left hip", "right hip",
                                  "left elbow", "right elbow", "left shoulder",
                                  "right shoulder", TRUNK_LEAN}
    knee = result.angles["right knee"]
    assert knee.client.shape == knee.reference.shape == (c.n_frames,)
    assert 30 < knee.reference_rom < 150 and 30 < knee.client_rom < 150   # squats bend knees
    out = json.loads(json.dumps(result.to_json()))       # plain JSON, no NaN
    assert out["joints"][0]["joint"] == result.joints[0].joint
    assert out["worst_moments"][0]["seconds"] == pytest.approx(result.worst[0].frame / c.fps,
                                                               abs=1e-3)
    assert out["angles"]["right knee"]["client_rom_deg"] == pytest.approx(knee.client_rom,
                                                                          abs=0.1)


def test_joint_angles_on_known_shapes():
    xy = np.zeros((15, 2))
    name = {n: i for i, n in enumerate(MODEL_15.joints)}
    xy[name["RHip"]], xy[name["RKnee"]], xy[name["RAnkle"]] = (0, 2), (0, 1), (0, 0)  # straight
    xy[name["LHip"]], xy[name["LKnee"]], xy[name["LAnkle"]] = (1, 1), (0, 1), (0, 0)  # 90°
    xy[name["Neck"]], xy[name["MidHip"]] = (1, 1), (0, 1)                     # lying flat
    angles = joint_angles(xy.reshape(30, 1), np.ones((15, 1), bool))
    assert angles["right knee"][0] == pytest.approx(180)
    assert angles["left knee"][0] == pytest.approx(90)
    assert angles[TRUNK_LEAN][0] == pytest.approx(90)
    missing = np.ones((15, 1), bool)
    missing[name["RAnkle"]] = False
    assert np.isnan(joint_angles(xy.reshape(30, 1), missing)["right knee"][0])
    assert range_of_motion(np.array([10.0, np.nan, 70.0])) == 60.0


def test_builtin_reference_is_cached_and_read_only():
    ref = builtin_reference("squat")
    assert builtin_reference("squat") is ref and ref.builtin and len(ref.alternatives) >= 1
    assert "front view" in ref.source
    with pytest.raises(ValueError):
        ref.features.values[0, 0] = 1.0
    with pytest.raises(FitScoreError, match="unknown exercise"):
        builtin_reference("yoga")
