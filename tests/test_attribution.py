"""Attributions and what-if: IG maps obey completeness, padding and not-found joints never
count, what-if moves only the chosen joint; and on synthetic clips with one fault, the
shipped models put more importance on the fault's joints than on the average joint."""

import dataclasses

import numpy as np
import pytest
import torch
from test_scorers import _tiny_scorer

from fitscore_core.analysis import load_scorers
from fitscore_core.compare.reference import builtin_reference, match_facing
from fitscore_core.config import FEATURES
from fitscore_core.errors import FitScoreError
from fitscore_core.features import ClipFeatures, normalize, resample
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.pose.skeletons import MODEL_15
from fitscore_core.scorers.attribution import (
    _integrated_gradients,
    attribute,
    joint_ranking,
    moved_features,
    reference_baseline,
    still_baseline,
    what_if,
)
from fitscore_core.scorers.reps import segment_reps
from fitscore_core.scorers.scoring import predict
from fitscore_core.synth.exercises import EXERCISES, FAULT_JOINTS, ClipSpec, generate_motion
from fitscore_core.synth.views import default_yaw, fit_camera, project_keypoints

J = {name: i for i, name in enumerate(MODEL_15.joints)}


def synthetic_features(exercise: str, faults: dict | None = None, reps: int = 3,
                       seed: int = 0) -> ClipFeatures:
    """A synthetic clip from the exercise's default view -> features as analysis makes them."""
    motion = generate_motion(ClipSpec(exercise, faults=faults or {}, reps=reps, fps=30,
                                      seed=seed))
    pitch = 15.0 if motion.model.lying else 5.0
    camera = fit_camera(motion.joints3d, default_yaw(exercise), pitch, 30.0)
    keypoints, _ = project_keypoints(camera, motion.joints3d)
    return resample(normalize(PoseSequence(keypoints, 30.0, (640, 480))), FEATURES.fps)


def loud_scorer(name: str, features: ClipFeatures):
    """A tiny untrained scorer whose score head reads the direction in which the clip's
    embedding differs from its still baseline's: the score then moves by tens of points
    between the two, so completeness is a real check (an untrained head barely moves)."""
    scorer = _tiny_scorer(name)
    seen = {}
    hook = scorer.net.heads.body.register_forward_hook(lambda m, i, out: seen.update(h=out))
    x = torch.from_numpy(np.stack([features.values, still_baseline(features)]))
    with torch.no_grad():
        scorer.net(x, torch.ones(2, features.n_frames, dtype=torch.bool))
        hook.remove()
        h_clip, h_still = seen["h"]
        d = h_clip - h_still
        w = 4 * d / d.dot(d)                 # logits +2 at the clip, -2 at the still clip
        scorer.net.heads.score.weight.copy_(w[None])
        scorer.net.heads.score.bias.fill_(float(-w @ (h_clip + h_still) / 2))
    return scorer


@pytest.fixture(scope="module")
def squat():
    return synthetic_features("squat", reps=3, seed=2)


@pytest.mark.parametrize("name", ["cnn1d", "lstm"])
def test_map_shapes_score_and_completeness(name, squat):
    torch.set_num_threads(1)
    scorer = loud_scorer(name, squat)
    a = attribute(scorer, squat, exercise="squat")
    p = predict(scorer, squat, exercise="squat")
    assert len(p.reps) == 3
    assert a.signed.shape == (30, squat.n_frames) and a.joint_time.shape == (15, squat.n_frames)
    assert np.allclose(a.joint_time, np.abs(a.signed[0::2]) + np.abs(a.signed[1::2]))
    assert a.model == name and a.exercise == "squat" and "integrated gradients" in a.method
    assert a.score == pytest.approx(p.score, abs=1e-3)          # the score predict reports
    shares = list(a.joint_importance.values())
    assert set(a.joint_importance) == set(MODEL_15.joints)
    assert sum(shares) == pytest.approx(1.0) and shares == sorted(shares, reverse=True)
    diff = a.score - a.baseline_score
    assert abs(diff) > 5                                         # the check below has teeth
    assert a.signed.sum() == pytest.approx(diff, abs=0.1 * abs(diff) + 0.5)


