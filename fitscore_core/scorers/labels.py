"""A user's own labelled clips: LABELS.csv -> checked rows -> training examples.

    >>> from fitscore_core.scorers.labels import known_faults, read_labels, vocabulary, examples_from_labels
    >>> rows = read_labels("clinic/LABELS.csv", known_faults(None))        # doctest: +SKIP
    >>> exercises, faults = vocabulary(rows, init=None)                     # doctest: +SKIP
    >>> examples = examples_from_labels(rows, faults)                       # doctest: +SKIP

LABELS.csv has a header and one row per clip: `path` (a video, an OpenPose JSON folder or a
.zip, relative to the CSV), `exercise`, `score` (0-100) and optionally `faults` (names
separated by ';') and `group` (the person or source clip; splits never put one group on two
sides; without it every clip is its own group). A trainer edits this file in a spreadsheet,
so every error names the row as the spreadsheet shows it (the header is row 1), and names
are read case-blind with spaces as '_' ("Knees caving in" is knees_caving_in).
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fitscore_core.config import FEATURES, FeatureSettings
from fitscore_core.errors import FitScoreError
from fitscore_core.features import normalize, resample
from fitscore_core.pose.inputs import Progress, load_sequence
from fitscore_core.scorers.checkpoints import Scorer
from fitscore_core.scorers.reps import segment_reps
from fitscore_core.scorers.training import Example
from fitscore_core.user_files import read_rows

REQUIRED = ("path", "exercise", "score")
OPTIONAL = ("faults", "group")


@dataclass(frozen=True)
class LabelRow:
    """One checked row. path: resolved against the CSV's folder; label: the path as written
    (what reports show, so the user recognises it); row: spreadsheet row number."""

    path: Path
    label: str
    exercise: str
    score: float
    faults: tuple[str, ...]
    group: str
    row: int
    csv_name: str = "LABELS.csv"

    @property
    def where(self) -> str:
        return f"{self.csv_name} row {self.row} (path {self.label})"


def known_faults(init: Scorer | None) -> dict[str, list[str]]:
    """Exercise -> fault names the starting point already knows: the init checkpoint's
    vocabulary, or the synthesizer's exercises when training from scratch."""
    if init is None:
        from fitscore_core.synth.exercises import EXERCISES
        return {e: list(m.fault_names) for e, m in EXERCISES.items()}
    return {e: [c[len(e) + 1:] for c in init.faults if c.startswith(e + ".")]
            for e in init.exercises}


