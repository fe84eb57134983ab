"""Scoring a library of clips in one process: a folder, or a CSV whose `path` column lists them.

    python -m fitscore_core batch clips/ --out results.csv

One row per input: path, cnn1d_exercise, cnn1d_score, lstm_exercise, lstm_score, reps, error,
exercise, view. `exercise` is the one exercise every score of the row is for (the user's
--exercise, else the more confident model's answer; "unknown" when it is none FitScore
knows); `<model>_exercise` is what that model itself answered (the user's choice when one
is given), `<model>_score` its score for `exercise` (empty when there is none: "unknown");
`view` the camera view (front / diagonal / side / unknown). Text cells that a spreadsheet
would run as a formula get a leading quote (user_files.safe_cell). An input that fails gets
its message in `error` and the batch goes on. Rows are written as they finish into
`.<out>.partial` beside `--out`, which replaces `--out` only once every input is done: an
interrupted batch keeps what it did there and never destroys a previous result. A lock file
(`.<out>.lock`, holding the writer's pid) refuses a second batch on the same `--out` while
the first runs; a lock left by a process that died is taken over. With a pose cache
(`cache=PoseCache()`, what the CLI passes), a video scored before is not posed again.
"""

import csv
import math
import os
from contextlib import contextmanager
from pathlib import Path

from fitscore_core.analysis import analyze, load_scorers
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.inputs import Progress
from fitscore_core.user_files import read_rows, safe_row

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".webm", ".mkv", ".m4v"}
COLUMNS = ("path", "cnn1d_exercise", "cnn1d_score", "lstm_exercise", "lstm_score", "reps",
           "error", "exercise", "view")


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
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        break
    else:
        raise FitScoreError(f"could not take the lock {lock} for {out}.")
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def run_batch(source: str | Path, out: str | Path, exercise: str | None = None,
              models_dir: str | Path | None = None, progress: Progress | None = None,
              cache=None) -> list[dict]:
    inputs = list_inputs(source)
    if not inputs:
        raise FitScoreError(f"No videos, zips or OpenPose JSON folders found in {source}.")
    scorers = load_scorers(models_dir)
    out = Path(out)
    partial = out.with_name(f".{out.name}.partial")
    rows = []
    with writer_lock(out):
        with partial.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, COLUMNS)
            writer.writeheader()
            for k, (label, path) in enumerate(inputs):
                row = {c: "" for c in COLUMNS} | {"path": label}
                try:
                    result = analyze(path, scorers, exercise=exercise, cache=cache)
                    own = result.own_exercise
                    for name, p in result.predictions.items():
                        row[f"{name}_exercise"] = exercise or own[name]
                        row[f"{name}_score"] = f"{p.score:.1f}" if math.isfinite(p.score) else ""
                    row["reps"] = len(result.predictions["cnn1d"].reps)
                    row["exercise"], row["view"] = result.exercise, result.view.view
                except FitScoreError as error:
                    row["error"] = str(error)
                writer.writerow(safe_row(row))
                f.flush()
                rows.append(row)
                if progress is not None:
                    progress(k + 1, len(inputs))
        os.replace(partial, out)         # complete: only now is the previous result replaced
    return rows