@pytest.mark.parametrize("name", ["cnn1d", "lstm"])
def test_completeness_when_reps_are_longer_than_n(name, squat):
    """Reps cut into overlapping windows (as run_net does) still add up to the clip score."""
    scorer = loud_scorer(name, squat)
    scorer.settings = dataclasses.replace(FEATURES, n_frames=24, window_stride=12)
    a = attribute(scorer, squat, exercise="squat")
    p = predict(scorer, squat, exercise="squat")
    assert max(r.end - r.start for r in p.reps) > 24
    assert a.score == pytest.approx(p.score, abs=1e-3)
    diff = a.score - a.baseline_score
    assert a.signed.sum() == pytest.approx(diff, abs=0.1 * abs(diff) + 0.5)


@pytest.mark.parametrize("name", ["cnn1d", "lstm"])
def test_padding_never_counts(name, squat):
    scorer = loud_scorer(name, squat)
    rng = np.random.default_rng(0)
    x, base = rng.normal(size=(2, 30, 50)).astype(np.float32), np.zeros((2, 30, 50), np.float32)
    weights, lengths = np.array([0.5, 0.5], np.float32), np.array([50, 37])
    x[1, :, 37:] = 0
    maps = []
    for n in (50, 150, 300):
        xp, bp = np.zeros((2, 30, n), np.float32), np.zeros((2, 30, n), np.float32)
        xp[..., :50], bp[..., :50] = x, base
        attr, score, base_score = _integrated_gradients(scorer.net, xp, bp, weights, lengths, 8)
        assert not attr[..., 50:].any() and not attr[1, :, 37:].any()
        maps.append((attr[..., :50], score, base_score))
    for attr, score, base_score in maps[1:]:
        assert np.allclose(attr, maps[0][0], atol=1e-4)
        assert score == pytest.approx(maps[0][1], abs=1e-3)
    # and through attribute: a scorer reading N = 300 instead of 150 gives the same map
    clip = dataclasses.replace(squat, values=squat.values[:, :120], found=squat.found[:, :120])
    wide = loud_scorer(name, squat)
    wide.settings = dataclasses.replace(FEATURES, n_frames=300)
    a, b = attribute(scorer, clip, "squat"), attribute(wide, clip, "squat")
    assert np.allclose(a.signed, b.signed, atol=1e-4)


@pytest.mark.parametrize("name", ["cnn1d", "lstm"])
def test_a_joint_never_found_gets_zero_importance(name, squat):
    values, found = squat.values.copy(), squat.found.copy()
    found[J["RWrist"]] = False
    values[2 * J["RWrist"]:2 * J["RWrist"] + 2] = 0.0
    clip = dataclasses.replace(squat, values=values, found=found)
    a = attribute(loud_scorer(name, squat), clip, "squat")
    assert not a.signed[2 * J["RWrist"]:2 * J["RWrist"] + 2].any()
    assert a.joint_importance["RWrist"] == 0.0
    assert list(a.joint_importance)[-1] == "RWrist"
    assert sum(a.joint_importance.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["cnn1d", "lstm"])
def test_reference_baseline(name, squat):
    scorer = loud_scorer(name, squat)
    # the clip as its own reference: every rep is its own baseline, nothing to attribute
    same = attribute(scorer, squat, "squat", reference=squat)
    assert "reference baseline" in same.method
    assert not same.signed.any() and same.baseline_score == pytest.approx(same.score, abs=1e-4)
    # the built-in reference (30 fps, resampled inside): completeness holds as well
    ref = match_facing(squat, builtin_reference("squat")).features
    a = attribute(scorer, squat, "squat", reference=ref)
    diff = a.score - a.baseline_score
    assert abs(diff) > 2 and a.signed.sum() == pytest.approx(diff, abs=0.1 * abs(diff) + 0.5)
    assert not np.allclose(a.signed, attribute(scorer, squat, "squat").signed)


