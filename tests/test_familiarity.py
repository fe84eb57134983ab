"""The familiarity check (scorers/familiarity.py): a clip far from every clip a network was
trained on gets no exercise named, whatever its classifier says; a clip close to them is
scored as before; the check survives a checkpoint and is refused when damaged."""

import math

import numpy as np
import pytest
import torch

from fitscore_core.analysis import _disagreement, choose_exercise, unfamiliar
from fitscore_core.cli import main
from fitscore_core.config import FEATURES
from fitscore_core.errors import FitScoreError
from fitscore_core.features import ClipFeatures
from fitscore_core.scorers.checkpoints import Scorer, load_scorer, save_scorer
from fitscore_core.scorers.familiarity import EDGE_QUANTILE, Familiarity, fit_familiarity
from fitscore_core.scorers.familiarity_job import clip_embedding
from fitscore_core.scorers.networks import CNN1D
from fitscore_core.scorers.scoring import UNKNOWN, ModelPrediction, predict, run_net
from fitscore_core.synth.dataset import FAULT_COLUMNS
from fitscore_core.synth.exercises import EXERCISES


def tiny_scorer() -> Scorer:
    torch.manual_seed(1)
    net = CNN1D(len(EXERCISES), len(FAULT_COLUMNS), width=8, dilations=(1, 2)).eval()
    return Scorer("cnn1d", net, list(EXERCISES), list(FAULT_COLUMNS), FEATURES,
                  {"width": 8, "dilations": (1, 2)}, {"note": "test"})


def clip(n: int = 60) -> np.ndarray:
    t = np.arange(n) / 15.0
    values = np.zeros((30, n), np.float32)
    values[2:4] = 0.5
    values[3] -= 0.4 * (1 - np.cos(2 * np.pi * t / 2.0)) / 2
    values[17] -= 0.4 * (1 - np.cos(2 * np.pi * t / 2.0)) / 2
    return values


def features(values: np.ndarray) -> ClipFeatures:
    return ClipFeatures(values, np.ones((15, values.shape[1]), bool), 15.0, (0.0, 0.0), 1.0)


def centred_on(embedding: np.ndarray, offset: float = 0.0) -> Familiarity:
    """A check with one exercise mean `offset` away (per dimension) from `embedding`,
    identity precision, threshold 1."""
    return Familiarity(("squat",), (embedding + offset)[None].astype(np.float64),
                       np.eye(len(embedding)), 1.0, 1.0)


# ------------------------------------------------------------------ the fit

def test_the_distance_is_the_mahalanobis_distance_to_the_nearest_mean():
    fam = Familiarity(("a", "b"), np.array([[0.0, 0.0], [10.0, 0.0]]),
                      np.diag([1.0, 0.25]), 2.0, 1.5)
    assert fam.threshold == 3.0
    assert fam.distances(np.array([[1.0, 2.0], [9.0, 0.0]])) == pytest.approx([2.0, 1.0])
    assert not fam.unfamiliar(np.array([1.0, 2.0])) and fam.unfamiliar(np.array([5.0, 0.0]))


def test_fit_learns_the_means_and_puts_the_edge_at_the_held_out_quantile():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, (3000, 4)), rng.normal(6, 1, (3000, 4))
    fam = fit_familiarity(np.concatenate([a, b]), ["a"] * 3000 + ["b"] * 3000, scale=1.0)
    assert fam.exercises == ("a", "b")
    assert fam.means == pytest.approx(np.array([[0.0] * 4, [6.0] * 4]), abs=0.1)
    # a unit covariance, shrunk towards its own mean variance, stays about the identity
    assert fam.precision == pytest.approx(np.eye(4), abs=0.1)
    fresh = np.concatenate([rng.normal(0, 1, (5000, 4)), rng.normal(6, 1, (5000, 4))])
    beyond = np.mean(fam.distances(fresh) > fam.threshold)
    assert beyond == pytest.approx(1 - EDGE_QUANTILE, abs=0.006)
    # chi-square with 4 degrees of freedom: its 99th percentile is 13.28
    assert fam.edge == pytest.approx(13.28, rel=0.15)
    assert fam.unfamiliar(np.full(4, 3.0)) and fam.unfamiliar(np.full(4, -5.0))


def test_scale_widens_the_threshold_only():
    rng = np.random.default_rng(1)
    emb, names = rng.normal(0, 1, (400, 3)), ["a"] * 400
    one, two = fit_familiarity(emb, names, 1.0), fit_familiarity(emb, names, 2.0)
    assert two.edge == one.edge and two.threshold == pytest.approx(2 * one.threshold)


@pytest.mark.parametrize("emb, names, scale, message", [
    (np.zeros((20, 3)), ["a"] * 19, 1.0, "one exercise name per"),
    (np.zeros((20, 3)), ["a"] * 20, 0.0, "scale must be > 0"),
    (np.zeros((20, 3)), ["a"] * 20, float("nan"), "scale must be > 0"),
    (np.random.default_rng(0).normal(size=(12, 3)), ["a"] * 12, 1.0, "too few clips"),
])
def test_fit_refuses_what_it_cannot_measure(emb, names, scale, message):
    with pytest.raises(ValueError, match=message):
        fit_familiarity(emb, names, scale)


# ------------------------------------------------------------------ state and checkpoints

