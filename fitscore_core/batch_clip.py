"""One clip's row of the batch CSV, as every engine computes it (one process, the worker pool,
a Ray task): its own module, so the engines import it without importing the orchestrator.

    >>> from fitscore_core.batch_clip import score_clip
    >>> score_clip("squat.mp4", "clips/squat.mp4", scorers).row["score"]   # doctest: +SKIP
    62

The columns are described in batch.py.
"""

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from fitscore_core.analysis import Analysis, analyze, confidence
from fitscore_core.compare.feedback import FLAG
from fitscore_core.errors import FitScoreError
from fitscore_core.verdict import make_verdict

COLUMNS = ("path", "cnn1d_exercise", "cnn1d_score", "lstm_exercise", "lstm_score", "reps",
           "error", "exercise", "view", "score", "unknown", "models_agree",
           "cnn1d_confidence", "lstm_confidence", "faults")
WORKER_DIED = ("the worker process scoring this clip died (the clip may crash the pose "
               "estimator, or need more memory than the machine has); the batch went on")


@dataclass(frozen=True)
class Clip:
    """One input to score: its CSV label, where it is, and its results-store key."""
    label: str
    path: str
    key: tuple[str, str, str, str]


@dataclass
class ClipResult:
    """What scoring one clip gives back to the driver, from whichever process ran it."""
    row: dict
    transient: bool = False          # not a final answer: the next run scores it again
    seconds: float = 0.0             # time spent in score_clip (the benchmark's unit of work)
    cache: tuple[int, int, int] = (0, 0, 0)   # pose cache hits, misses, damaged it added
    worker: str = field(default="")  # host:pid that ran it


def score_clip(label: str, path: str | Path, scorers: dict, exercise: str | None = None,
               cache=None) -> ClipResult:
    """The row of one input (any engine runs this): its answers, or its error message."""
    start = time.perf_counter()
    before = (cache.hits, cache.misses, cache.damaged) if cache is not None else (0, 0, 0)
    row, transient = {c: "" for c in COLUMNS} | {"path": label}, False
    try:
        result = analyze(path, scorers, exercise=exercise, cache=cache)
        own = result.own_exercise
        for name, p in result.predictions.items():
            row[f"{name}_exercise"] = exercise or own[name]
            row[f"{name}_score"] = f"{p.score:.1f}" if math.isfinite(p.score) else ""
        row["reps"] = len(result.predictions["cnn1d"].reps) or len(result.counted_reps)
        row["exercise"], row["view"] = result.exercise, result.view.view
        row |= verdict_columns(result)
    except FitScoreError as error:
        row["error"] = str(error)
    except (MemoryError, OSError) as error:          # the machine, not the clip: try again
        row["error"], transient = f"could not be scored here ({error}); run again", True
    after = (cache.hits, cache.misses, cache.damaged) if cache is not None else (0, 0, 0)
    return ClipResult(row, transient, time.perf_counter() - start,
                      tuple(a - b for a, b in zip(after, before)),
                      f"{os.uname().nodename}:{os.getpid()}")


def verdict_columns(result: Analysis) -> dict:
    """The verdict's columns: its integer score (the product's one rounding), `unknown` and
    `models_agree` as yes / no, each model's confidence in the exercise it named itself
    (0-1), and the faults either model flags for `exercise` (FLAG and over), ';'-joined."""
    own = result.own_predictions or result.predictions
    flagged = sorted({fault for p in result.predictions.values()
                      for fault, prob in p.faults.items() if prob >= FLAG})
    score = make_verdict(result).score
    return {"score": "" if score is None else score,
            "unknown": "no" if result.known else "yes",
            "models_agree": "yes" if result.agree else "no",
            **{f"{name}_confidence": f"{confidence(p):.2f}" for name, p in own.items()},
            "faults": ";".join(flagged)}


def died_row(label: str, why: str = WORKER_DIED) -> ClipResult:
    """The error row of a clip whose worker process died; scored again by the next run."""
    return ClipResult({c: "" for c in COLUMNS} | {"path": label, "error": why}, transient=True)