def test_reference_baseline_stretches_each_reference_rep_onto_each_rep():
    t = np.arange(90)
    ref_values = np.zeros((30, 90), np.float32)
    wave = (1 - np.cos(2 * np.pi * t / 30)) * np.where(t < 30, 0.5, 1.0)   # reps of 0.5 and 1
    ref_values[16:18] = -np.where(t < 60, wave, 0.0)      # MidHip x and y: a squat goes down
    ref = ClipFeatures(ref_values, np.ones((15, 90), bool), 15.0, (0, 0), 1.0)
    ref_reps = segment_reps(ref_values, 15.0, "squat")
    assert len(ref_reps) == 2
    found = np.ones((15, 120), bool)
    found[J["Nose"], 50:] = False
    clip = ClipFeatures(np.ones((30, 120), np.float32), found, 15.0, (0, 0), 1.0)
    segments = [(10, 20), (30, 70), (75, 120)]
    base = reference_baseline(clip, ref, segments, "squat")
    for (start, end), rep in zip(segments, [ref_reps[0], ref_reps[1], ref_reps[0]]):
        want = np.interp(np.linspace(rep.start, rep.end - 1, end - start), t, ref_values[16])
        assert np.allclose(base[16, start:end], want, atol=1e-5)
    assert -base[16, 30:70].min() > 1.5 > -base[16, 10:20].min()  # rep 2 is the larger one
    assert not base[:, :10].any() and not base[:, 20:30].any()    # never scored: left at 0
    assert not base[2 * J["Nose"]:2 * J["Nose"] + 2, 50:].any()   # client joint not found


def test_still_baseline_holds_each_joint_at_its_mean():
    values = np.zeros((30, 4), np.float32)
    values[0] = [1, 2, 0, 3]                  # Nose x, not found at frame 2
    values[1] = [4, 4, 0, 4]
    found = np.ones((15, 4), bool)
    found[0, 2] = False
    base = still_baseline(ClipFeatures(values, found, 15.0, (0, 0), 1.0))
    assert np.allclose(base[0], [2, 2, 0, 2]) and np.allclose(base[1], [4, 4, 0, 4])
    assert not base[2:].any()
    assert list(joint_ranking(np.zeros((15, 4)))) == list(MODEL_15.joints)


def test_attribute_leaves_the_net_and_autograd_as_they_were(squat):
    scorer = loud_scorer("lstm", squat)
    scorer.net.train()
    with torch.no_grad():                     # a caller inside no_grad still gets gradients
        a = attribute(scorer, squat, "squat")
    assert scorer.net.training and torch.is_grad_enabled()
    assert all(p.grad is None for p in scorer.net.parameters())
    scorer.net.eval()
    b = attribute(scorer, squat, "squat")     # dropout was off during the first call too
    assert not scorer.net.training and np.allclose(a.signed, b.signed, atol=1e-5)


def test_moved_features_moves_only_the_chosen_joint(squat):
    before = squat.values.copy(), squat.found.copy()
    found = squat.found.copy()
    found[J["RKnee"], 10:14] = False          # a few frames where the knee was lost
    values = squat.values.copy()
    values[2 * J["RKnee"]:2 * J["RKnee"] + 2, 10:14] = 0.0
    clip = dataclasses.replace(squat, values=values, found=found)
    rows = slice(2 * J["RKnee"], 2 * J["RKnee"] + 2)
    moved = moved_features(clip, "RKnee", shift=(0.3, -0.2), range_scale=0.5, frames=(5, 60))
    mean = values[rows][:, found[J["RKnee"]]].mean(axis=1, keepdims=True)
    want = mean + 0.5 * (values[rows] - mean) + np.array([[0.3], [-0.2]])
    inside = np.zeros(squat.n_frames, bool)
    inside[5:60] = True
    inside &= found[J["RKnee"]]
    assert np.allclose(moved.values[rows][:, inside], want[:, inside], atol=1e-5)
    assert np.array_equal(moved.values[rows][:, ~inside], values[rows][:, ~inside])
    assert not moved.values[rows][:, 10:14].any()                 # not found stays zero
    others = np.ones(30, bool)
    others[rows] = False
    assert np.array_equal(moved.values[others], values[others])
    assert np.array_equal(moved.found, clip.found)
    assert np.array_equal(squat.values, before[0]) and np.array_equal(squat.found, before[1])
    assert np.array_equal(clip.values, values)                    # input never mutated
    still = moved_features(clip, "RKnee", range_scale=0.0)
    assert np.allclose(still.values[rows][:, found[J["RKnee"]]], mean)


