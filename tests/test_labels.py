"""Training on a user's own labelled clips (LABELS.csv): checks that name the row, examples
labelled from the clip, heads that grow for a new exercise, group K-fold with out-of-fold
predictions, and the CLI. Clips are synthetic OpenPose JSON (no video, no MediaPipe); nets
are tiny and train for a couple of epochs."""

import csv

import numpy as np
import pytest
import torch

from fitscore_core.cli import main
from fitscore_core.config import FEATURES
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.openpose_json import write_openpose, write_openpose_zip
from fitscore_core.scorers.checkpoints import Scorer, load_scorer, save_scorer
from fitscore_core.scorers.labels import examples_from_labels, known_faults, read_labels, vocabulary
from fitscore_core.scorers.networks import CNN1D, LSTMScorer
from fitscore_core.scorers.train_job import (
    OOF_COLUMNS,
    cross_validate,
    group_folds,
    train_from_labels,
    write_oof,
)
from fitscore_core.scorers.training import FAULT_PRESENT, TrainConfig
from fitscore_core.synth.dataset import FAULT_COLUMNS, generate_dataset
from fitscore_core.synth.exercises import EXERCISES

TINY = {"width": 16, "dilations": (1, 2)}
CFG = TrainConfig(epochs=2, batch_size=8, net=TINY)
N_CLIPS = 12
NEW = "kettlebell_swing"        # an exercise the init checkpoint does not know
NEW_CLIPS = (3, 9)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny nets gain nothing from a second thread, and on a busy 2-core machine its
    spin-waiting makes each step ~50x slower; the setting is restored for other modules."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """A clinic folder: 12 synthetic clips (OpenPose zips, one JSON folder), a good
    LABELS.csv with 4 people, two clips relabelled as a new exercise with a new fault, and a
    tiny init checkpoint that knows the synthesizer's 8 exercises."""
    root = tmp_path_factory.mktemp("clinic")
    ds = generate_dataset(N_CLIPS, seed=5)
    lines = ["path,exercise,score,faults,group"]
    for i in range(N_CLIPS):
        seq = ds.pose_sequence(i)
        if i == 0:
            write_openpose(seq, root / "clips" / "c0", name="c0")
            label = "clips/c0"
        else:
            write_openpose_zip(seq, root / "clips" / f"c{i}.zip", name=f"c{i}")
            label = f"clips/c{i}.zip"
        exercise = str(ds.exercise[i])
        faults = [c.split(".", 1)[1] for c, s in zip(FAULT_COLUMNS, ds.fault_severity[i])
                  if c.startswith(exercise + ".") and s >= FAULT_PRESENT]
        if i in NEW_CLIPS:
            exercise, faults = NEW, (["hips_too_low"] if i == NEW_CLIPS[0] else [])
        lines.append(f"{label},{exercise},{float(ds.score[i]):.1f},{';'.join(faults)},"
                     f"person-{i % 4}")
    (root / "LABELS.csv").write_text("\n".join(lines) + "\n")
    torch.manual_seed(0)
    init = Scorer("cnn1d", CNN1D(len(EXERCISES), len(FAULT_COLUMNS), **TINY).eval(),
                  list(EXERCISES), list(FAULT_COLUMNS), FEATURES, dict(TINY), {})
    save_scorer(init, root / "init.pt")
    return root


@pytest.fixture(scope="module")
def loaded(clinic):
    init = load_scorer(clinic / "init.pt")
    rows = read_labels(clinic / "LABELS.csv", known_faults(init))
    exercises, faults = vocabulary(rows, init)
    return init, rows, exercises, faults, examples_from_labels(rows, faults)


def _labels(root, lines, name="bad.csv"):
    path = root / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_rows_vocabulary_and_heads_grow_from_init(loaded, clinic):
    init, rows, exercises, faults, _ = loaded
    assert len(rows) == N_CLIPS and rows[0].label == "clips/c0" and rows[0].path.is_dir()
    assert rows[1].path == (clinic / "clips" / "c1.zip").resolve() and rows[1].row == 3
    assert rows[5].group == "person-1"
    assert exercises == init.exercises + [NEW]
    assert faults == init.faults + [f"{NEW}.hips_too_low"]


