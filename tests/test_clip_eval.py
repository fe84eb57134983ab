"""Evaluation on labelled clips (`evaluate --data LABELS.csv`, `bench real`): the CSV's
checks, the metrics on hand-made answers, and the whole command on small generated clips
(OpenPose JSON written from the samples' ground truth, and two committed sample videos)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import fitscore_core.clip_eval as clip_eval
import fitscore_core.pose.backends as backends
from fitscore_core.analysis import load_scorers
from fitscore_core.cli import main
from fitscore_core.clip_eval import (
    ClipResult,
    EvalLabel,
    ModelAnswer,
    clip_metrics,
    evaluate_clips,
    expected_answer,
    expected_calibration_error,
    format_clip_report,
    read_eval_labels,
)
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.openpose_json import write_openpose
from fitscore_core.pose.sequence import PoseSequence

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"


def keypoint_clip(folder: Path, sample: str) -> Path:
    """A sample's ground-truth keypoints as an OpenPose JSON folder (no pose estimator)."""
    kps = np.load(SAMPLES / "ground_truth" / f"{sample}.npz")["keypoints"].astype(np.float32)
    write_openpose(PoseSequence(kps, 30.0, (640, 480)), folder / sample, name=sample)
    return folder / sample


@pytest.fixture(scope="module")
def scorers():
    return load_scorers()


@pytest.fixture(scope="module")
def pose_cache(tmp_path_factory):
    """One cache folder for the module: the CLI test fills it, later tests reuse it."""
    return tmp_path_factory.mktemp("poses")


# ---------------------------------------------------------------------------- labels

def write_csv(folder: Path, text: str) -> Path:
    (folder / "a.mp4").write_bytes(b"x")
    path = folder / "labels.csv"
    path.write_text(text)
    return path


def test_labels_are_read_case_blind_with_good_and_bad(tmp_path):
    (tmp_path / "b.zip").write_bytes(b"x")
    csv_path = write_csv(tmp_path, "Path,Exercise,score,label,reps,rep_frames,fps\n"
                         "a.mp4,Push Up,,Correct,3,10;40;70,25\n"
                         "b.zip,SQUAT,20,,,,\n"
                         "\n"
                         "a.mp4,pull_up,,,0,,\n")
    a, b, c = read_eval_labels(csv_path)
    assert (a.exercise, a.good, a.reps, a.rep_frames, a.fps, a.row) == (
        "push_up", True, 3, (10, 40, 70), 25.0, 2)
    assert (b.exercise, b.score, b.good, b.reps, b.fps) == ("squat", 20.0, False, None, None)
    assert (c.row, c.good, c.reps) == (5, None, 0)           # the blank line still counts
    assert a.path == (tmp_path / "a.mp4").resolve() and a.label == "a.mp4"


@pytest.mark.parametrize("text, row, words", [
    ("path,score\na.mp4,50\n", 1, "missing column(s) exercise"),
    ("path,exercise\na.mp4,squat\nmissing.mp4,squat\n", 3, "does not exist"),
    ("path,exercise\n,squat\n", 2, "path is empty"),
    ("path,exercise\na.mp4,  \n", 2, "exercise is empty"),
    ("path,exercise,score\na.mp4,squat,120\n", 2, "0-100"),
    ("path,exercise,label\na.mp4,squat,great\n", 2, "label 'great'"),
    ("path,exercise,score,label\na.mp4,squat,0,correct\n", 2, "disagree"),
    ("path,exercise,reps\na.mp4,squat,two\n", 2, "reps 'two'"),
    ("path,exercise,reps,rep_frames\na.mp4,squat,3,1;2\n", 2, "rep_frames lists 2"),
    ("path,exercise,rep_frames\na.mp4,squat,1;x\n", 2, "rep_frames"),
    ("path,exercise,fps\na.mp4,squat,-5\n", 2, "fps '-5'"),
])
def test_every_bad_row_is_named(tmp_path, text, row, words):
    with pytest.raises(FitScoreError) as error:
        read_eval_labels(write_csv(tmp_path, text))
    assert f"labels.csv row {row}" in str(error.value) and words in str(error.value)


