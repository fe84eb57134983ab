"""How long the comparison takes: a 60 s client against a 5 s reference (a benchmark, not a
test; the target is <= 200 ms on 2 cores).

    >>> from fitscore_core.bench.compare import bench_comparison, format_bench
    >>> print(format_bench(bench_comparison()))                      # doctest: +SKIP

The client is a synthetic 60 s squat clip at 30 fps (10 slow reps, bench.synthetic_clip),
compared once at the models' rate (resampled to FEATURES.fps, what the pipeline
does) and once at 30 fps. Two references: a 5 s clip (a user's clip, one execution) and the
built-in one (REFERENCE_SEEDS executions of 3 reps each, the closest chosen per client).
Timed: compare() from normalized features on (rep finding on both sides, facing, local
positions, DTW per rep, the per-joint table, worst moments, angle curves); the reference's
synthesis is cached and not timed.
"""

import os

from fitscore_core.bench.speed import best_ms, synthetic_clip
from fitscore_core.compare.comparison import compare
from fitscore_core.compare.reference import (
    builtin_reference,
    builtin_sequence,
    reference_from_sequence,
)
from fitscore_core.config import FEATURES
from fitscore_core.features import normalize, resample


def bench_comparison(client_s: float = 60.0, reference_s: float = 5.0,
                     exercise: str = "squat", repeat: int = 5) -> list[dict]:
    """Milliseconds of compare() per (client fps, reference); rows for format_bench."""
    client30 = normalize(synthetic_clip(client_s, exercise))
    clients = {FEATURES.fps: resample(client30, FEATURES.fps), 30.0: client30}
    seq = builtin_sequence(exercise)
    cut = seq.with_keypoints(seq.keypoints[:round(reference_s * seq.fps)])
    short = reference_from_sequence(cut, exercise, f"{reference_s:g} s clip")
    references = {short.source: short, "built-in": builtin_reference(exercise)}
    rows = []
    for fps, client in clients.items():
        for name, ref in references.items():
            result = compare(client, ref, exercise)
            rows.append({"client_fps": fps, "client_frames": client.n_frames,
                         "reference": name, "reps": len(result.alignments),
                         "ms": best_ms(lambda: compare(client, ref, exercise), repeat)})
    return rows


def format_bench(rows: list[dict]) -> str:
    lines = [f"{'client fps':>10} {'frames':>7} {'reference':>10} {'reps':>5} {'ms':>8}"]
    lines += [f"{r['client_fps']:>10g} {r['client_frames']:>7} {r['reference']:>10} "
              f"{r['reps']:>5} {r['ms']:>8.1f}" for r in rows]
    lines.append(f"({os.cpu_count()} CPU cores; target <= 200 ms)")
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_bench(bench_comparison()))