def test_vocabulary_from_scratch_is_the_csv_exercises_with_their_known_faults(loaded):
    _, rows, _, _, _ = loaded
    exercises, faults = vocabulary(rows, None)
    assert exercises == list(dict.fromkeys(r.exercise for r in rows))
    known = [e for e in exercises if e in EXERCISES]
    assert faults == [f"{e}.{f}" for e in known for f in EXERCISES[e].fault_names] \
        + [f"{NEW}.hips_too_low"]


def test_examples_carry_the_clip_labels_on_every_rep(loaded):
    _, rows, _, faults, examples = loaded
    assert [e.source for e in examples] == [r.label for r in rows]
    for row, ex in zip(rows, examples):
        assert ex.values.shape[0] == 30 and ex.group == row.group
        assert len(ex.rep_ranges) >= 1 and ex.rep_faults.shape == (len(ex.rep_ranges),
                                                                    len(faults))
        assert np.all(ex.rep_scores == np.float32(row.score))
        own = [j for j, c in enumerate(faults) if c.startswith(row.exercise + ".")]
        listed = {faults.index(f"{row.exercise}.{f}") for f in row.faults}
        for j in range(len(faults)):
            expected = 1.0 if j in listed else 0.0 if j in own else None
            if expected is None:
                assert np.isnan(ex.rep_faults[:, j]).all()
            else:
                assert np.all(ex.rep_faults[:, j] == expected)
    new = examples[NEW_CLIPS[0]]
    assert new.exercise == NEW and np.all(new.rep_faults[:, faults.index(
        f"{NEW}.hips_too_low")] == 1.0)


def test_csv_with_a_bom_blank_lines_and_no_group_column(clinic):
    path = clinic / "plain.csv"
    path.write_text("\ufeffPath, Exercise ,score\nclips/c1.zip,squat,80\n\n"
                    "clips/c2.zip,lunge,70\nclips/c1.zip,squat,81\n")
    rows = read_labels(path, known_faults(None))
    assert [r.row for r in rows] == [2, 4, 5] and rows[0].faults == ()
    assert rows[0].group == rows[2].group == "clips/c1.zip"   # same source clip, same group


def test_names_are_read_as_a_spreadsheet_writes_them(clinic):
    path = _labels(clinic, ["path,exercise,score,faults",
                            "clips/c1.zip,Squat,80,Knees Caving In",
                            "clips/c2.zip,lunge ,70,"])
    rows = read_labels(path, known_faults(None))
    assert [r.exercise for r in rows] == ["squat", "lunge"]
    assert rows[0].faults == ("knees_caving_in",)


@pytest.mark.parametrize("lines, fragments", [
    (["path,exercise"], ["row 1 (header)", "missing column(s) score", "path, exercise"]),
    ([], ["is empty"]),
    (["path,exercise,score"], ["no clips"]),
    (["path,exercise,score", "clips/c1.zip,squat,80", "clips/nope.zip,lunge,70"],
     ["bad.csv row 3 (path clips/nope.zip)", "does not exist"]),
    (["path,exercise,score", "clips/c1.zip,squat,80", "clips/c2.zip,lunge,120"],
     ["bad.csv row 3 (path clips/c2.zip)", "score 120 is outside 0-100"]),
    (["path,exercise,score", "clips/c1.zip,squat,eighty", "clips/c2.zip,lunge,70"],
     ["bad.csv row 2 (path clips/c1.zip)", "'eighty' is not a number"]),
    (["path,exercise,score,faults", "clips/c1.zip,squat,80,knees_caving_in;knee_cave",
      "clips/c2.zip,lunge,70,"],
     ["bad.csv row 2 (path clips/c1.zip)", "unknown fault(s) knee_cave for squat",
      "knees_caving_in"]),
    (["path,exercise,score", "clips/c1.zip,squat,80", "clips/c2.zip,squat,70"],
     ["every clip is squat (a single class)", "at least 2 exercises"]),
    (["path,exercise,score", "clips/c1.zip,,80", "clips/c2.zip,squat,70"],
     ["bad.csv row 2 (path clips/c1.zip)", "exercise is empty"]),
], ids=["missing-column", "empty", "no-rows", "missing-path", "score-range", "score-nan",
        "unknown-fault", "single-class", "no-exercise"])