def test_a_header_without_clips_is_an_error(tmp_path):
    with pytest.raises(FitScoreError, match="no clips"):
        read_eval_labels(write_csv(tmp_path, "path,exercise\n"))


# ---------------------------------------------------------------------------- metrics

def result(exercise, answer, confidence, score=50.0, good=None, reps=None, pred_reps=0,
           expected=None, error=""):
    expected = expected or exercise
    answers = {} if error else {"m": ModelAnswer(answer, confidence, score, pred_reps, expected)}
    return ClipResult(f"{exercise}.mp4", exercise, {"m": expected}, good, reps, answers, error)


def test_ece_by_hand():
    # bin 0.9-1.0: confidences 0.95, 0.95, accuracy 1/2 -> |0.5 - 0.95| = 0.45, weight 2/4
    # bin 0.6-0.7: confidences 0.6, 0.6, accuracy 1 -> |1 - 0.6| = 0.4, weight 2/4
    conf = np.array([0.95, 0.95, 0.6, 0.6])
    right = np.array([True, False, True, True])
    assert expected_calibration_error(conf, right) == pytest.approx(0.5 * 0.45 + 0.5 * 0.4)
    assert expected_calibration_error(np.array([1.0]), np.array([True])) == pytest.approx(0.0)
    assert expected_calibration_error(np.array([]), np.array([], bool)) is None


def test_metrics_on_hand_made_answers():
    rows = [
        result("push_up", "push_up", 0.95, score=90, good=True, reps=4, pred_reps=4),
        result("push_up", "push_up", 0.95, score=70, good=False, reps=5, pred_reps=4),
        result("push_up", "squat", 0.95, score=80, good=True, reps=2, pred_reps=5),
        result("push_up", "push_up", 0.6, score=60, good=False),
        result("pull_up", "push_up", 0.6, expected="unknown", reps=4, pred_reps=4),
        result("pull_up", "unknown", 0.4, expected="unknown"),
        result("push_up", "", 0.0, good=True, reps=3, error="nobody in the clip"),
    ]
    report = clip_metrics(rows, ["m"])
    m = report["models"]["m"]
    assert (report["clips"], report["failed"], m["clips"]) == (7, 1, 6)
    assert m["correct"] == 4 and m["exercise_accuracy"] == pytest.approx(4 / 6)
    # wrong at 0.95 (the squat answer) counts; wrong at 0.6 (push_up for a pull-up) does not
    assert m["confident_wrong"] == 1
    # bins: 0.9-1.0 {3 answers, 2 right}, 0.6-0.7 {2, 1 right}, 0.4-0.5 {1, 1 right}
    ece = 3 / 6 * abs(2 / 3 - 0.95) + 2 / 6 * abs(1 / 2 - 0.6) + 1 / 6 * abs(1 - 0.4)
    assert m["ece"] == pytest.approx(ece)
    assert m["confusion"] == {
        "push_up": {"push_up": 3, "squat": 1, "unknown": 0},
        "pull_up": {"push_up": 1, "squat": 0, "unknown": 1}}
    # good scores 90, 80 vs bad 70, 60: every good above every bad -> AUC 1
    assert m["good_vs_bad"] == {"push_up": {"good": 2, "bad": 2, "auc": pytest.approx(1.0),
                                            "no_score": 0}}
    # known reps (failed clip left out): 4/4, 4/5, 5/2, 4/4 -> exact 2/4, within one 3/4
    assert m["reps"]["clips"] == 4
    assert m["reps"]["exact"] == pytest.approx(0.5)
    assert m["reps"]["within_one"] == pytest.approx(0.75)
    assert m["reps"]["mean_relative_error"] == pytest.approx((0 + 1 / 5 + 3 / 2 + 0) / 4)
    text = format_clip_report(report)
    assert "7 clips, 1 failed" in text and "67%" in text and "unknown" in text