def test_state_round_trips_and_damage_is_refused():
    fam = Familiarity(("lunge", "squat"), np.arange(6.0).reshape(2, 3), np.eye(3), 4.0, 1.5)
    again = Familiarity.from_state(fam.state())
    assert again.exercises == fam.exercises and again.threshold == fam.threshold
    assert np.array_equal(again.means, fam.means) and np.array_equal(again.precision, fam.precision)
    for damage in ({"precision": np.eye(2).tolist()}, {"exercises": ["squat"]},
                   {"edge": 0.0}, {"scale": float("inf")},
                   {"means": [[float("nan")] * 3, [0.0] * 3]}):
        with pytest.raises(ValueError):
            Familiarity.from_state(fam.state() | damage)


def test_a_checkpoint_keeps_its_familiarity_and_refuses_a_damaged_one(tmp_path):
    scorer = tiny_scorer()
    scorer.familiarity = centred_on(clip_embedding(scorer, clip()), 0.5)
    save_scorer(scorer, tmp_path / "m.pt")
    again = load_scorer(tmp_path / "m.pt")
    assert np.array_equal(again.familiarity.means, scorer.familiarity.means)
    assert again.familiarity.threshold == scorer.familiarity.threshold

    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    payload["familiarity"]["means"] = [[1.0, 2.0]]
    torch.save(payload, tmp_path / "m.pt")
    (tmp_path / "m.json").unlink()     # its digest would refuse the edited file first
    with pytest.raises(FitScoreError, match="familiarity check is damaged"):
        load_scorer(tmp_path / "m.pt")


def test_a_checkpoint_without_one_loads_without_one(tmp_path):
    save_scorer(tiny_scorer(), tmp_path / "m.pt")
    assert load_scorer(tmp_path / "m.pt").familiarity is None


# ------------------------------------------------------------------ predictions

def test_run_net_measures_the_same_embedding_as_the_fit():
    """A clip longer than one window: run_net's distance is that of clip_embedding, so the
    threshold fitted on clip_embedding's vectors means what it says at scoring time."""
    scorer = tiny_scorer()
    values = clip(2 * FEATURES.n_frames + 17)
    scorer.familiarity = centred_on(clip_embedding(scorer, values))
    *_, distance = run_net(scorer, [values])
    assert distance[0] == pytest.approx(0.0, abs=1e-8)
    scorer.familiarity = None
    assert math.isnan(run_net(scorer, [values])[3][0])


def test_an_unfamiliar_clip_is_unknown_and_a_familiar_one_is_scored():
    scorer = tiny_scorer()
    emb = clip_embedding(scorer, clip())
    plain = predict(scorer, features(clip()))
    assert plain.exercise != UNKNOWN and plain.unfamiliarity is None

    scorer.familiarity = centred_on(emb)
    near = predict(scorer, features(clip()))
    assert near.exercise == plain.exercise and near.score == pytest.approx(plain.score)
    assert near.unfamiliarity < 1

    scorer.familiarity = centred_on(emb, 1.0)     # distance = dimensions ≫ threshold 1
    far = predict(scorer, features(clip()))
    assert far.exercise == UNKNOWN and math.isnan(far.score) and far.faults == {}
    assert far.unfamiliarity == pytest.approx(len(emb)) and far.low_confidence
    assert "unlike every clip this model was trained on" in far.reasons[0]
    # the classifier's own answer is still there for the note, and the user can overrule
    assert far.exercise_probs == pytest.approx(plain.exercise_probs)
    chosen = predict(scorer, features(clip()), exercise="squat")
    assert chosen.exercise == "squat" and chosen.score == pytest.approx(
        predict(tiny_scorer(), features(clip()), exercise="squat").score)


def prediction(name, exercise, p, unfamiliarity=None) -> ModelPrediction:
    probs = {"squat": p, "lunge": 1 - p}
    return ModelPrediction(name, exercise, probs, 70.0, {}, [], False, (), unfamiliarity)


def test_one_unfamiliar_model_is_enough_to_name_no_exercise():
    own = {"cnn1d": prediction("cnn1d", "squat", 0.99),
           "lstm": prediction("lstm", UNKNOWN, 0.97, unfamiliarity=3.2)}
    assert unfamiliar(own) == ["lstm"]
    assert choose_exercise(own, None) == UNKNOWN
    assert choose_exercise(own, "lunge") == "lunge"
    note = _disagreement(own, UNKNOWN, by_user=False)
    assert "unlike every clip the lstm model was trained on" in note
    assert "the cnn1d model thought it was a squat (99%)" in note
    familiar = {"cnn1d": own["cnn1d"], "lstm": prediction("lstm", "squat", 0.97, 0.4)}
    assert unfamiliar(familiar) == [] and choose_exercise(familiar, None) == "squat"


# ------------------------------------------------------------------ the command

def test_familiarity_command_fits_and_rewrites_the_checkpoint(tmp_path, capsys):
    path = tmp_path / "m.pt"
    save_scorer(tiny_scorer(), path)
    assert main(["familiarity", "--model", str(path), "--scale", "0"]) == 2
    assert "--scale must be a number above 0" in capsys.readouterr().err
    assert load_scorer(path).familiarity is None

    assert main(["familiarity", "--model", str(path), "--n", "80", "--scale", "1.5"]) == 0
    assert "embeddings: 100%" in capsys.readouterr().err     # both phases show progress
    scorer = load_scorer(path)
    entry = scorer.card["familiarity"]
    assert scorer.familiarity is not None and scorer.card["note"] == "test"
    assert entry["threshold"] == pytest.approx(1.5 * entry["edge"], abs=0.02)
    assert entry["clips"] > 30 and 0 <= entry["no_exercise_clips_beyond_threshold"] <= 1
    assert set(scorer.familiarity.exercises) <= set(EXERCISES)
