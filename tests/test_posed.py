"""Rendered synthetic clips read by the real pose estimator (synth/posed.py) and the noise fit
(synth/noise_fit.py): what a clip file holds, resuming, and the report's counts."""

import dataclasses
import os

import numpy as np
import pytest

from fitscore_core.cli import build_parser, cmd_synth_noise_report, cmd_synth_posed
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.synth import conditions, posed
from fitscore_core.synth.dataset import FAULT_COLUMNS, RealWorld, _clip, _trim_holds
from fitscore_core.synth.exercises import EXERCISES, UNKNOWN
from fitscore_core.synth.noise_fit import format_noise_report, noise_report, swaps
from fitscore_core.synth.posed import PosedClip, PosedSettings, clip_path, load_posed, make_posed

# Two tiny clips (1 rep, <= 1.5 s, <= 320 px); seed 2's first clip is framed tight on the
# left, so the crop offset is exercised, its second one is whole.
SEED = 2
TINY = PosedSettings(max_reps=1, max_seconds=1.5, max_side=320, exercises=("jumping_jack",))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("posed")
    run = make_posed(2, seed=SEED, out=out, settings=TINY)
    assert (run.made, run.skipped) == (2, 0)
    return out


def test_clip_files_hold_backend_output_truth_and_labels(folder):
    with np.load(clip_path(folder, 0)) as z:
        keys = set(z.files)
    assert {"keypoints", "truth", "hidden", "noise_keypoints", "fps", "size", "exercise",
            "score", "rep_ranges", "rep_scores", "rep_fault_severity", "subject",
            "yaw_deg"} <= keys
    clips = load_posed(folder)
    assert [c.index for c in clips] == [0, 1]
    for c in clips:
        t = c.n_frames
        assert c.keypoints.shape == c.truth.shape == c.noise_keypoints.shape == (t, 25, 3)
        assert c.hidden.shape == (t, 25) and 0 <= c.hidden.min() and c.hidden.max() <= 1
        assert t <= 3.0 * c.fps and max(c.size) <= 320      # one short rep, small frames
        seen = c.truth[..., 2] > 0
        assert ((c.truth[..., 0][seen] < c.size[0]) & (c.truth[..., 1][seen] < c.size[1])).all()
        # the labels are those the data set gives clip i of the seed (same rng draws)
        _, lab = _clip(SEED, c.index, TINY.exercises, TINY.n_subjects, RealWorld())
        assert (c.exercise, c.subject) == (lab["exercise"], lab["subject"])
        assert c.yaw_deg == pytest.approx(lab["yaw"])
        assert c.exercise in EXERCISES or c.exercise == UNKNOWN
        assert len(c.rep_scores) == len(c.rep_ranges) == 1
        assert 0 <= c.rep_ranges[0, 0] < c.rep_ranges[0, 1] <= t
        assert c.rep_fault_severity.shape == (1, len(FAULT_COLUMNS))
        assert c.fault_columns == FAULT_COLUMNS
        seq = c.pose_sequence()
        assert isinstance(seq, PoseSequence) and seq.fps == c.fps and seq.size == c.size
        assert seq.backend.startswith("mediapipe")
    assert clips[0].framing == "tight-left" and clips[1].framing == "whole"


def test_backend_sees_the_drawn_person_where_the_truth_is(folder):
    """Image and truth went through the same scale, roll and crop: MediaPipe's joints land
    on the truth (a shifted crop or a roll the wrong way round would move them by far more)."""
    for c in load_posed(folder):
        found = (c.keypoints[..., 2] > 0).any(axis=1)
        assert found.mean() > 0.8
        both = (c.truth[found, :15, 2] > 0) & (c.hidden[found, :15] < 0.5)
        err = np.linalg.norm(c.keypoints[found, :15, :2] - c.truth[found, :15, :2], axis=2)
        assert np.median(err[both]) / c.torso_px < 0.15


def test_a_second_run_skips_finished_clips(folder, monkeypatch):
    class Broken:
        def __init__(self, *a, **k):
            raise RuntimeError("the backend must not be started")

    monkeypatch.setattr(posed, "MediaPipeBackend", Broken)
    before = [os.stat(clip_path(folder, i)).st_mtime_ns for i in range(2)]
    run = make_posed(2, seed=SEED, out=folder, settings=TINY)
    assert (run.made, run.skipped) == (0, 2)
    assert [os.stat(clip_path(folder, i)).st_mtime_ns for i in range(2)] == before
    with pytest.raises(RuntimeError):           # a missing clip does need the backend
        make_posed(3, seed=SEED, out=folder, settings=TINY)
    assert not clip_path(folder, 2).exists()
    with pytest.raises(FitScoreError, match="other settings"):
        make_posed(2, seed=SEED + 1, out=folder, settings=TINY)


