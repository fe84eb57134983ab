"""The small-data learner (train --data LABELS.csv): trees stored as arrays give scikit-learn's
answers, a learnable difference between good and bad synthetic clips is learnt, the baselines
run on the same folds, checkpoints round-trip, bad LABELS sets are refused with what to do,
and the pose cache spares the estimator on a second run. Clips are generated push-ups; no
real clip is used."""

import csv

import numpy as np
import pytest
import torch

from fitscore_core.cli import main
from fitscore_core.config import FEATURES
from fitscore_core.errors import FitScoreError
from fitscore_core.features import ClipFeatures, normalize, resample
from fitscore_core.pose import backends
from fitscore_core.pose.cache import PoseCache
from fitscore_core.pose.cleaning import clean
from fitscore_core.pose.sequence import MultiPoseFrames
from fitscore_core.scorers.checkpoints import Scorer, load_scorer, save_scorer
from fitscore_core.scorers.descriptors import joint_angles, kinematics
from fitscore_core.scorers.forest import Forest, fit_forest
from fitscore_core.scorers.learner import distance_matrix, neighbour_features
from fitscore_core.scorers.learner_job import (
    learn_from_labels,
    learner_folds,
    person_only,
)
from fitscore_core.scorers.networks import CNN1D
from fitscore_core.scorers.scoring import predict
from fitscore_core.scorers.training import Example
from fitscore_core.synth.dataset import FAULT_COLUMNS
from fitscore_core.synth.exercises import EXERCISES, ClipSpec, generate_motion
from fitscore_core.synth.noise import NoiseParams, apply_noise
from fitscore_core.synth.views import fit_camera, project_keypoints

N_GOOD = N_BAD = 12


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def push_up_keypoints(seed: int, sag: float) -> np.ndarray:
    """A 2-rep push-up seen from the side, detector noise on; sag: how far the hips sag."""
    spec = ClipSpec("push_up", faults={"sagging_hips": sag}, reps=2, seed=seed, fps=15.0)
    m = generate_motion(spec)
    cam = fit_camera(m.joints3d, yaw_deg=80 + seed % 20, pitch_deg=12, fps=m.fps)
    kps, depth = project_keypoints(cam, m.joints3d)
    return apply_noise(kps, depth, np.random.default_rng(seed), NoiseParams(), (cam.width,
                                                                               cam.height))


@pytest.fixture(scope="module")
def gym(tmp_path_factory):
    """A gym folder: 24 'videos' (bytes the fake estimator maps to generated push-ups),
    half clean (score 100), half with sagging hips (score 0), 12 people, LABELS.csv of the
    single exercise push_up with a faults column."""
    root = tmp_path_factory.mktemp("gym")
    poses = {}
    lines = ["path,exercise,score,faults,group"]
    for i in range(N_GOOD + N_BAD):
        bad = i % 2 == 1
        name = f"clip{i:02d}.mp4"
        (root / name).write_bytes(f"video {i}".encode() * 50)
        poses[name] = push_up_keypoints(100 + i, 0.9 if bad else 0.0)
        lines.append(f"{name},push_up,{0 if bad else 100},{'sagging_hips' if bad else ''},"
                     f"person-{i // 2}")
    (root / "LABELS.csv").write_text("\n".join(lines) + "\n")
    torch.manual_seed(0)
    base = Scorer("cnn1d", CNN1D(len(EXERCISES), len(FAULT_COLUMNS), width=16,
                                 dilations=(1, 2)).eval(),
                  list(EXERCISES), list(FAULT_COLUMNS), FEATURES, {"width": 16,
                                                                   "dilations": (1, 2)}, {})
    save_scorer(base, root / "base.pt")
    return root, poses


@pytest.fixture
def estimator(gym, monkeypatch):
    """The pose estimator replaced by the generated poses of each file; records its calls."""
    _, poses = gym
    calls = []

    def extract(path, *args, **kwargs):
        calls.append(str(path))
        return fake_poses(poses, path)
    monkeypatch.setattr(backends, "estimate_poses", extract)
    return calls


def fake_poses(poses: dict, path) -> MultiPoseFrames:
    kps = poses[str(path).rsplit("/", 1)[-1]]
    return MultiPoseFrames([k[None] for k in kps], 15.0, (640, 480), str(path), "fake")


