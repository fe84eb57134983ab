"""Scoring a library of clips: a folder, or a CSV whose `path` column lists them; resumable,
in parallel processes (--workers N) or on a Ray cluster (--engine ray).

    python -m fitscore_core batch clips/ --out results.csv
    python -m fitscore_core batch clips/ --out results.csv --workers 2
    python -m fitscore_core batch clips.csv --out results.csv --engine ray --address head:6379

One row per input: path, cnn1d_exercise, cnn1d_score, lstm_exercise, lstm_score, reps, error,
exercise, view. `exercise` is the one exercise every score of the row is for (the user's
--exercise, else the more confident model's answer; "unknown" when it is none FitScore
knows, or when the two models together are not 50 % sure of it); `<model>_exercise` is what that model itself answered (the user's choice when one
is given), `<model>_score` its score for `exercise` (empty when there is none: "unknown");
`view` the camera view (front / diagonal / side / unknown); then the verdict's columns
(batch_clip.verdict_columns): `score` (the integer the dashboard and the PDF show), `unknown`,
`models_agree`, `<model>_confidence` and the flagged `faults`. Text cells that a spreadsheet
would run as a formula get a leading quote (user_files.safe_cell). An input that fails gets
its message in `error` and the batch goes on; so does one whose worker process dies.

Resumable: each finished row is committed to the results store `.<out>.results.sqlite`
beside --out (batch_store.py), keyed by the clip's content digest and the models' digest, so a
batch stopped in any way and started again with the same --out scores only what is missing,
and a store of other models has its rows scored again. Rows are also appended as they finish
to `.<out>.partial` (to look at during a long run); --out itself is written only once every
input is done, atomically (temp file + os.replace), in input order whatever the engine: an
interrupted batch never destroys a previous result. A lock file (`.<out>.lock`, holding the
writer's pid) refuses a second batch on the same --out while the first runs; a lock left by
a process that died is taken over. With a pose cache (`cache=PoseCache()`, what the CLI
passes), a video scored before is not posed again.
"""

import csv
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fitscore_core.analysis import load_scorers
from fitscore_core.batch_clip import COLUMNS, Clip, ClipResult, died_row, score_clip
from fitscore_core.batch_store import ResultsStore, clip_digest, models_digest, store_path
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.inputs import Progress
from fitscore_core.user_files import read_rows, safe_row

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".webm", ".mkv", ".m4v"}
ENGINES = ("local", "ray")


def list_inputs(source: str | Path) -> list[tuple[str, Path]]:
    """(label, path) of every input: videos, zips and OpenPose JSON folders in a folder, or
    the `path` column of a CSV (relative to the CSV)."""
    source = Path(source)
    if source.is_dir():
        found = [p for p in sorted(source.iterdir())
                 if p.suffix.lower() in VIDEO_SUFFIXES | {".zip"}
                 or (p.is_dir() and any(p.glob("*_keypoints.json")))]
        return [(p.name, p) for p in found]
    if source.suffix.lower() != ".csv" or not source.is_file():
        raise FitScoreError(f"{source} is neither a folder nor a CSV file.")
    table = read_rows(source)             # UTF-8 or a clear error, never a codec traceback
    header = table[0] if table else []
    if "path" not in header:
        raise FitScoreError(f"{source.name} has no 'path' column (columns: "
                            f"{', '.join(header)}).")
    col = header.index("path")
    return [(row[col], source.parent / row[col]) for row in table[1:]
            if len(row) > col and row[col]]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True                      # someone else's process: alive
    return True


@contextmanager
def writer_lock(out: Path):
    """Hold `.<out>.lock` for this process; FitScoreError when a live batch holds it."""
    lock = out.with_name(f".{out.name}.lock")
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and _alive(pid):
                raise FitScoreError(f"another batch (process {pid}) is writing {out}; wait for "
                                    f"it, or choose another --out.") from None
            lock.unlink(missing_ok=True)  # left by a batch that died: take it over
            continue
        except OSError as error:          # a read-only or vanished folder
            raise FitScoreError(f"--out {out}: cannot write in its folder "
                                f"({error.strerror or error}).") from None
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        break
    else:
        raise FitScoreError(f"could not take the lock {lock} for {out}.")
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


# --- --workers N: one process per worker, the models loaded once in each ------------------

_WORKER: dict = {}


def _setup_worker(scorers: dict, exercise: str | None, cache, score: Callable,
                  threads: int | None) -> None:
    """Runs once per worker process: keep the models, give torch its share of the cores."""
    if threads:
        import torch
        torch.set_num_threads(threads)
    _WORKER.update(scorers=scorers, exercise=exercise, cache=cache, score=score)


def _work(clip: Clip) -> ClipResult:
    w = _WORKER
    return w["score"](clip.label, clip.path, w["scorers"], w["exercise"], w["cache"])


def _died(clip: Clip) -> ClipResult:
    return died_row(clip.label)


