"""Analysis, batch scoring and evaluation plumbing, with tiny untrained scorers (the shipped
models are never trained in tests): shapes, keys, errors and agreement with the core."""

import csv
import json
import os

import numpy as np
import pytest
from test_scorers import _tiny_scorer

from fitscore_core.analysis import analyze, load_scorers
from fitscore_core.batch import COLUMNS, run_batch
from fitscore_core.cli import main
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.openpose_json import write_openpose
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.scorers.evaluation import evaluate, roc_auc
from fitscore_core.scorers.training import examples_from_synth
from fitscore_core.synth.dataset import generate_dataset


@pytest.fixture(scope="module")
def squat_json(tmp_path_factory):
    """Ground-truth keypoints of the committed squat sample, as OpenPose JSON."""
    truth = np.load("sample_videos/ground_truth/squat_good.npz")["keypoints"]
    folder = tmp_path_factory.mktemp("json") / "squat_good"
    write_openpose(PoseSequence(truth, 30.0, (640, 480), "squat_good"), folder, "squat_good")
    return folder


def test_analysis_json_has_the_promised_keys(models_dir, squat_json):
    result = analyze(squat_json, load_scorers(models_dir))
    data = result.to_json()
    assert set(data["models"]) == {"cnn1d", "lstm"}
    for model in data["models"].values():
        assert {"exercise", "exercise_probs", "score", "faults", "reps"} <= set(model)
        assert abs(sum(model["exercise_probs"].values()) - 1) < 1e-3
    assert data["frames"] == 284 and data["fps"] == 30.0 and data["pose_backend"]
    assert data["duration_s"] == pytest.approx(284 / 30, abs=1e-3)
    forced = analyze(squat_json, load_scorers(models_dir), exercise="squat")
    assert all(p.exercise == "squat" for p in forced.predictions.values())
    assert len(forced.predictions["cnn1d"].reps) == 3   # the clip has 3 squats


def test_cli_analyze_writes_json(models_dir, squat_json, tmp_path, capsys):
    out = tmp_path / "a.json"
    assert main(["analyze", str(squat_json), "--models", str(models_dir), "--json",
                 str(out)]) == 0
    text = capsys.readouterr().out
    assert "cnn1d" in text and "lstm" in text and "score" in text
    assert json.loads(out.read_text())["models"]["lstm"]["score"] >= 0


def test_missing_models_is_a_clear_error(tmp_path):
    with pytest.raises(FitScoreError, match="No trained model cnn1d, lstm"):
        load_scorers(tmp_path)


def test_batch_goes_on_after_a_bad_input(models_dir, squat_json, tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / "broken.mp4").write_text("not a video")
    import shutil
    shutil.copytree(squat_json, folder / "squat_good")
    out = tmp_path / "results.csv"
    rows = run_batch(folder, out, models_dir=models_dir)
    with out.open() as f:
        written = list(csv.DictReader(f))
    assert tuple(written[0].keys()) == COLUMNS and len(written) == len(rows) == 2
    broken = next(r for r in written if r["path"] == "broken.mp4")
    assert "not a video" in broken["error"] and broken["cnn1d_score"] == ""
    good = next(r for r in written if r["path"] == "squat_good")
    assert good["error"] == "" and 0 <= float(good["lstm_score"]) <= 100


def test_batch_csv_paths_are_relative_to_the_csv_and_match_analyze(models_dir, squat_json,
                                                                   tmp_path):
    import shutil
    (tmp_path / "lists" / "clips").mkdir(parents=True)
    shutil.copytree(squat_json, tmp_path / "lists" / "clips" / "squat_good")
    listing = tmp_path / "lists" / "gym.csv"
    listing.write_text("path,client\nclips/squat_good,ana\nclips/gone.mp4,bo\n")
    out = tmp_path / "results.csv"
    run_batch(listing, out, exercise="squat", models_dir=models_dir)
    with out.open() as f:
        good, gone = list(csv.DictReader(f))
    assert good["path"] == "clips/squat_good" and good["error"] == ""
    single = analyze(squat_json, load_scorers(models_dir), exercise="squat").predictions
    for model in ("cnn1d", "lstm"):
        assert good[f"{model}_exercise"] == "squat"
        assert float(good[f"{model}_score"]) == pytest.approx(single[model].score, abs=0.05)
    assert int(good["reps"]) == len(single["cnn1d"].reps)
    assert gone["path"] == "clips/gone.mp4" and "does not exist" in gone["error"]


def test_batch_csv_needs_a_path_column(tmp_path):
    bad = tmp_path / "list.csv"
    bad.write_text("file\nx.mp4\n")
    with pytest.raises(FitScoreError, match="no 'path' column"):
        run_batch(bad, tmp_path / "out.csv")