def test_auc_counts_a_wrong_ordering():
    rows = [result("squat", "squat", 1.0, score=s, good=g)
            for s, g in ((40, True), (60, False), (80, True), (20, False))]
    rows.append(result("squat", "unknown", 0.3, score=float("nan"), good=False))
    # pairs good > bad: 40>20, 80>60, 80>20 (3 of 4) -> 0.75; the unscored answer is not ranked
    g = clip_metrics(rows, ["m"])["models"]["m"]["good_vs_bad"]["squat"]
    assert g == {"good": 2, "bad": 2, "auc": pytest.approx(0.75), "no_score": 1}
    one_class = [result("squat", "squat", 1.0, good=True)] * 2
    g = clip_metrics(one_class, ["m"])["models"]["m"]["good_vs_bad"]["squat"]
    assert g == {"good": 2, "bad": 0, "auc": None, "no_score": 0}


# ---------------------------------------------------------------------------- running

def test_an_exercise_the_model_does_not_know_expects_unknown(tmp_path, scorers):
    assert expected_answer("squat", scorers["cnn1d"]) == "squat"
    assert expected_answer("pull_up", scorers["cnn1d"]) == "unknown"
    clip = keypoint_clip(tmp_path, "jumping_jack_good")
    (r,) = evaluate_clips([EvalLabel(clip, "jj", "pull_up")], scorers)
    assert r.expected == {"cnn1d": "unknown", "lstm": "unknown", "answer": "unknown"}
    assert not r.error
    for answer in r.answers.values():
        assert answer.expected == "unknown"
        assert answer.exercise in scorers["cnn1d"].exercises   # these models never say unknown
    assert clip_metrics([r], list(scorers))["models"]["lstm"]["exercise_accuracy"] == 0.0


def test_a_failing_clip_becomes_an_error_row(tmp_path, scorers):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video")
    good = keypoint_clip(tmp_path, "squat_good")
    progress = []
    results = evaluate_clips([EvalLabel(broken, "broken.mp4", "squat"),
                              EvalLabel(good, "squat_good", "squat", reps=3)], scorers,
                             progress=lambda d, t: progress.append((d, t)))
    assert results[0].error and results[0].answers == {}
    assert not results[1].error and results[1].answers["cnn1d"].exercise == "squat"
    assert progress == [(1, 2), (2, 2)]
    report = clip_metrics(results, list(scorers))
    assert report["failed"] == 1 and report["models"]["cnn1d"]["clips"] == 1


def test_fps_is_passed_for_keypoints_only(tmp_path, scorers, monkeypatch):
    seen = []
    real = clip_eval.load_sequence

    def spy(path, cache=None, fps=None):
        seen.append((Path(path).name, fps))
        seq = real(path, cache=cache, fps=fps)
        seen.append(seq.fps)
        return seq
    monkeypatch.setattr(clip_eval, "load_sequence", spy)
    keypoints = keypoint_clip(tmp_path, "jumping_jack_good")
    video = tmp_path / "v.mp4"
    video.write_bytes(b"not a video")
    (k, v) = evaluate_clips([EvalLabel(keypoints, "k", "jumping_jack", fps=60.0),
                             EvalLabel(video, "v", "jumping_jack", fps=60.0)], scorers)
    # the label's 60 fps wins over the sidecar's 30 for keypoints; a video keeps its own
    assert seen == [("jumping_jack_good", 60.0), 60.0, ("v.mp4", None)]
    assert not k.error and v.error


# ---------------------------------------------------------------------------- CLI

