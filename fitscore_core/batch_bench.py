"""Benchmark of the batch engines: clips per minute of 1 worker, --workers 2 and Ray.

    python -m fitscore_core bench batch                 # 20 generated 10 s clips
    python -m fitscore_core bench batch --clips 4       # a quick look

    >>> from fitscore_core.batch_bench import run_batch_bench, format_batch_bench
    >>> print(format_batch_bench(run_batch_bench(n_clips=2)))  # doctest: +SKIP

The clips are rendered by the synthesizer (the sample recipes, other people and seeds, cut to
10 s) and kept in ~/.cache/fitscore/bench-batch (made once). Each mode scores all of them
from scratch with the pose cache disabled (a cache hit would measure nothing), through
run_batch, so the wall time includes what a user waits for: worker start-up (imports, the
models); the Ray runtime's own start is timed apart. Per mode: clips/min, the speed-up over
1 worker, the mean time a clip spends in score_clip, and the overhead per clip: (CPUs × wall
- time in score_clip) / clips, as a share of that time. It lives beside batch.py, not in
bench/, because it runs the batch (a stage above the bench package). The three CSVs must be
equal.
"""

import tempfile
import time
from pathlib import Path

import numpy as np

from fitscore_core.batch import run_batch

CLIP_SECONDS, FPS, SIZE = 10.0, 30.0, (640, 480)
DEFAULT_FOLDER = Path.home() / ".cache" / "fitscore" / "bench-batch"


def make_clips(folder: Path, n: int, seconds: float = CLIP_SECONDS) -> Path:
    """n rendered clips of `seconds` in folder (those already there are kept)."""
    from fitscore_core.synth.appearance import random_appearance
    from fitscore_core.synth.backgrounds import floor_row, make_background
    from fitscore_core.synth.exercises import ClipSpec, generate_motion
    from fitscore_core.synth.render import render_video
    from fitscore_core.synth.samples import SAMPLES
    from fitscore_core.synth.views import fit_camera
    folder.mkdir(parents=True, exist_ok=True)
    frames = int(seconds * FPS)
    for k in range(n):
        spec = SAMPLES[k % len(SAMPLES)]
        path = folder / f"clip{k:02d}_{spec.name}_{frames}f.mp4"
        if path.is_file():
            continue
        for reps in range(spec.reps, 40):
            motion = generate_motion(ClipSpec(spec.exercise, spec.faults, reps, FPS,
                                              seed=5000 + k))
            if len(motion.joints3d) >= frames:
                break
        joints = motion.joints3d[:frames]
        camera = fit_camera(joints, spec.yaw_deg, spec.pitch_deg, FPS, *SIZE,
                            fill=0.7 if motion.model.lying else 0.8)
        rng = np.random.default_rng([5000, k])
        background = make_background(spec.background, *SIZE, rng, floor_y=floor_row(camera))
        tmp = path.with_name(f".{path.name}")
        render_video(joints, camera, random_appearance(rng), background, tmp.with_suffix(".mp4"))
        tmp.with_suffix(".mp4").replace(path)
    return folder


def _mode(folder: Path, work: Path, name: str, cpus: int, **kwargs) -> dict:
    stats: list = []
    out = work / f"{name.replace(' ', '_')}.csv"
    start = time.perf_counter()
    run_batch(folder, out, cache=None, stats=stats, **kwargs)
    wall = time.perf_counter() - start
    inside = sum(r.seconds for r in stats)
    return {"mode": name, "clips": len(stats), "wall_s": wall,
            "clips_per_min": 60 * len(stats) / wall, "clip_s": inside / len(stats),
            "overhead": (cpus * wall - inside) / inside, "csv": out.read_text(),
            "workers": len({r.worker for r in stats})}


def run_batch_bench(n_clips: int = 20, folder: Path | None = None, cpus: int = 2,
                    progress=None) -> list[dict]:
    """The three modes on the same clips; each row as _mode returns it."""
    folder = make_clips(Path(folder or DEFAULT_FOLDER), n_clips)
    clips = sorted(folder.glob(f"clip*_{int(CLIP_SECONDS * FPS)}f.mp4"))[:n_clips]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "clips.csv"
        source.write_text("path\n" + "".join(f"{p}\n" for p in clips))
        rows = [_mode(source, work, "1 worker", 1)]
        if progress:
            progress(1, 3)
        rows.append(_mode(source, work, "2 workers", cpus, workers=cpus))
        if progress:
            progress(2, 3)
        import ray

        from fitscore_core.batch_ray import start_ray
        start = time.perf_counter()
        start_ray(num_cpus=cpus)
        runtime_s = time.perf_counter() - start
        try:
            rows.append(_mode(source, work, "ray local", cpus, engine="ray")
                        | {"runtime_s": runtime_s})
        finally:
            ray.shutdown()
        if progress:
            progress(3, 3)
    return rows


def format_batch_bench(rows: list[dict]) -> str:
    base = rows[0]["clips_per_min"]
    lines = [f"{'mode':<10} {'clips':>5} {'wall s':>7} {'clips/min':>9} {'speed-up':>8} "
             f"{'s/clip in worker':>16} {'overhead/clip':>13}"]
    for r in rows:
        lines.append(f"{r['mode']:<10} {r['clips']:>5} {r['wall_s']:>7.1f} "
                     f"{r['clips_per_min']:>9.2f} {r['clips_per_min'] / base:>7.2f}x "
                     f"{r['clip_s']:>16.2f} {r['overhead']:>12.1%}")
    for r in rows:
        if "runtime_s" in r:
            lines.append(f"({r['mode']}: starting the Ray runtime took {r['runtime_s']:.1f} s "
                         "more, once per batch; its workers' start-up is in the wall time)")
    same = all(r["csv"] == rows[0]["csv"] for r in rows)
    lines.append("targets: workers 2 and ray >= 1.7x; ray overhead <= 5% of a clip's time")
    lines.append(f"CSV rows identical in the three modes: {'yes' if same else 'NO'}")
    return "\n".join(lines)
