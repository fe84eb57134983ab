"""Benchmark synthetic data-set generation (a benchmark, not a test: timings vary by machine).

    python -m fitscore_core.synth.bench --n 2000 --workers 1 2

Prints sequences/s and frames/s by wall clock, and sequences per CPU-second (what one free
core would do), so a figure taken on a busy shared machine can still be read.
"""

import argparse
import resource
import time

from fitscore_core.synth.dataset import generate_dataset


def _cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def measure(n: int, workers: int, seed: int = 1) -> dict[str, float]:
    """Generate n clips; wall and CPU time per clip."""
    generate_dataset(8, seed=seed + 1000)  # warm imports and caches
    cpu0, t0 = _cpu_s(), time.perf_counter()
    ds = generate_dataset(n, seed=seed, workers=workers)
    wall, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
    frames = int(ds.offsets[-1])
    return {"n": n, "workers": workers, "wall_s": wall, "seq_per_s": n / wall,
            "frames_per_s": frames / wall, "mean_frames": frames / n, "seq_per_cpu_s": n / cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    for w in args.workers:
        r = measure(args.n, w)
        print(f"workers={w}: {r['seq_per_s']:.0f} seq/s ({r['frames_per_s'] / 1e3:.0f}k frames/s, "
              f"{r['mean_frames']:.0f} frames/seq) in {r['wall_s']:.1f} s wall; "
              f"{r['seq_per_cpu_s']:.0f} seq per CPU-second")


if __name__ == "__main__":
    main()
