"""The scorers: padding never counts, training lowers the loss, checkpoints reload exactly,
foreign checkpoints are refused. Tiny models, a few steps: the shipped ones are never trained
here."""

import dataclasses

import numpy as np
import pytest
import torch

from fitscore_core.config import FEATURES
from fitscore_core.errors import FitScoreError
from fitscore_core.features import ClipFeatures
from fitscore_core.scorers.checkpoints import Scorer, load_scorer, save_scorer
from fitscore_core.scorers.networks import CNN1D, LSTMScorer
from fitscore_core.scorers.scoring import predict
from fitscore_core.scorers.training import (
    TrainConfig,
    examples_from_synth,
    split_by_group,
    train_scorer,
    window_labels,
)
from fitscore_core.synth.dataset import FAULT_COLUMNS, generate_dataset
from fitscore_core.synth.exercises import EXERCISES

TINY = {"cnn1d": {"width": 16, "dilations": (1, 2)}, "lstm": {"hidden": 16, "layers": 1}}


@pytest.fixture(scope="module")
def examples():
    return examples_from_synth(generate_dataset(60, seed=3))


@pytest.mark.parametrize("cls, kwargs", [(CNN1D, TINY["cnn1d"]), (LSTMScorer, TINY["lstm"])])
def test_same_clip_padded_to_different_n_gives_the_same_prediction(cls, kwargs):
    torch.manual_seed(0)
    net = cls(8, len(FAULT_COLUMNS), **kwargs).eval()
    clip = torch.randn(1, 30, 70)
    outs = []
    for n in (70, 150, 300):
        x = torch.zeros(1, 30, n)
        x[..., :70] = clip
        mask = torch.zeros(1, n, dtype=torch.bool)
        mask[:, :70] = True
        x[..., 70:] = 0
        outs.append(net(x, mask))
    for out in outs[1:]:
        for a, b in ((out.exercise_logits, outs[0].exercise_logits), (out.score, outs[0].score),
                     (out.fault_logits, outs[0].fault_logits)):
            assert torch.allclose(a, b, atol=1e-4)


@pytest.mark.parametrize("name", ["cnn1d", "lstm"])
def test_training_lowers_the_loss(name, examples):
    train, val, _ = split_by_group(examples, seed=0, fractions=(0.7, 0.3, 0.0))
    cfg = TrainConfig(epochs=4, batch_size=16, lr=3e-3, patience=10, net=TINY[name])
    _, history = train_scorer(name, train, val, list(EXERCISES), list(FAULT_COLUMNS), cfg)
    assert history[-1]["train_loss"] < 0.8 * history[0]["train_loss"]


def test_splits_keep_each_subject_on_one_side(examples):
    parts = split_by_group(examples, seed=1)
    groups = [{e.group for e in p} for p in parts]
    assert not (groups[0] & groups[1]) and not (groups[0] & groups[2])
    assert not (groups[1] & groups[2])
    assert sum(map(len, parts)) == len(examples)


def test_window_labels_come_from_the_reps_inside(examples):
    ex = next(e for e in examples if len(e.rep_ranges) >= 3 and np.ptp(e.rep_scores) > 1)
    (s0, e0), (s1, e1) = ex.rep_ranges[0], ex.rep_ranges[1]
    score, _ = window_labels(ex, s0, e0)
    assert score == pytest.approx(ex.rep_scores[0])
    score, _ = window_labels(ex, s0, e1)
    assert score == pytest.approx(ex.rep_scores[:2].mean())


def _tiny_scorer(name="cnn1d"):
    torch.manual_seed(1)
    net = (CNN1D if name == "cnn1d" else LSTMScorer)(8, len(FAULT_COLUMNS), **TINY[name]).eval()
    return Scorer(name, net, list(EXERCISES), list(FAULT_COLUMNS), FEATURES, TINY[name],
                  {"note": "test"})


@pytest.mark.parametrize("name", ["cnn1d", "lstm"])
def test_checkpoint_reloads_to_identical_outputs(name, tmp_path):
    scorer = _tiny_scorer(name)
    save_scorer(scorer, tmp_path / "m.pt")
    again = load_scorer(tmp_path / "m.pt")
    x, mask = torch.randn(2, 30, 150), torch.ones(2, 150, dtype=torch.bool)
    a, b = scorer.net(x, mask), again.net(x, mask)
    assert torch.equal(a.score, b.score) and torch.equal(a.fault_logits, b.fault_logits)
    assert again.card == {"note": "test"} and again.exercises == list(EXERCISES)


def test_foreign_checkpoints_are_refused(tmp_path):
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(FitScoreError, match="not a FitScore checkpoint"):
        load_scorer(tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"garbage")
    with pytest.raises(FitScoreError, match="not a FitScore checkpoint"):
        load_scorer(tmp_path / "junk.pt")

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))
    torch.save({"format": "fitscore-scorer", "x": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(FitScoreError, match="could not be read safely"):
        load_scorer(tmp_path / "evil.pt")


def test_checkpoint_from_other_feature_settings_is_refused(tmp_path):
    save_scorer(_tiny_scorer(), tmp_path / "m.pt")
    with pytest.raises(FitScoreError, match="other feature settings"):
        load_scorer(tmp_path / "m.pt", dataclasses.replace(FEATURES, n_frames=100))


def test_predict_on_a_clip_longer_than_n_and_on_a_tiny_clip():
    scorer = _tiny_scorer()
    t = np.arange(400)
    values = np.zeros((30, 400), np.float32)
    values[16:18] = -0.5 * (1 - np.cos(2 * np.pi * t / 40))  # 10 squats (down) of 40 frames
    values[2:4] = values[16:18]
    long = ClipFeatures(values, np.ones((15, 400), bool), 15.0, (0, 0), 1.0)
    p = predict(scorer, long, exercise="squat", source_fps=30.0)
    assert len(p.reps) == 10 and p.reps[-1].end > 700   # rep frames in the 30 fps source
    assert set(p.faults) == set(EXERCISES["squat"].fault_names)
    assert 0 <= p.score <= 100
    short = ClipFeatures(values[:, :5], np.ones((15, 5), bool), 15.0, (0, 0), 1.0)
    q = predict(scorer, short)
    assert q.low_confidence and "no complete repetition" in " ".join(q.reasons)
    with pytest.raises(FitScoreError, match="does not know the exercise 'yoga'"):
        predict(scorer, long, exercise="yoga")
