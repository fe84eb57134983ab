"""How often the hanging check (pose/hanging.py) fires, on fresh synthetic clips and on the
real clips in ../shared/real.

    >>> from fitscore_core.bench.hanging import (format_hanging, hanging_on_real,
    ...                                          hanging_on_synthetic)
    >>> print(format_hanging(hanging_on_synthetic(n=2000)))       # doctest: +SKIP
    >>> from fitscore_core.bench.real import DEFAULT_REAL
    >>> print(format_hanging(hanging_on_real(DEFAULT_REAL)))      # doctest: +SKIP

On synthetic clips under real-footage conditions (seed 9090: no model and no threshold was
fitted on it), per exercise and for the movements that are no exercise (`unknown`, of which
pull-ups and dips are two kinds in ten): clips and how many the check reads as hanging. Its
precision there — the share of the clips it fires on that are no exercise FitScore knows —
is the confidence an `unknown` answered by the check carries (HANG_CONFIDENCE). On the real
sets, per labelled exercise (PushFit: its push-ups; WorkoutTracker: push-ups, squats,
pull-ups, dips).
"""

from collections.abc import Callable
from pathlib import Path

from fitscore_core.clip_eval import read_eval_labels
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.cleaning import fill_gaps, smooth
from fitscore_core.pose.hanging import read_hanging
from fitscore_core.pose.inputs import load_sequence
from fitscore_core.synth.dataset import RealWorld, generate_dataset

SEED = 9090
UNKNOWN_SHARE = 0.3      # the share of no-exercise clips in the synthetic set


def hanging_on_synthetic(n: int = 2000, seed: int = SEED,
                         progress: Callable[[int, int], None] | None = None
                         ) -> dict[str, tuple[int, int]]:
    """exercise (or "unknown") -> (clips, read as hanging), on n fresh synthetic clips."""
    ds = generate_dataset(n, seed, workers=2,
                          real_world=RealWorld(unknown_share=UNKNOWN_SHARE))
    out: dict[str, tuple[int, int]] = {}
    for i in range(len(ds)):
        clips, hanging = out.get(str(ds.exercise[i]), (0, 0))
        hangs = read_hanging(smooth(fill_gaps(ds.pose_sequence(i)))).hangs
        out[str(ds.exercise[i])] = (clips + 1, hanging + hangs)
        if progress:
            progress(i + 1, len(ds))
    return dict(sorted(out.items()))


def precision(table: dict[str, tuple[int, int]]) -> float:
    """The share of the clips read as hanging that are no known exercise."""
    fired = sum(h for _, h in table.values())
    return table.get("unknown", (0, 0))[1] / fired if fired else float("nan")


def hanging_on_real(real: str | Path, cache=None,
                    progress: Callable[[int, int], None] | None = None
                    ) -> dict[str, tuple[int, int]]:
    """"set: exercise" -> (clips, read as hanging) on the labelled real clips found."""
    real = Path(real)
    rows = [(s, r) for s in ("pushfit", "workouttracker")
            if (real / s / "labels.csv").is_file()
            for r in read_eval_labels(real / s / "labels.csv")]
    out: dict[str, tuple[int, int]] = {}
    for k, (name, row) in enumerate(rows):
        try:
            hangs = read_hanging(load_sequence(row.path, cache=cache)).hangs
        except FitScoreError:                 # nobody found: nothing read
            hangs = None
        if hangs is not None:
            clips, hanging = out.get(f"{name}: {row.exercise}", (0, 0))
            out[f"{name}: {row.exercise}"] = (clips + 1, hanging + hangs)
        if progress:
            progress(k + 1, len(rows))
    return dict(sorted(out.items()))


def format_hanging(table: dict[str, tuple[int, int]]) -> str:
    lines = ["| clips of | clips | read as hanging |", "| --- | --- | --- |"]
    lines += [f"| {name} | {clips} | {hanging} ({hanging / clips:.0%}) |"
              for name, (clips, hanging) in table.items()]
    if "unknown" in table:
        lines.append(f"\nprecision (no known exercise among the clips read as hanging): "
                     f"{precision(table):.3f}")
    return "\n".join(lines)
