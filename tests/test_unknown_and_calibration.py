"""Answering `unknown`, calibrated confidence, and training on movements without a score.
Tiny stand-in networks with fixed outputs, so each rule is checked on its own."""

import math
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from fitscore_core.config import FEATURES
from fitscore_core.errors import FitScoreError
from fitscore_core.features import ClipFeatures
from fitscore_core.scorers.checkpoints import Scorer, load_scorer, save_scorer
from fitscore_core.scorers.networks import CNN1D
from fitscore_core.scorers.scoring import MIN_KNOWN_CONFIDENCE, UNKNOWN, predict, recognise
from fitscore_core.scorers.training import (
    Example,
    TrainConfig,
    fit_temperature,
    loss_terms,
    make_batch,
    train_scorer,
)
from fitscore_core.synth.dataset import FAULT_COLUMNS

EXERCISES = ["squat", "push_up", UNKNOWN]


@dataclass
class Out:
    exercise_logits: torch.Tensor
    score: torch.Tensor
    fault_logits: torch.Tensor


class FixedNet(torch.nn.Module):
    """Answers the same logits for every window (score 70)."""

    def __init__(self, logits):
        super().__init__()
        self.logits = torch.tensor(logits, dtype=torch.float32)

    def forward(self, x, mask):
        b = x.shape[0]
        return Out(self.logits.expand(b, -1), torch.full((b,), 70.0),
                   torch.zeros(b, len(FAULT_COLUMNS)))


def scorer(logits, temperature=1.0):
    return Scorer("cnn1d", FixedNet(logits), EXERCISES, list(FAULT_COLUMNS), FEATURES, {}, {},
                  temperature)


def squat_features(n=60):
    t = np.arange(n) / 15.0
    values = np.zeros((30, n), np.float32)
    values[2:4] = 0.5
    values[3] -= 0.4 * (1 - np.cos(2 * np.pi * t / 2.0)) / 2      # neck goes down and up
    values[17] -= 0.4 * (1 - np.cos(2 * np.pi * t / 2.0)) / 2
    return ClipFeatures(values, np.ones((15, n), bool), 15.0, (0.0, 0.0), 1.0)


def test_unknown_wins_gives_no_score_no_faults():
    p = predict(scorer([0.0, 0.0, 5.0]), squat_features())
    assert p.exercise == UNKNOWN and math.isnan(p.score) and p.faults == {} and p.reps == []
    assert p.exercise_probs[UNKNOWN] > 0.9 and p.low_confidence


def test_a_weak_best_exercise_is_not_named():
    probs = {"squat": MIN_KNOWN_CONFIDENCE - 0.01, "push_up": 0.3, UNKNOWN: 0.21}
    assert recognise(probs) == UNKNOWN
    assert recognise({"squat": 0.8, "push_up": 0.1, UNKNOWN: 0.1}) == "squat"
    assert recognise({"squat": 0.45, "push_up": 0.3, "lunge": 0.25}) == "squat"   # no class


def test_a_confident_exercise_is_scored():
    p = predict(scorer([6.0, 0.0, 0.0]), squat_features())
    assert p.exercise == "squat" and p.score == pytest.approx(70.0)
    assert set(p.faults) == {c.split(".", 1)[1] for c in FAULT_COLUMNS if c.startswith("squat.")}


def test_unknown_cannot_be_chosen_as_the_exercise():
    with pytest.raises(FitScoreError, match="does not know the exercise 'unknown'"):
        predict(scorer([6.0, 0.0, 0.0]), squat_features(), exercise=UNKNOWN)


def test_temperature_softens_the_probabilities():
    sharp = predict(scorer([4.0, 0.0, 0.0]), squat_features()).exercise_probs["squat"]
    soft = predict(scorer([4.0, 0.0, 0.0], 4.0), squat_features()).exercise_probs["squat"]
    assert sharp > 0.95 and soft == pytest.approx(np.exp(1) / (np.exp(1) + 2), rel=1e-4)