def test_bad_labels_name_the_row_and_the_problem(clinic, lines, fragments):
    path = _labels(clinic, lines)
    with pytest.raises(FitScoreError) as info:
        read_labels(path, known_faults(None))
    for fragment in fragments:
        assert fragment in str(info.value)


def test_new_exercise_may_bring_new_fault_names(clinic):
    path = _labels(clinic, ["path,exercise,score,faults", "clips/c1.zip,squat,80,",
                            f"clips/c2.zip,{NEW},70,hips_too_low; arms_bent"])
    rows = read_labels(path, known_faults(None))
    assert rows[1].faults == ("hips_too_low", "arms_bent")


def test_a_clip_that_fails_to_load_names_its_row(clinic):
    (clinic / "clips" / "broken.zip").write_bytes(b"not a zip")
    path = _labels(clinic, ["path,exercise,score", "clips/c1.zip,squat,80",
                            "clips/broken.zip,lunge,70"])
    rows = read_labels(path, known_faults(None))
    with pytest.raises(FitScoreError, match=r"bad\.csv row 3 \(path clips/broken\.zip\): "):
        examples_from_labels(rows, vocabulary(rows, None)[1])


def test_fine_tune_keeps_old_names_grows_heads_and_adopts_init_architecture(clinic, tmp_path):
    init = load_scorer(clinic / "init.pt")
    untrained = TrainConfig(epochs=0, net={})       # net={} would be the full-size default
    train_from_labels("cnn1d", clinic / "LABELS.csv", untrained, out=tmp_path / "t.pt",
                      init_path=clinic / "init.pt")
    transferred = load_scorer(tmp_path / "t.pt")
    assert transferred.config == init.config        # the init's tiny architecture, not {}
    old, new = init.net.heads.exercise.weight, transferred.net.heads.exercise.weight
    assert new.shape[0] == old.shape[0] + 1
    assert torch.equal(new[:old.shape[0]], old)     # shared rows start from the init

    job = train_from_labels("cnn1d", clinic / "LABELS.csv", CFG, out=tmp_path / "m.pt",
                            init_path=clinic / "init.pt")
    scorer = load_scorer(tmp_path / "m.pt")
    assert scorer.exercises == init.exercises + [NEW]
    assert scorer.faults[:len(init.faults)] == init.faults
    assert scorer.net.heads.faults.weight.shape[0] == len(init.faults) + 1
    data = job.card["training_data"]
    assert data["kind"] == "labelled clips" and data["clips"] == N_CLIPS
    assert data["clips_per_exercise"][NEW] == 2 and data["init"].endswith("init.pt")
    assert job.card["training"]["epochs_run"] == 2 and job.cv is None


def test_init_choices_are_checked(clinic, tmp_path):
    with pytest.raises(FitScoreError, match="--scratch and --init"):
        train_from_labels("cnn1d", clinic / "LABELS.csv", CFG, out=tmp_path / "m.pt",
                          init_path=clinic / "init.pt", scratch=True)
    lstm = Scorer("lstm", LSTMScorer(len(EXERCISES), len(FAULT_COLUMNS), hidden=8, layers=1),
                  list(EXERCISES), list(FAULT_COLUMNS), FEATURES, {"hidden": 8, "layers": 1},
                  {})
    save_scorer(lstm, tmp_path / "lstm.pt")
    with pytest.raises(FitScoreError, match="lstm.pt is a lstm checkpoint"):
        train_from_labels("cnn1d", clinic / "LABELS.csv", CFG, out=tmp_path / "m.pt",
                          init_path=tmp_path / "lstm.pt")
    with pytest.raises(FitScoreError, match="--out is required"):
        train_from_labels("cnn1d", clinic / "LABELS.csv", CFG)