def _local(clips: list[Clip], scorers: dict, exercise: str | None, cache, workers: int,
           score: Callable) -> Iterator[tuple[Clip, ClipResult]]:
    if workers <= 1:                        # in this process, the models already loaded
        for clip in clips:
            yield clip, score(clip.label, clip.path, scorers, exercise, cache)
        return
    from fitscore_core.batch_pool import run_pool
    yield from run_pool(clips, min(workers, len(clips)), _work, _setup_worker,
                        (scorers, exercise, cache, score, 1), _died)


def _write_csv(out: Path, rows: list[dict]) -> None:
    """--out, whole or not at all: a temp file beside it, synced, then os.replace."""
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, COLUMNS)
            writer.writeheader()
            writer.writerows(safe_row(r) for r in rows)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_batch(source: str | Path, out: str | Path, exercise: str | None = None,
              models_dir: str | Path | None = None, progress: Progress | None = None,
              cache=None, workers: int = 1, engine: str = "local", address: str | None = None,
              score: Callable = score_clip, stats: list | None = None) -> list[dict]:
    """Score every input of `source` into the CSV `out` and return the rows, in input order.
    engine "local" runs `workers` processes on this machine, "ray" sends the clips to a Ray
    cluster (`address`; None: a local Ray runtime, or the one already started). `score`
    is what makes a row (score_clip; tests pass one that crashes its process). `stats`, when
    given, receives the ClipResult of every clip scored by this run (the benchmark)."""
    if engine not in ENGINES:
        raise FitScoreError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}.")
    if workers < 1:
        raise FitScoreError(f"--workers {workers}: give 1 or more.")
    if engine == "ray" and workers > 1:
        raise FitScoreError("--workers is for --engine local; Ray runs one clip per CPU of "
                            "the cluster.")
    if engine == "local" and address:
        raise FitScoreError("--address is for --engine ray.")
    out = Path(out)
    if out.is_dir():
        raise FitScoreError(f"--out {out}: that is a folder; give a file name.")
    inputs = list_inputs(source)
    if not inputs:
        raise FitScoreError(f"No videos, zips or OpenPose JSON folders found in {source}.")
    scorers = load_scorers(models_dir)
    models = models_digest(scorers)
    clips = [Clip(label, str(Path(path).absolute()),
                  (clip_digest(path) or "unreadable", models, exercise or "", label))
             for label, path in inputs]
    partial = out.with_name(f".{out.name}.partial")
    if engine == "ray":                    # connect first: a bad address costs nothing
        from fitscore_core.batch_ray import start_ray, stop_ray
        started = start_ray(address)
        try:
            return _run(clips, out, partial, scorers, models, exercise, cache, workers, engine,
                        score, progress, stats)
        finally:
            stop_ray(started)
    return _run(clips, out, partial, scorers, models, exercise, cache, workers, engine, score,
                progress, stats)


def _run(clips: list[Clip], out: Path, partial: Path, scorers: dict, models: str,
         exercise: str | None, cache, workers: int, engine: str, score: Callable,
         progress: Progress | None, stats: list | None) -> list[dict]:
    """The batch proper: under the lock, rows from the store, the rest scored, --out."""
    with writer_lock(out), ResultsStore(store_path(out)) as store:
        rows = store.done([c.key for c in clips])
        todo = list({c.key: c for c in clips if c.key not in rows}.values())
        try:
            f = partial.open("w", newline="", encoding="utf-8")
        except OSError as error:
            raise FitScoreError(f"--out {out}: cannot write beside it "
                                f"({error.strerror or error}).") from None
        with f:
            writer = csv.DictWriter(f, COLUMNS)
            writer.writeheader()
            writer.writerows(safe_row(rows[c.key]) for c in clips if c.key in rows)
            f.flush()
            done = sum(c.key in rows for c in clips)
            if progress is not None:
                progress(done, len(clips))
            if engine == "ray":
                from fitscore_core.batch_ray import ray_results
                results = ray_results(todo, scorers, models, exercise, cache, score)
            else:
                results = _local(todo, scorers, exercise, cache, workers, score)
            copies = Counter(c.key for c in clips)   # a clip listed twice is scored once
            try:
                for clip, result in results:
                    store.put(clip.key, result.row, result.transient)
                    if cache is not None and (engine == "ray" or workers > 1):
                        cache.hits, cache.misses, cache.damaged = (
                            a + b for a, b in zip((cache.hits, cache.misses, cache.damaged),
                                                  result.cache))
                    if stats is not None:
                        stats.append(result)
                    rows[clip.key] = result.row
                    writer.writerows([safe_row(result.row)] * copies[clip.key])
                    f.flush()
                    done += copies[clip.key]
                    if progress is not None:
                        progress(done, len(clips))
            finally:
                results.close()                  # stop the workers now, even on Ctrl-C
        final = [rows[c.key] for c in clips]
        try:
            _write_csv(out, final)
        except OSError as error:
            raise FitScoreError(f"--out {out}: cannot be written ({error.strerror or error}); "
                                "every row is kept in the results store, run again.") from None
        partial.unlink(missing_ok=True)
    return final