def _labels(root, lines, name="bad.csv"):
    path = root / name
    path.write_text("\n".join(lines) + "\n")
    return path


# --------------------------------------------------------------------- trees as arrays

@pytest.mark.parametrize("classify", [True, False])
def test_forest_arrays_give_scikit_learns_answers(classify):
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 5))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int) if classify else x[:, 0] * 10 + 50
    forest = fit_forest(x, y, classify, trees=30, seed=3, balanced=False)
    ref = (ExtraTreesClassifier(30, random_state=3, max_features="sqrt") if classify
           else ExtraTreesRegressor(30, random_state=3, max_features="sqrt")
           ).fit(x.astype(np.float32), y)
    test = rng.normal(size=(40, 5))
    expected = ref.predict_proba(test)[:, 1] if classify else ref.predict(test)
    np.testing.assert_allclose(forest.predict(test), expected, rtol=1e-9, atol=1e-12)
    again = Forest.from_state(forest.state())
    np.testing.assert_array_equal(again.predict(test), forest.predict(test))


def test_damaged_tree_arrays_are_refused():
    forest = fit_forest(np.eye(6), np.array([0, 1] * 3), True, trees=3)
    state = forest.state()
    state["left"] = state["left"].clone()
    state["left"][0] = 10 ** 6                    # a child that does not exist
    with pytest.raises(ValueError, match="inconsistent"):
        Forest.from_state(state)


# --------------------------------------------------------------------- descriptors

def test_joint_angles_and_unseen_joints():
    values = np.zeros((30, 4), np.float32)
    values[4:6] = [[0.0] * 4, [0.0] * 4]           # joint 2 (RShoulder) at the origin... seen
    values[4] = 1e-3                                # (x = 0 would read as unseen)
    values[6:8] = [[1.0] * 4, [0.0] * 4]            # RElbow 1 to the right
    values[8:10] = [[1.0] * 4, [1.0] * 4]           # RWrist above the elbow
    angles = joint_angles(values, 2, 3, 4)
    np.testing.assert_allclose(angles, 90.0, atol=0.2)
    values[8:10, 2:] = 0.0                          # wrist unseen in the last two frames
    assert len(joint_angles(values, 2, 3, 4)) == 2
    assert kinematics(values).shape == (15 * 2 * 5 + 11 * 4,)
    assert np.isfinite(kinematics(np.zeros((30, 5), np.float32))).all()


def test_neighbour_features_read_the_nearest_labels():
    labels = np.array([1.0, 0.0, 0.0, 1.0])
    good = labels > 0.5
    dist = np.array([[0.1, 0.5, 0.6, np.inf]])       # the 4th is excluded (same person)
    f = neighbour_features(dist, labels, good)[0]
    assert f[0] == 1.0 and f[1] == pytest.approx(1 / 3)
    assert f[2] == pytest.approx(0.5 - 0.1) and f[3] == pytest.approx(0.55 - 0.1)


# --------------------------------------------------------------------- learning

@pytest.fixture(scope="module")
def learnt(gym, tmp_path_factory):
    """One cross-validated run of the learner over the gym's clips (fake estimator)."""
    root, poses = gym
    out = tmp_path_factory.mktemp("learnt") / "cnn1d.pt"
    mp = pytest.MonkeyPatch()
    mp.setattr(backends, "estimate_poses", lambda path, *a, **k: fake_poses(poses, path))
    try:
        run = learn_from_labels("cnn1d", root / "LABELS.csv", out=out, cv=4,
                                init_path=root / "base.pt")
    finally:
        mp.undo()
    return run, out


def test_a_single_exercise_labels_set_trains_and_learns_the_difference(learnt):
    run, _ = learnt
    assert run.clips == N_GOOD + N_BAD and run.left_out == []
    figs = run.cv.per_exercise["push_up"]
    assert figs["kind"] == "good_bad" and figs["labels"] == {"0": N_BAD, "100": N_GOOD}
    assert figs["learner"]["accuracy"] >= 0.8 and figs["learner"]["auc"] >= 0.85
    assert figs["majority"]["auc"] == 0.5