def test_group_folds_keep_groups_whole_balanced_and_deterministic():
    groups = ["a"] * 4 + ["b"] * 3 + ["c", "d", "e", "f", "g"] + ["h"] * 2
    folds = group_folds(groups, 3, seed=0)
    assert folds == group_folds(groups, 3, seed=0)
    for g in set(groups):
        assert len({f for f, h in zip(folds, groups) if h == g}) == 1
    sizes = np.bincount(folds, minlength=3)
    assert sizes.max() - sizes.min() <= 1 and sizes.sum() == len(groups)
    for k in (1, 9):
        with pytest.raises(FitScoreError, match=f"--cv {k}: K must be from 2 to the number "
                                                "of groups \\(8"):
            group_folds(groups, k, seed=0)


def test_cross_validation_holds_out_whole_groups_and_writes_every_clip_once(loaded, tmp_path):
    init, rows, exercises, faults, examples = loaded
    cv = cross_validate("cnn1d", examples, exercises, faults, 3, CFG, init)
    held = {}
    for ex, p in zip(examples, cv.predictions):
        held.setdefault(p["fold"], set()).add(ex.group)
        assert p["pred_exercise"] in exercises and 0 <= p["pred_score"] <= 100
    assert sorted(held) == [1, 2, 3]
    for a in held:
        for b in held:
            assert a == b or not held[a] & held[b]
    assert [m["clips"] for m in cv.folds] and sum(m["clips"] for m in cv.folds) == N_CLIPS
    accuracies = [m["exercise_accuracy"] for m in cv.folds]
    assert cv.mean["exercise_accuracy"] == pytest.approx(np.mean(accuracies))
    assert cv.pooled["clips"] == N_CLIPS

    out = write_oof(tmp_path / "oof.csv", cv)
    with out.open(newline="") as f:
        table = list(csv.reader(f))
    assert tuple(table[0]) == OOF_COLUMNS == ("path", "exercise", "score", "pred_exercise",
                                              "pred_score")
    assert [r[0] for r in table[1:]] == [r.label for r in rows]
    assert [r[1] for r in table[1:]] == [r.exercise for r in rows]
    assert [float(r[2]) for r in table[1:]] == pytest.approx([r.score for r in rows])


def test_cli_cross_validates_end_to_end(clinic, tmp_path, capsys):
    oof = tmp_path / "oof.csv"
    assert main(["train", "--model", "cnn1d", "--data", str(clinic / "LABELS.csv"), "--cv",
                 "2", "--oof", str(oof), "--finetune", "--init", str(clinic / "init.pt"),
                 "--epochs", "1", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "2-fold cross-validation" in out and "\nmean " in out and "pooled" in out
    assert not list(tmp_path.glob("*.pt"))            # no --out: nothing but the OOF CSV
    with oof.open(newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == N_CLIPS and len({r["path"] for r in table}) == N_CLIPS


@pytest.mark.parametrize("extra, fragment", [
    ([], "bad.csv row 3 (path clips/nope.zip): "),
    (["--cv", "5"], "--cv 5: K must be from 2 to the number of groups (2"),
])
def test_cli_bad_labels_print_one_error_line_and_exit_2(clinic, capsys, extra, fragment):
    rows = ["clips/c1.zip,squat,80", "clips/nope.zip,lunge,70"] if not extra else \
        ["clips/c1.zip,squat,80", "clips/c2.zip,lunge,70"]
    path = _labels(clinic, ["path,exercise,score"] + rows)
    code = main(["train", "--model", "cnn1d", "--data", str(path), "--cv", "2", "--scratch",
                 "--threads", "1"] + extra)
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and fragment in err
    assert "Traceback" not in err