def real_clip_csv(folder: Path) -> Path:
    """A sample video (the one clip that needs the pose estimator) and two OpenPose JSON
    clips, one of them labelled with an exercise no model knows."""
    shutil.copy(SAMPLES / "push_up_good.mp4", folder / "push_up_good.mp4")
    keypoint_clip(folder, "jumping_jack_good")
    keypoint_clip(folder, "squat_good")
    path = folder / "labels.csv"
    path.write_text("path,exercise,score,label,reps\n"
                    "push_up_good.mp4,push_up,99,correct,3\n"
                    "jumping_jack_good,Jumping Jack,,good,4\n"
                    "squat_good,pull up,,,\n")
    return path


def test_evaluate_csv_end_to_end_and_the_cache_saves_the_second_run(tmp_path, pose_cache,
                                                                     capsys, monkeypatch):
    labels = real_clip_csv(tmp_path)
    out, per_clip = tmp_path / "report.json", tmp_path / "clips.csv"
    args = ["evaluate", "--data", str(labels), "--cache", str(pose_cache)]
    assert main(args + ["--json", str(out), "--per-clip", str(per_clip)]) == 0
    text = capsys.readouterr().out
    assert "3 clips, 0 failed" in text and "accuracy" in text and "1 estimated" in text
    report = json.loads(out.read_text())
    assert [c["exercise"] for c in report["clips"]] == ["push_up", "jumping_jack", "pull_up"]
    assert [c["expected"] for c in report["clips"]] == ["push_up", "jumping_jack", "unknown"]
    cnn = report["metrics"]["models"]["cnn1d"]
    # the sample clips are recognised; no model can answer "unknown" for the pull-up row
    assert cnn["correct"] == 2 and cnn["confusion"]["pull_up"]["unknown"] == 0
    assert per_clip.read_text().splitlines()[0].startswith("path,exercise,expected,good,reps")

    def no_pose(*a, **k):
        raise AssertionError("the pose estimator ran although the cache has the clip")
    monkeypatch.setattr(backends, "extract_poses", no_pose)
    monkeypatch.setattr(backends, "estimate_poses", no_pose)   # what the cache calls
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "3 clips, 0 failed" in text and "1 clip(s) found, 0 estimated" in text


def test_evaluate_synth_still_needs_a_model(capsys):
    assert main(["evaluate", "--data", "synth"]) == 2
    assert "--model is required" in capsys.readouterr().err


def test_bench_real_without_the_folder_says_so(capsys):
    assert main(["bench", "real", "--real", "/nonexistent/real"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "/nonexistent/real" in out[0] and "does not exist" in out[0]


def test_bench_real_on_a_folder_with_only_the_curl(tmp_path, pose_cache, capsys, monkeypatch):
    """A copy of a sample under the curl's name: its pose comes from the cache (same bytes)."""
    real = tmp_path / "real"
    real.mkdir()
    shutil.copy(SAMPLES / "push_up_good.mp4", real / "bicep_curl_side.mp4")
    if not any(pose_cache.glob("*.npz")):       # run alone: fill the cache first
        from fitscore_core.pose.cache import PoseCache
        PoseCache(pose_cache).poses(real / "bicep_curl_side.mp4")
    for estimator in ("extract_poses", "estimate_poses"):
        monkeypatch.setattr(backends, estimator, lambda *a, **k: pytest.fail("pose ran"))
    out_json = tmp_path / "real.json"
    assert main(["bench", "real", "--real", str(real), "--cache", str(pose_cache),
                 "--json", str(out_json)]) == 0
    text = capsys.readouterr().out
    assert text.count("is missing; that set is skipped") == 2
    table = [line for line in text.splitlines() if line.startswith("| bicep_curl_side.mp4")]
    assert len(table) == 3 and all("answered push_up" in line for line in table)
    assert [line.split("|")[2].strip() for line in table] == ["cnn1d", "lstm",
                                                              "both (the answer)"]
    assert json.loads(out_json.read_text())["sets"]["bicep_curl_side"]["metrics"]["clips"] == 1
