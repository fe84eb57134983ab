"""Batch at scale (issue 16): the resumable results store, --workers N, --engine ray.

Inputs are OpenPose JSON folders of the samples' ground truth (no pose estimator, fast) and
one broken file; the models are the tiny untrained ones of conftest. Ray runs as a local
runtime of 2 CPUs started by a fixture, for the few tests that need it.
"""

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import types
from pathlib import Path

import batch_crash
import numpy as np
import pytest

import fitscore_core.batch_clip as batch_clip
from fitscore_core.batch import run_batch
from fitscore_core.batch_clip import WORKER_DIED
from fitscore_core.batch_store import SCHEMA, store_path
from fitscore_core.cli import main
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.openpose_json import write_openpose
from fitscore_core.pose.sequence import PoseSequence

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ("squat_good", "push_up_good", "lunge_good", "bicep_curl_good")


def _json_clip(name: str, folder: Path, frames: int | None = None) -> Path:
    truth = np.load(ROOT / f"sample_videos/ground_truth/{name}.npz")["keypoints"][:frames]
    write_openpose(PoseSequence(truth, 30.0, (640, 480), name), folder / name, name)
    return folder / name


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Four short clips (OpenPose JSON folders) and a file that is not a video."""
    folder = tmp_path_factory.mktemp("clips")
    for name in SAMPLES:
        _json_clip(name, folder, frames=150)
    (folder / "broken.mp4").write_text("not a video")
    return folder


@pytest.fixture(scope="module")
def single(clips, models_dir, tmp_path_factory):
    """The reference: the CSV of one uninterrupted run in this process."""
    out = tmp_path_factory.mktemp("single") / "results.csv"
    run_batch(clips, out, models_dir=models_dir)
    return out.read_text()


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    from fitscore_core.batch_ray import start_ray
    start_ray(num_cpus=2)
    yield ray
    ray.shutdown()


def _counting(monkeypatch) -> list:
    """batch_clip.analyze replaced by itself plus a record of what it was asked to score."""
    calls, real = [], batch_clip.analyze

    def counted(path, *args, **kwargs):
        calls.append(Path(path).name)
        return real(path, *args, **kwargs)
    monkeypatch.setattr(batch_clip, "analyze", counted)
    return calls


# --- bad input that must cost nothing -----------------------------------------------------

def test_an_unreachable_ray_address_is_refused_before_anything_starts(clips, models_dir,
                                                                     tmp_path, capsys):
    out = tmp_path / "r.csv"
    started = time.perf_counter()
    code = main(["batch", str(clips), "--out", str(out), "--models", str(models_dir),
                 "--engine", "ray", "--address", "127.0.0.1:1"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "error: no Ray cluster answers at 127.0.0.1:1" in err and "ray start --head" in err
    assert time.perf_counter() - started < 30
    assert list(tmp_path.iterdir()) == []                 # no store, no partial, no lock
    assert "ray" not in sys.modules or not sys.modules["ray"].is_initialized()


def test_importing_fitscore_never_imports_ray():
    code = ("import sys, fitscore_core, fitscore_core.batch, fitscore_core.cli; "
            "assert 'ray' not in sys.modules, 'ray imported'")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_an_out_that_is_a_folder_or_cannot_be_written_is_refused(clips, models_dir, tmp_path,
                                                                capsys):
    with pytest.raises(FitScoreError, match="that is a folder"):
        run_batch(clips, tmp_path, models_dir=models_dir)
    # /proc takes no new file, not even from root (a chmod would not stop root)
    code = main(["batch", str(clips), "--out", "/proc/fitscore-results.csv", "--models",
                 str(models_dir)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "error: --out /proc/fitscore-results.csv: cannot write in its folder" in err


def test_a_store_that_cannot_be_used_is_a_clear_error(clips, models_dir, tmp_path):
    out = tmp_path / "r.csv"
    store_path(out).mkdir()                              # a folder where the store goes
    with pytest.raises(FitScoreError, match="results store .* cannot be used .*delete it"):
        run_batch(clips, out, models_dir=models_dir)
    store_path(out).rmdir()
    db = sqlite3.connect(store_path(out))
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA + 1),))
    db.commit()
    db.close()
    with pytest.raises(FitScoreError, match="written by another FitScore version"):
        run_batch(clips, out, models_dir=models_dir)
    assert not out.exists()


# --- resumable ------------------------------------------------------------------------------

def test_a_second_run_scores_only_what_is_missing(clips, models_dir, single, tmp_path,
                                                  monkeypatch):
    out = tmp_path / "r.csv"
    calls = _counting(monkeypatch)
    run_batch(clips, out, models_dir=models_dir)
    assert len(calls) == 5 and out.read_text() == single
    calls.clear()
    _json_clip("shoulder_press_good", clips.parent / "more", frames=150)
    grown = tmp_path / "grown"
    shutil.copytree(clips, grown)
    shutil.copytree(clips.parent / "more" / "shoulder_press_good",
                    grown / "shoulder_press_good")
    run_batch(grown, out, models_dir=models_dir)
    assert calls == ["shoulder_press_good"]          # the broken file's error row is final too
    with out.open() as f:
        paths = [r["path"] for r in csv.DictReader(f)]
    assert paths == sorted(p.name for p in grown.iterdir())        # input order


def test_rows_of_other_models_are_scored_again(clips, models_dir, tmp_path, monkeypatch):
    import torch

    from fitscore_core.scorers.checkpoints import load_scorer, save_scorer
    other = tmp_path / "other-models"                    # the same models, one weight moved
    other.mkdir()
    for name in ("cnn1d", "lstm"):
        scorer = load_scorer(models_dir / f"{name}.pt")
        if name == "lstm":
            with torch.no_grad():
                next(scorer.net.parameters()).add_(1e-3)
        save_scorer(scorer, other / f"{name}.pt")
    out = tmp_path / "r.csv"
    calls = _counting(monkeypatch)
    run_batch(clips, out, models_dir=models_dir)
    first = out.read_text()
    run_batch(clips, out, models_dir=other)                   # other models: every row again
    assert len(calls) == 10
    run_batch(clips, out, models_dir=models_dir)              # back: the stored rows serve
    assert len(calls) == 10 and out.read_text() == first


def _store_rows(out: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{store_path(out)}?mode=ro", uri=True, timeout=0.1)
        try:
            return db.execute("SELECT count(*) FROM rows").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def _cli(*argv) -> list[str]:
    return [sys.executable, "-m", "fitscore_core", "batch", *map(str, argv), "--no-cache"]


def test_a_killed_batch_resumes_with_identical_rows(models_dir, tmp_path, monkeypatch):
    folder = tmp_path / "clips"
    for name in SAMPLES:                                  # full length: the run takes a while
        _json_clip(name, folder)
    for k in range(3):
        shutil.copytree(folder / "squat_good", folder / f"squat_copy{k}")
    whole = tmp_path / "whole.csv"
    run_batch(folder, whole, models_dir=models_dir)
    out = tmp_path / "killed.csv"
    run = subprocess.Popen(_cli(folder, "--out", out, "--models", models_dir), cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _store_rows(out) < 1 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    run.send_signal(signal.SIGKILL)
    run.wait()
    stored = _store_rows(out)
    assert 1 <= stored < 7, "the kill came too late to test anything"
    assert not out.exists()                              # never a half-written --out
    calls = _counting(monkeypatch)
    assert main(["batch", str(folder), "--out", str(out), "--models", str(models_dir),
                 "--no-cache"]) == 0                     # the lock of the dead run is taken
    assert len(calls) == 7 - stored
    assert out.read_text() == whole.read_text()


COPIES = 100   # work left after the first row for the Ctrl-C to land in


def test_ctrl_c_with_workers_prints_interrupted_and_no_traceback(models_dir, tmp_path):
    folder = tmp_path / "clips"
    _json_clip("squat_good", folder)
    for k in range(COPIES):       # enough work left after the first row for Ctrl-C to land
        shutil.copytree(folder / "squat_good", folder / f"squat_copy{k:03d}")
    out = tmp_path / "r.csv"
    # a terminal's Ctrl-C: default SIGINT handling in the child, even when this test runs
    # in a background job (which starts with SIGINT ignored, inherited by its children)
    run = subprocess.Popen(_cli(folder, "--out", out, "--models", models_dir, "--workers", 2),
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           start_new_session=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while _store_rows(out) < 1 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(run.pid, signal.SIGINT)                    # as a terminal does: every process
    _, err = run.communicate(timeout=60)
    err = err.decode(errors="replace")
    assert run.returncode == 130 and "interrupted" in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert 1 <= _store_rows(out) < COPIES + 1 and not out.exists()
    assert not (tmp_path / ".r.csv.lock").exists()


# --- the same answers everywhere; a worker that dies --------------------------------------

def test_two_workers_give_the_same_rows_and_survive_a_clip_that_kills_its_worker(
        clips, models_dir, single, tmp_path, monkeypatch):
    # spawned workers re-run the parent's __main__ script: earlier tests (Streamlit's AppTest)
    # leave a temporary one there, which the CLI (`python -m fitscore_core`) never has
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    folder = tmp_path / "clips"
    shutil.copytree(clips, folder)
    shutil.copytree(clips / "squat_good", folder / "dies_here")
    out = tmp_path / "r.csv"
    stats = []
    rows = run_batch(folder, out, models_dir=models_dir, workers=2,
                     score=batch_crash.dies_on_its_clip, stats=stats)
    assert len({s.worker for s in stats if s.worker}) >= 2          # really two processes
    dead = next(r for r in rows if r["path"] == "dies_here")
    assert dead["error"] == WORKER_DIED and dead["cnn1d_score"] == ""
    others = [line for line in out.read_text().splitlines() if not line.startswith("dies_")]
    assert others == single.splitlines()                  # every other row as in one process


def test_ray_gives_the_same_csv_and_survives_a_dying_worker(clips, models_dir, single,
                                                            tmp_path, local_ray):
    out = tmp_path / "r.csv"
    run_batch(clips, out, models_dir=models_dir, engine="ray")
    assert out.read_text() == single
    folder = tmp_path / "clips"
    shutil.copytree(clips, folder)
    shutil.copytree(clips / "squat_good", folder / "dies_here")
    local_ray.cloudpickle.register_pickle_by_value(batch_crash)   # workers need not import it
    rows = run_batch(folder, tmp_path / "crash.csv", models_dir=models_dir, engine="ray",
                     score=batch_crash.dies_on_its_clip)
    dead = next(r for r in rows if r["path"] == "dies_here")
    assert dead["error"].startswith(WORKER_DIED) and "3 tries" in dead["error"]
    assert [r for r in rows if r["path"] != "dies_here"] == run_batch(
        clips, out, models_dir=models_dir, engine="ray")


def test_a_ctrl_c_during_a_worker_spawn_is_held_back_not_lost():
    """While a worker is spawned, SIGINT is blocked in the spawning thread (the child
    inherits that, not a handler); the Ctrl-C that lands then still reaches the driver (at
    the latest when the spawn is over). Ignoring it, as before, lost it."""
    from fitscore_core.batch_pool import _sigint_held
    # Python's own Ctrl-C handler, as the CLI has it (a background job starts with SIGINT
    # ignored, and this test may run in one)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with _sigint_held():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
    finally:
        signal.signal(signal.SIGINT, before)


def test_a_pool_that_died_after_the_last_wait_is_rebuilt_not_raised(monkeypatch):
    """A worker can die between `wait` returning a finished job and the next submit (CI saw
    it: a clip that kills its worker, while the other worker's clip had just finished). The
    submit then raises BrokenProcessPool; the pool must be rebuilt and every job still run."""
    import fitscore_core.batch_pool as batch_pool
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    real_submit, calls = batch_pool._submit, []

    def submit_after_a_death(pool, work, job):
        calls.append(job)
        if len(calls) == 3:                          # the pool dies just before this submit
            for process in list(pool._processes.values()):
                process.kill()
            deadline = time.monotonic() + 30
            while not pool._broken and time.monotonic() < deadline:
                time.sleep(0.01)
            assert pool._broken
        return real_submit(pool, work, job)

    monkeypatch.setattr(batch_pool, "_submit", submit_after_a_death)
    results = list(batch_pool.run_pool(list(range(6)), 2, batch_crash.doubled,
                                       batch_crash.no_setup, (), lambda job: "crashed"))
    assert len(calls) > 6                            # the killed jobs ran again
    assert sorted(results) == [(job, 2 * job) for job in range(6)]