def test_baselines_run_on_the_same_folds(learnt, gym):
    """Re-derive the DTW 1-NN and majority answers from the recorded folds: each held-out
    clip gets the score of its DTW-nearest clip among the other folds' clips."""
    run, _ = learnt
    rows = run.cv.predictions
    folds = np.array([r["fold"] for r in rows])
    assert sorted(set(folds)) == [1, 2, 3, 4]
    groups = {}
    for r in rows:
        groups.setdefault(int(r["source"][4:6]) // 2, set()).add(r["fold"])
    assert all(len(f) == 1 for f in groups.values())           # a person in one fold only
    _, poses = gym
    values = []
    for r in rows:
        f = resample(normalize(clean(fake_poses(poses, r["source"]))), FEATURES.fps)
        values.append(person_only(Example(f.values, "push_up", 0, np.zeros((1, 2), int),
                                          np.zeros(1), np.zeros((1, 0)), "")).values)
    dist = distance_matrix(values)
    scores = np.array([r["score"] for r in rows])
    for i, r in enumerate(rows):
        train = np.flatnonzero(folds != r["fold"])
        assert r["dtw_1nn_score"] == scores[train[np.argmin(dist[i, train])]]
        majority = 100.0 if (scores[train] == 100).sum() >= len(train) / 2 else 0.0
        assert r["majority_score"] == majority


def test_good_bad_labels_other_than_0_and_100_are_judged_on_the_same_scale(learnt, gym,
                                                                          estimator, tmp_path):
    """Labelled 60 / 90 instead of 0 / 100, the same clips fall in the same folds: the DTW
    neighbour and the majority are judged as before (a 60 is the worse kind, not 'above 50')."""
    root, _ = gym
    lines = (root / "LABELS.csv").read_text().replace(",push_up,100,", ",push_up,90,")
    path = _labels(root, lines.replace(",push_up,0,", ",push_up,60,").splitlines(), "6090.csv")
    run = learn_from_labels("cnn1d", path, cv=4, init_path=root / "base.pt",
                            cache=PoseCache(tmp_path / "cache"))
    figs, before = run.cv.per_exercise["push_up"], learnt[0].cv.per_exercise["push_up"]
    assert figs["labels"] == {"60": N_BAD, "90": N_GOOD}
    assert figs["dtw_1nn"] == before["dtw_1nn"] and figs["majority"] == before["majority"]
    assert {r["dtw_1nn_score"] for r in run.cv.predictions} == {0.0, 100.0}


def test_the_saved_learner_scores_with_the_gyms_standard(learnt):
    run, out = learnt
    scorer = load_scorer(out)
    assert scorer.learner is not None and set(scorer.learner.heads) == {"push_up"}
    head = scorer.learner.heads["push_up"]
    assert head.kind == "good_bad" and (head.low, head.high) == (0.0, 100.0)
    assert "sagging_hips" in head.fault_forests
    card = run.card
    assert card["small_data"]["cross_validation"]["winner"]["push_up"] in (
        "learner", "dtw_1nn", "majority")
    assert card["small_data"]["heads"]["push_up"]["faults_learnt"] == ["sagging_hips"]
    # fresh clips of new people: clean ones score higher than sagging ones
    good, bad = [], []
    for seed in range(5):
        for sag, into in ((0.0, good), (0.9, bad)):
            kps = push_up_keypoints(500 + seed, sag)
            seq = clean(MultiPoseFrames([k[None] for k in kps], 15.0, (640, 480)))
            feats = resample(normalize(seq), FEATURES.fps)
            p = predict(scorer, feats, exercise="push_up")
            assert 0 <= p.score <= 100 and "sagging_hips" in p.faults
            into.append(p.score)
    assert np.mean(good) > np.mean(bad) + 20


def test_new_exercises_get_their_own_recognizer(gym, estimator, tmp_path):
    root, _ = gym
    lines = ["path,exercise,score,group"]
    for i in range(N_GOOD + N_BAD):
        kind = "plank_walk" if i < 12 else "push_up"     # the first 12 relabelled: new name
        lines.append(f"clip{i:02d}.mp4,{kind},{100 if i % 2 else 0},person-{i // 2}")
    path = _labels(root, lines, "new.csv")
    run = learn_from_labels("cnn1d", path, out=tmp_path / "m.pt", init_path=root / "base.pt",
                            cache=PoseCache(tmp_path / "cache"))
    scorer = load_scorer(tmp_path / "m.pt")
    assert set(scorer.learner.recognizers) == {"plank_walk", "push_up"}
    assert run.card["small_data"]["recognizer"].startswith("learnt")
    ex = scorer.learner.heads["plank_walk"].references[0]
    found = (ex.reshape(15, 2, -1) != 0).any(axis=1)
    p = predict(scorer, ClipFeatures(ex, found, FEATURES.fps, (0.0, 0.0), 1.0))
    assert p.exercise == "plank_walk" and set(p.exercise_probs) == {"plank_walk", "push_up"}


# --------------------------------------------------------------------- bad input

@pytest.mark.parametrize("scores, groups, k, fragment", [
    ([100] * 6, None, None, "every push_up clip carries the same score (100)"),
    ([100, 100, 100, 100, 0, 100], None, None, "only 1 push_up clip(s) scored 0"),
    ([100, 0] * 3, None, 4, "--cv 4: only 3 push_up clip(s) of the better-scored kind"),
    ([100, 0] * 3, ["one"] * 6, 2, "every clip is in group 'one'"),
], ids=["all-good", "tiny-class", "fewer-than-k", "one-group"])
def test_bad_labels_sets_are_refused_with_what_to_do(gym, estimator, tmp_path, scores, groups,
                                                     k, fragment):
    root, _ = gym
    lines = ["path,exercise,score" + (",group" if groups else "")]
    for i, s in enumerate(scores):
        lines.append(f"clip{i:02d}.mp4,push_up,{s}" + (f",{groups[i]}" if groups else ""))
    path = _labels(root, lines)
    with pytest.raises(FitScoreError) as info:
        learn_from_labels("cnn1d", path, out=tmp_path / "m.pt", cv=k,
                          init_path=root / "base.pt")
    assert fragment in str(info.value)
    assert not (tmp_path / "m.pt").exists()


def test_folds_are_stratified_and_keep_groups_whole():
    ex = [Example(np.zeros((30, 3)), "push_up", float(100 * (i % 2)), np.zeros((1, 2), int),
                  np.zeros(1), np.zeros((1, 0)), f"p{i // 2}") for i in range(20)]
    fold = learner_folds(ex, 5, seed=0)
    for f in range(5):
        held = [e for e, g in zip(ex, fold) if g == f]
        assert sum(e.score == 100 for e in held) == sum(e.score == 0 for e in held) == 2
    for g in {e.group for e in ex}:
        assert len({f for e, f in zip(ex, fold) if e.group == g}) == 1


# --------------------------------------------------------------------- CLI and cache

def test_cli_trains_with_the_cache_and_prints_how_to_use_it(gym, estimator, tmp_path,
                                                            capsys):
    root, _ = gym
    cache = tmp_path / "cache"
    args = ["train", "--model", "cnn1d", "--data", str(root / "LABELS.csv"), "--init",
            str(root / "base.pt"), "--cache", str(cache), "--cv", "3", "--oof",
            str(tmp_path / "oof.csv"), "--out", str(tmp_path / "gym" / "cnn1d.pt")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert len(estimator) == N_GOOD + N_BAD                      # every clip estimated once
    assert "learner" in out and "dtw_1nn" in out and "majority" in out and "<- best" in out
    assert f"analyze CLIP.mp4 --models {tmp_path / 'gym'}" in out
    assert "train the lstm too" in out
    with (tmp_path / "oof.csv").open(newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == N_GOOD + N_BAD and {"learner_score", "dtw_1nn_score",
                                             "majority_score", "fold"} <= set(table[0])
    # a second run reads every pose from the cache; a damaged entry is estimated again
    entries = sorted(cache.glob("*.npz"))
    assert len(entries) == N_GOOD + N_BAD
    entries[0].write_bytes(entries[0].read_bytes()[:100])
    assert main(args[:-2]) == 0                                   # --cv only, no --out
    assert len(estimator) == N_GOOD + N_BAD + 1
    assert "23 clip(s) found, 1 estimated" in capsys.readouterr().out
    assert main(args[:-2] + ["--no-cache"]) == 0
    assert len(estimator) == 2 * (N_GOOD + N_BAD) + 1


def test_scratch_training_still_refuses_a_single_exercise(gym, estimator, capsys):
    root, _ = gym
    code = main(["train", "--model", "cnn1d", "--data", str(root / "LABELS.csv"), "--scratch",
                 "--cv", "2", "--threads", "1"])
    assert code == 2 and "at least 2 exercises" in capsys.readouterr().err