def test_fit_temperature_undoes_overconfidence():
    """Logits twice too sharp for what they get right (3 in 4): the fitted T is above 1 and
    the calibrated confidence matches the accuracy."""
    net = FixedNet([4.0, 0.0, 0.0])
    s = Scorer("cnn1d", net, EXERCISES, list(FAULT_COLUMNS), FEATURES, {}, {})
    values = np.zeros((30, 40), np.float32)
    labels = ["squat", "squat", "squat", "push_up"] * 5
    examples = [Example(values, e, 80.0, np.zeros((0, 2), int), np.zeros(0), np.zeros((0, 0)),
                        f"g{k}") for k, e in enumerate(labels)]
    t = fit_temperature(s, examples)
    confidence = np.exp(4 / t) / (np.exp(4 / t) + 2)
    assert t > 1.5 and confidence == pytest.approx(0.75, abs=0.02)


def test_temperature_survives_a_checkpoint(tmp_path):
    torch.manual_seed(0)
    net = CNN1D(3, len(FAULT_COLUMNS), width=8, dilations=(1,)).eval()
    save_scorer(Scorer("cnn1d", net, EXERCISES, list(FAULT_COLUMNS), FEATURES,
                       {"width": 8, "dilations": (1,)}, {}, 2.5), tmp_path / "m.pt")
    assert load_scorer(tmp_path / "m.pt").temperature == 2.5


def test_a_movement_without_a_score_trains_only_the_exercise():
    """An unknown movement's NaN score is masked: the score loss comes from scored clips
    only, and a batch of unknown movements alone has a score loss of 0."""
    faults = np.full(len(FAULT_COLUMNS), np.nan, np.float32)
    x = np.ones((30, 20), np.float32)
    batch = make_batch([(x, 2, float("nan"), faults), (x, 0, 60.0, faults)], 30)
    out = Out(torch.zeros(2, 3, requires_grad=True), torch.tensor([60.0, 60.0]),
              torch.zeros(2, len(FAULT_COLUMNS)))
    terms = loss_terms(out, batch)
    assert all(torch.isfinite(v) for v in terms.values()) and float(terms["score"]) == 0.0
    only_unknown = make_batch([(x, 2, float("nan"), faults)], 30)
    one = Out(torch.zeros(1, 3), torch.tensor([10.0]), torch.zeros(1, len(FAULT_COLUMNS)))
    assert float(loss_terms(one, only_unknown)["score"]) == 0.0


def test_training_with_unknown_movements_runs_and_reports_finite_errors():
    from fitscore_core.scorers.training import examples_from_synth
    from fitscore_core.synth.dataset import RealWorld, generate_dataset
    ds = generate_dataset(40, seed=5, exercises=["squat", "push_up"],
                          real_world=RealWorld(unknown_share=0.4))
    examples = examples_from_synth(ds)
    assert {e.exercise for e in examples} == set(EXERCISES)
    cfg = TrainConfig(epochs=2, batch_size=8, patience=5, net={"width": 8, "dilations": (1,)})
    _, history = train_scorer("cnn1d", examples[:30], examples[30:], EXERCISES,
                              list(FAULT_COLUMNS), cfg)
    assert all(math.isfinite(h["val_score_mae"]) and math.isfinite(h["train_loss"])
               for h in history)


def test_frames_before_the_person_walks_in_are_not_read():
    """Empty frames at the ends change nothing but the reported frame numbers."""
    feats = squat_features()
    pad = 30
    values = np.concatenate([np.zeros((30, pad), np.float32), feats.values], axis=1)
    found = np.concatenate([np.zeros((15, pad), bool), feats.found], axis=1)
    late = ClipFeatures(values, found, 15.0, (0.0, 0.0), 1.0)
    net = CNN1D(3, len(FAULT_COLUMNS), width=8, dilations=(1, 2)).eval()
    s = Scorer("cnn1d", net, EXERCISES, list(FAULT_COLUMNS), FEATURES, {}, {})
    a, b = predict(s, feats, exercise="squat"), predict(s, late, exercise="squat")
    assert a.exercise_probs == pytest.approx(b.exercise_probs) and a.score == pytest.approx(b.score)
    assert [(r.start + pad, r.end + pad) for r in a.reps] == [(r.start, r.end) for r in b.reps]
    assert len(a.reps) >= 1