def test_evaluate_reports_every_metric_per_view():
    scorer = _tiny_scorer()
    report = evaluate(scorer, examples_from_synth(generate_dataset(24, seed=9)))
    m = report["all"]
    assert m["clips"] == 24
    assert {"exercise_accuracy", "score_mae", "score_spearman", "fault_macro_f1", "faults",
            "confusion"} <= set(m)
    assert sum(v for row in m["confusion"].values() for v in row.values()) == 24
    assert set(report) - {"all"} <= {"front", "diagonal", "side"}


def test_roc_auc():
    y = np.array([0, 0, 1, 1], bool)
    assert roc_auc(y, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert roc_auc(y, np.array([0.9, 0.8, 0.2, 0.1])) == 0.0
    assert roc_auc(np.array([1, 1], bool), np.array([0.3, 0.4])) is None


def test_cli_analyze_with_the_builtin_reference_adds_comparison_and_feedback(
        models_dir, squat_json, tmp_path, capsys):
    out = tmp_path / "a.json"
    assert main(["analyze", str(squat_json), "--models", str(models_dir), "--exercise",
                 "squat", "--reference", "builtin", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "compared with built-in squat" in text and "joints that differ most" in text
    assert "feedback:" in text
    comparison = json.loads(out.read_text())["comparison"]
    assert len(comparison["joints"]) == 15 and comparison["joints"][0]["rank"] == 1
    assert comparison["worst_moments"]
    assert {"left knee", "right hip", "trunk lean"} <= set(comparison["angles"])
    assert comparison["feedback"] and all(f["text"] for f in comparison["feedback"])


def test_a_clip_compared_with_itself_differs_nowhere(models_dir, squat_json):
    from fitscore_core.analysis import with_reference
    scorers = load_scorers(models_dir)
    result = with_reference(analyze(squat_json, scorers, exercise="squat"), squat_json, scorers)
    assert result.comparison.joints[0].p90 < 1e-3
    assert result.comparison.reference_source == "squat_good"


def test_attributions_join_the_analysis_for_both_models(models_dir, squat_json):
    from fitscore_core.analysis import with_attributions, with_reference
    scorers = load_scorers(models_dir)
    result = with_reference(analyze(squat_json, scorers, exercise="squat"), "builtin", scorers)
    explained = with_attributions(result, scorers)
    assert set(explained.attributions) == {"cnn1d", "lstm"}
    for name, a in explained.attributions.items():
        assert a.joint_time.shape == (15, result.model_features.n_frames)
        assert a.score == pytest.approx(result.predictions[name].score, abs=1e-3)


def test_an_interrupted_batch_keeps_the_previous_result_and_its_own_rows(models_dir,
                                                                          squat_json, tmp_path,
                                                                          monkeypatch):
    import shutil

    import fitscore_core.batch_clip as batch  # where each clip is analysed
    folder = tmp_path / "clips"
    folder.mkdir()
    for name in ("a", "b", "c"):
        shutil.copytree(squat_json, folder / name)
    out = tmp_path / "results.csv"
    out.write_text("the previous results\n")
    real, calls = batch.analyze, []

    def dies_on_the_second(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)
    monkeypatch.setattr(batch, "analyze", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        run_batch(folder, out, models_dir=models_dir)
    assert out.read_text() == "the previous results\n"          # never destroyed
    partial = tmp_path / ".results.csv.partial"
    with partial.open() as f:
        assert [r["path"] for r in csv.DictReader(f)] == ["a"]    # what it did is kept
    assert not (tmp_path / ".results.csv.lock").exists()
    monkeypatch.setattr(batch, "analyze", real)
    run_batch(folder, out, models_dir=models_dir)                 # complete: replaces it
    with out.open() as f:
        assert [r["path"] for r in csv.DictReader(f)] == ["a", "b", "c"]
    assert not partial.exists()


def test_a_second_batch_on_the_same_out_is_refused_while_the_first_runs(models_dir,
                                                                       squat_json, tmp_path):
    import shutil
    import subprocess
    import sys
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copytree(squat_json, folder / "a")
    out = tmp_path / "results.csv"
    lock = tmp_path / ".results.csv.lock"
    lock.write_text(str(os.getpid()))                             # a live writer: this one
    with pytest.raises(FitScoreError, match=f"another batch \\(process {os.getpid()}\\)"):
        run_batch(folder, out, models_dir=models_dir)
    assert not out.exists()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    lock.write_text(dead)                                          # its writer died
    run_batch(folder, out, models_dir=models_dir)
    assert out.exists() and not lock.exists()