def number_of(text: str) -> float | None:
    """A spreadsheet cell as a finite number, or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def name_of(text: str) -> str:
    """'Knees Caving In' -> 'knees_caving_in': how a spreadsheet writes a name should not
    make a new class."""
    return "_".join(text.strip().lower().split())


def read_table(csv_path: Path, required: tuple[str, ...], optional: tuple[str, ...]
               ) -> tuple[list[str], list[list[str]]]:
    """A CSV's lower-cased header and its rows; a missing file, an empty one, one that is not
    UTF-8 or a missing required column raises FitScoreError naming it."""
    if not csv_path.is_file():
        raise FitScoreError(f"{csv_path} does not exist.")
    table = read_rows(csv_path)
    if not table or not any(c.strip() for c in table[0]):
        raise FitScoreError(f"{csv_path.name} is empty; it needs a header row with the columns "
                            f"{', '.join(required)} (optional: {', '.join(optional)}).")
    header = [c.strip().lower() for c in table[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise FitScoreError(f"{csv_path.name} row 1 (header): missing column(s) "
                            f"{', '.join(missing)}; the columns are: "
                            f"{', '.join(c for c in header if c) or 'none'}.")
    return header, table[1:]


def clip_rows(csv_path: Path, required: tuple[str, ...], optional: tuple[str, ...]):
    """Each non-blank row of a clips CSV as (row number, cells by column, where, path as
    written, resolved path, exercise name); an empty or missing path or an empty exercise
    raises FitScoreError naming the row as a spreadsheet shows it (the header is row 1)."""
    header, body = read_table(csv_path, required, optional)
    col = {c: header.index(c) for c in required + optional if c in header}
    for number, cells in enumerate(body, start=2):
        if not any(c.strip() for c in cells):
            continue                                  # blank spreadsheet line
        cell = {c: cells[i].strip() if i < len(cells) else "" for c, i in col.items()}
        label = cell["path"]
        where = f"{csv_path.name} row {number} (path {label or 'empty'})"
        if not label:
            raise FitScoreError(f"{where}: the path is empty.")
        path = (csv_path.parent / label).resolve()
        if not path.exists():
            raise FitScoreError(f"{where}: {path} does not exist (paths are relative to the "
                                f"folder of {csv_path.name}).")
        exercise = name_of(cell["exercise"])
        if not exercise:
            raise FitScoreError(f"{where}: the exercise is empty.")
        yield number, cell, where, label, path, exercise


def read_labels(csv_path: str | Path, known: dict[str, list[str]], min_exercises: int = 2
                ) -> list[LabelRow]:
    """Read and check LABELS.csv; the first problem found raises FitScoreError naming its row.
    min_exercises: 2 for a network that learns to recognise the exercises, 1 for the
    small-data learner (which keeps the pretrained recognizer).

    Faults of an exercise in `known` must be among its faults (a typo would otherwise train
    a new, empty fault); a new exercise brings new fault names, which are allowed.
    """
    csv_path = Path(csv_path)
    name = csv_path.name
    rows = []
    for number, cell, where, label, path, exercise in clip_rows(csv_path, REQUIRED, OPTIONAL):
        if "." in exercise:
            raise FitScoreError(f"{where}: exercise {exercise!r} contains '.', which separates "
                                "exercise and fault in the model's fault names; use '_'.")
        score = number_of(cell["score"])
        if score is None:
            raise FitScoreError(f"{where}: score {cell['score']!r} is not a number (0-100).")
        if not 0 <= score <= 100:
            raise FitScoreError(f"{where}: score {cell['score']} is outside 0-100.")
        faults = tuple(dict.fromkeys(name_of(f) for f in cell.get("faults", "").split(";")
                                     if f.strip()))
        if exercise in known:
            unknown = [f for f in faults if f not in known[exercise]]
            if unknown:
                raise FitScoreError(f"{where}: unknown fault(s) {', '.join(unknown)} for "
                                    f"{exercise}; its faults are: "
                                    f"{', '.join(known[exercise]) or 'none'}.")
        rows.append(LabelRow(path, label, exercise, score, faults,
                             cell.get("group") or label, number, name))
    if not rows:
        raise FitScoreError(f"{name} has a header but no clips.")
    exercises = sorted({r.exercise for r in rows})
    if len(exercises) < min_exercises:
        raise FitScoreError(f"{name}: every clip is {exercises[0]} (a single class); the "
                            "exercise recognizer needs clips of at least 2 exercises.")
    return rows


def vocabulary(rows: list[LabelRow], init: Scorer | None) -> tuple[list[str], list[str]]:
    """Exercises and "exercise.fault" columns the trained scorer outputs: the init's (all
    kept, so the heads only grow) or, from scratch, the CSV's exercises with the known faults
    of the synthesizer's; then new names in CSV order."""
    if init is not None:
        exercises, faults = list(init.exercises), list(init.faults)
    else:
        exercises = list(dict.fromkeys(r.exercise for r in rows))
        known = known_faults(None)
        faults = [f"{e}.{f}" for e in exercises for f in known.get(e, [])]
    for r in rows:
        if r.exercise not in exercises:
            exercises.append(r.exercise)
        for f in r.faults:
            if f"{r.exercise}.{f}" not in faults:
                faults.append(f"{r.exercise}.{f}")
    return exercises, faults


def fault_labels(row: LabelRow, faults: list[str]) -> np.ndarray:
    """(F,): 1 for the row's listed faults, 0 for its exercise's other faults (the trainer
    would have listed them), NaN for other exercises' faults (they do not apply)."""
    out = np.full(len(faults), np.nan, np.float32)
    prefix = row.exercise + "."
    for j, c in enumerate(faults):
        if c.startswith(prefix):
            out[j] = 1.0 if c[len(prefix):] in row.faults else 0.0
    return out


def examples_from_labels(rows: list[LabelRow], faults: list[str],
                         progress: Progress | None = None, backend=None,
                         settings: FeatureSettings = FEATURES, cache=None,
                         left_out: list[str] | None = None) -> list[Example]:
    """Load every clip through the path real clips take (pose or import, cleaning,
    normalization, the models' fps) and label it. cache: a pose.cache.PoseCache (each video
    estimated once, whatever the number of runs). left_out: when given, a clip that cannot
    be read (nobody in it, a damaged file) is named there and skipped instead of stopping.

    Only the clip's score and faults are known, so each rep found gets them; a clip without
    a rep found gets one 'rep' spanning the whole clip so its faults still count in training.
    """
    examples = []
    for k, row in enumerate(rows):
        try:
            seq = load_sequence(row.path, backend=backend, cache=cache)
            feats = resample(normalize(seq), settings.fps)
        except FitScoreError as error:
            if left_out is None:
                raise FitScoreError(f"{row.where}: {error}") from None
            left_out.append(f"{row.where}: {error}")
            if progress is not None:
                progress(k + 1, len(rows))
            continue
        if feats.n_frames < 2:
            raise FitScoreError(f"{row.where}: the clip is too short (under 2 frames at "
                                f"{settings.fps:g} fps).")
        reps = segment_reps(feats.values, feats.fps, row.exercise)
        ranges = (np.array([[r.start, r.end] for r in reps], int) if reps
                  else np.array([[0, feats.n_frames]], int))
        truth = fault_labels(row, faults)
        examples.append(Example(feats.values, row.exercise, row.score, ranges,
                                np.full(len(ranges), row.score, np.float32),
                                np.tile(truth, (len(ranges), 1)), row.group,
                                source=row.label))
        if progress is not None:
            progress(k + 1, len(rows))
    return examples
