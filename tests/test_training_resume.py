"""Resumable training: a run stopped after an epoch and started again ends with exactly the
weights and history of the run that was never stopped; a state left by another job is not
continued; the state file goes once the checkpoint is written. Tiny models, a few epochs."""

import pytest
import torch
from test_scorers import TINY  # the same tiny network sizes as the other training tests

from fitscore_core.scorers.resume import job_fingerprint, load_state, resume_path
from fitscore_core.scorers.train_job import run_training
from fitscore_core.scorers.training import TrainConfig, examples_from_synth, split_by_group, \
    train_scorer
from fitscore_core.synth.dataset import FAULT_COLUMNS, generate_dataset
from fitscore_core.synth.exercises import EXERCISES

EXS, FAULTS = list(EXERCISES), list(FAULT_COLUMNS)


@pytest.fixture(scope="module")
def split():
    train, val, _ = split_by_group(examples_from_synth(generate_dataset(40, seed=5)), seed=0,
                                   fractions=(0.7, 0.3, 0.0))
    return train, val


class Stop(Exception):
    pass


def stop_after(epoch: int):
    def progress(record: dict) -> None:
        if record["epoch"] == epoch:
            raise Stop      # as a Ctrl-C or the end of a session would, mid-run
    return progress


def same_weights(a, b) -> bool:
    sa, sb = a.net.state_dict(), b.net.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("name", ["cnn1d", "lstm"])
def test_a_run_stopped_and_started_again_ends_as_the_unstopped_run(name, split, tmp_path):
    train, val = split
    cfg = TrainConfig(epochs=4, batch_size=16, patience=10, net=TINY[name])
    whole, whole_history = train_scorer(name, train, val, EXS, FAULTS, cfg)
    state = tmp_path / "model.pt.resume"
    with pytest.raises(Stop):
        train_scorer(name, train, val, EXS, FAULTS, cfg, resume=state,
                     progress=stop_after(2))
    assert state.is_file()
    records = []
    resumed, history = train_scorer(name, train, val, EXS, FAULTS, cfg, resume=state,
                                    progress=records.append)
    assert [r["epoch"] for r in records] == [3, 4]               # only the epochs left
    assert records[0]["resumed_after"] == 2 and "resumed_after" not in records[1]
    assert [h["train_loss"] for h in history] == [h["train_loss"] for h in whole_history]
    assert same_weights(resumed, whole)


def test_a_state_of_another_job_is_not_continued(split, tmp_path):
    train, val = split
    cfg = TrainConfig(epochs=2, batch_size=16, patience=10, net=TINY["cnn1d"])
    state = tmp_path / "model.pt.resume"
    with pytest.raises(Stop):
        train_scorer("cnn1d", train, val, EXS, FAULTS, cfg, resume=state,
                     progress=stop_after(1))
    other = TrainConfig(epochs=2, batch_size=16, patience=10, lr=1e-3, net=TINY["cnn1d"])
    for job in ((cfg, train[:-1]), (other, train)):             # other data, other settings
        assert load_state(state, job_fingerprint("cnn1d", job[0], job[1], val, EXS, FAULTS)) \
            is None
    assert load_state(state, job_fingerprint("cnn1d", cfg, train, val, EXS, FAULTS))
    records = []
    train_scorer("cnn1d", train, val, EXS, FAULTS, other, resume=state,
                 progress=records.append)
    assert [r["epoch"] for r in records] == [1, 2]               # started afresh
    state.write_bytes(b"not a state")                            # a torn file
    assert load_state(state, "anything") is None


def test_the_state_file_goes_once_the_checkpoint_is_written(split, tmp_path):
    train, val = split
    out = tmp_path / "model.pt"
    cfg = TrainConfig(epochs=2, batch_size=16, patience=10, net=TINY["cnn1d"])
    examples = train + val
    with pytest.raises(Stop):
        run_training("cnn1d", examples, EXS, FAULTS, {"kind": "test"}, out, cfg,
                     progress=stop_after(1))
    assert resume_path(out).is_file() and not out.exists()
    records = []
    run_training("cnn1d", examples, EXS, FAULTS, {"kind": "test"}, out, cfg,
                 progress=records.append)
    assert [r["epoch"] for r in records] == [2]
    assert out.is_file() and not resume_path(out).exists()