def test_an_interrupted_write_leaves_no_file(folder, tmp_path, monkeypatch):
    clip = load_posed(folder)[0]

    def fail(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", fail)
    with pytest.raises(KeyboardInterrupt):
        posed.save_clip(clip, tmp_path / "clip_000000.npz")
    assert list(tmp_path.iterdir()) == []


def test_shortened_clips_keep_the_movement_and_trim_the_idle_ends():
    joints = np.arange(100, dtype=float)[:, None, None] * np.ones((1, 25, 3))
    out, lead = _trim_holds(joints, 30, 50, 70)            # 30 idle + 50 moving + 20 idle
    assert (len(out), lead) == (70, 12)
    np.testing.assert_array_equal(out[lead:lead + 50], joints[30:80])
    assert _trim_holds(joints, 30, 50, 200)[0] is joints
    plan = posed.plan_clip(0, 0, PosedSettings(max_reps=4, max_seconds=6.0))
    assert len(plan.labels["rep_scores"]) <= 4
    assert len(plan.joints3d) <= 6.0 * plan.labels["fps"] or len(plan.labels["rep_scores"]) == 1


def test_roll_and_crop_of_images_match_the_keypoints():
    kps = np.zeros((1, 25, 3), np.float32)
    kps[0, :, 0] = np.linspace(20, 300, 25)
    kps[0, :, 1] = np.linspace(200, 30, 25)
    kps[..., 2] = 1
    size = (320, 240)
    rolled = conditions.roll(kps, size, 7.0)
    m = posed.roll_matrix(size, 7.0)
    by_matrix = kps[0, :, :2] @ m[:, :2].T + m[:, 2]
    np.testing.assert_allclose(by_matrix, rolled[0, :, :2], atol=1e-3)
    cut, new = conditions.cut_frame(kps, size, left_x=40.0, top_y=12.0)
    assert posed.crop_offset(kps, cut) == pytest.approx((40.0, 12.0))
    box = posed.crop_box((40.0, 12.0), new, 0.5, (160, 120))
    assert (box.x0, box.y0, box.width, box.height) == (20, 6, 140, 114)


def _hand_made_clip() -> PosedClip:
    """A standing front-view person over 10 frames; the "backend" is the truth moved by 0.02
    torso lengths, with both wrists swapped in frames 2-3, nobody found in frame 7, and the
    left elbow hidden throughout with visibility 0.1."""
    t = 10
    truth = np.zeros((t, 25, 3), np.float32)
    xy = {0: (160, 40), 1: (160, 70), 2: (130, 70), 3: (120, 105), 4: (115, 140),
          5: (190, 70), 6: (200, 105), 7: (205, 140), 8: (160, 170), 9: (145, 170),
          10: (145, 220), 11: (145, 270), 12: (175, 170), 13: (175, 220), 14: (175, 270)}
    for j, (x, y) in xy.items():
        truth[:, j, :2] = (x, y)
    truth[:, :15, 2] = 1
    truth[:, :, 0] += np.arange(t)[:, None] * 2.0       # walking right: not a held pose
    truth[:, 15:] = 0
    torso = 100.0
    det = truth.copy()
    det[..., 0] += 2.0 * (truth[..., 2] > 0)
    det[..., 2] = np.where(truth[..., 2] > 0, 0.9, 0.0)
    det[2:4, [4, 7]] = det[2:4, [7, 4]]
    det[7] = 0
    hidden = np.zeros((t, 25), np.float32)
    hidden[:, 6] = 1.0
    det[det[:, 6, 2] > 0, 6, 2] = 0.1
    return PosedClip(
        keypoints=det, truth=truth, hidden=hidden, noise_keypoints=truth.copy(), fps=30.0,
        size=(320, 320), torso_px=torso, exercise="squat", score=90.0,
        rep_ranges=np.array([[0, 10]], np.int32), rep_scores=np.array([90.0], np.float32),
        rep_fault_severity=np.zeros((1, len(FAULT_COLUMNS)), np.float32),
        fault_severity=np.zeros(len(FAULT_COLUMNS), np.float32), fault_columns=FAULT_COLUMNS,
        subject=0, yaw_deg=0.0, pitch_deg=0.0, roll_deg=0.0, framing="whole", seed=0,
        index=0, backend="hand-made", seconds=0.0)


def test_report_counts_swaps_losses_and_hidden_joints():
    clip = _hand_made_clip()
    sw, checked = swaps(clip.keypoints, clip.truth, clip.torso_px)
    assert sw.nonzero()[0].tolist() == [2, 3]
    assert checked.sum() == 9                          # every frame but the lost one
    report = noise_report([clip])
    b, m = report["sources"]["backend"], report["sources"]["noise_model"]
    assert (b["swaps"]["count"], b["swaps"]["of"]) == (2, 9)
    assert b["swaps"]["mean_run"] == 2.0 and b["swaps"]["clips_with_swaps"] == 1
    assert (b["lost_frames"]["count"], b["lost_frames"]["of"]) == (1, 10)
    assert m["swaps"]["count"] == 0 and m["lost_frames"]["count"] == 0
    assert b["joints"]["Neck"]["median"] == pytest.approx(0.02, abs=1e-4)
    assert b["joints"]["RWrist"]["p90"] > 0.5           # the swapped frames
    assert b["joints"]["LElbow"]["n"] == 0               # hidden: no position error
    assert m["all"]["median"] == 0.0
    vis = b["visibility"]["arms"]
    assert vis["hidden_mean"] == pytest.approx(0.1) and vis["hidden_ge_0.3"] == 0.0
    assert vis["shown_mean"] == pytest.approx(0.9)
    text = format_noise_report(report)
    assert "RWrist" in text and "2 of 9" in text and "1 of 10" in text


def test_report_on_posed_clips_is_finite(folder, capsys):
    clips = load_posed(folder)
    report = noise_report(clips)
    for source in report["sources"].values():
        assert np.isfinite([source["all"]["median"], source["all"]["p90"],
                            source["visibility"]["all"]["shown_mean"]]).all()
        assert 0 <= source["lost_frames"]["rate"] <= 1
    args = build_parser().parse_args(["synth", "noise-report", str(folder)])
    assert args.run is cmd_synth_noise_report
    args.run(args)
    assert "| Nose |" in capsys.readouterr().out
    args = build_parser().parse_args(["synth", "posed", "--n", "2", "--out", str(folder)])
    assert args.run is cmd_synth_posed and (args.n, args.seed) == (2, 0)


def test_posed_clips_train_on_the_training_side_only(folder, tmp_path):
    """examples_from_posed keeps each clip's person as its group; run_training adds the posed
    clips of training-side people to the training clips and never to validation or test."""
    from fitscore_core.scorers.train_job import run_training
    from fitscore_core.scorers.training import (
        TrainConfig,
        examples_from_posed,
        examples_from_synth,
        split_by_group,
    )
    from fitscore_core.synth.dataset import generate_dataset
    extra = examples_from_posed(load_posed(folder))
    assert len(extra) == 2
    for e, c in zip(extra, load_posed(folder)):
        assert e.values.shape[0] == 30 and e.group == f"subject-{c.subject}"
        assert e.exercise == c.exercise and 0 <= e.rep_ranges.min() < e.rep_ranges.max()
    base = examples_from_synth(generate_dataset(24, seed=SEED, exercises=TINY.exercises,
                                                n_subjects=TINY.n_subjects))
    train, val, test = split_by_group(base, 0)
    sides = {e.group: k for k, part in enumerate((train, val, test)) for e in part}
    # one posed clip of a training person, one of a held-out person
    on_train = dataclasses.replace(extra[0], group=train[0].group)
    held_out = dataclasses.replace(extra[1], group=(val or test)[0].group)
    assert sides[on_train.group] == 0 and sides[held_out.group] != 0
    cfg = TrainConfig(epochs=1, batch_size=8, net={"width": 8, "dilations": (1,)})
    _, card = run_training("cnn1d", base, list(TINY.exercises), list(FAULT_COLUMNS), {},
                           tmp_path / "m.pt", cfg, extra_train=[on_train, held_out])
    assert card["training_data"]["train_clips"] == len(train) + 1
    assert card["training_data"]["posed_train_clips"] == 1
    assert card["training_data"]["test_clips"] == len(test)


def test_train_refuses_posed_clips_of_other_people(folder, capsys):
    from fitscore_core.cli import main
    code = main(["train", "--model", "cnn1d", "--data", "synth", "--n", "40", "--epochs", "1",
                 "--posed", str(folder), "--out", os.devnull])
    assert code == 2 and "seed 2 with 1000 people" in capsys.readouterr().err