@pytest.mark.parametrize("name", ["cnn1d", "lstm"])
def test_what_if_rescores_the_moved_clip(name, squat):
    scorer = _tiny_scorer(name)
    assert what_if(scorer, squat, "RKnee") == predict(scorer, squat)   # no change: same answer
    moved = what_if(scorer, squat, "RWrist", shift=(1.0, 0.5), exercise="squat")
    assert moved == predict(scorer, moved_features(squat, "RWrist", (1.0, 0.5)), "squat")
    assert moved.score != predict(scorer, squat, "squat").score


def test_what_if_refuses_bad_requests(squat):
    scorer = _tiny_scorer()
    with pytest.raises(FitScoreError, match="Unknown joint 'RHeel'.*Nose, Neck, RShoulder"):
        what_if(scorer, squat, "RHeel")
    with pytest.raises(FitScoreError, match="range scale must be a number >= 0"):
        what_if(scorer, squat, "RKnee", range_scale=-0.5)
    with pytest.raises(FitScoreError, match="frame range 50-20"):
        moved_features(squat, "RKnee", frames=(50, 20))
    lost = dataclasses.replace(squat, found=np.zeros_like(squat.found))
    with pytest.raises(FitScoreError, match="never found"):
        moved_features(lost, "RKnee", shift=(0.1, 0))


# ---- the target: the shipped models attend to the fault's joints --------------------------
# Measured (34 faults × 3 seeds = 102 clips, attributions against the built-in reference):
# CNN 85%, LSTM 78%. Controls on the same clips: an untrained CNN 60%, a model-free share of
# each joint's deviation from the reference 64%. 70% sits above every control and below both
# models. Misses (CNN / LSTM): squat.heels_lifting (the heels are not model joints: counted
# as the ankles, which barely move), shoulder_press.arching_back, lunge.torso_lean,
# shoulder_shrug.head_forward (invisible from the front), front_raise.shrugging,
# squat.insufficient_depth; the LSTM also push_up.head_dropping, front_raise.torso_swing.
# Against the still clip (attribute's default) the rates are 71% / 64%, no better than the
# untrained CNN's 69%: that default is not what this target measures.

# Joints a fault moves that the models do not read -> the model joints nearest to them.
NEAREST_MODEL_JOINT = {"RHeel": "RAnkle", "RBigToe": "RAnkle", "RSmallToe": "RAnkle",
                       "LHeel": "LAnkle", "LBigToe": "LAnkle", "LSmallToe": "LAnkle",
                       "REye": "Nose", "LEye": "Nose", "REar": "Nose", "LEar": "Nose"}
SEEDS = (0, 1, 2)
MIN_HIT_RATE = 0.70


def fault_model_joints(exercise: str, fault: str) -> tuple[str, ...]:
    """The fault's joints among the 15 the models read; if it moves none of them (squat
    heels_lifting: heels only), the nearest model joints (the ankles)."""
    joints = FAULT_JOINTS[exercise][fault]
    inside = tuple(j for j in joints if j in J)
    return inside or tuple(sorted({NEAREST_MODEL_JOINT[j] for j in joints}))


@pytest.fixture(scope="module")
def fault_clips():
    """(exercise, fault, seed, client features, built-in reference facing the same way)."""
    clips = []
    for ex in EXERCISES:
        for fault in EXERCISES[ex].fault_names:
            for seed in SEEDS:
                features = synthetic_features(ex, {fault: 0.8}, reps=4, seed=seed)
                reference = match_facing(features, builtin_reference(ex)).features
                clips.append((ex, fault, seed, features, reference))
    return clips


@pytest.fixture(scope="module")
def shipped():
    return load_scorers()


@pytest.mark.parametrize("name", ["cnn1d", "lstm"])
def test_fault_joints_get_more_than_average_importance(name, fault_clips, shipped):
    torch.set_num_threads(1)
    hits, misses = [], []
    for ex, fault, seed, features, reference in fault_clips:
        a = attribute(shipped[name], features, exercise=ex, reference=reference)
        share = np.mean([a.joint_importance[j] for j in fault_model_joints(ex, fault)])
        hits.append(share > 1 / 15)
        if not hits[-1]:
            misses.append(f"{ex}.{fault} seed {seed}: {15 * share:.2f}x average")
    rate = float(np.mean(hits))
    print(f"\n{name}: fault joints above average in {rate:.0%} of {len(hits)} clips; misses:\n  "
          + "\n  ".join(misses))
    assert rate >= MIN_HIT_RATE, f"{name} hit rate {rate:.0%}; misses: {misses}"
