"""Benchmark: how fast this machine decodes, finds poses and builds features.

    >>> from fitscore_core.bench.speed import run_benchmark, format_benchmark
    >>> rows = run_benchmark(sizes=((320, 240),), n_frames=30)
    >>> rows[0]["size"], rows[0]["frames"]
    ('320x240', 30)
    >>> print(format_benchmark(rows))  # doctest: +ELLIPSIS
    size ...

Why a benchmark and not timed tests: speed depends on the machine and its load; the tests
check behaviour, this reports figures. Clips are the demo cartoon written to a temp dir.
"""

import os
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

from fitscore_core.bench.demo_clip import write_demo_clip
from fitscore_core.features import build_features
from fitscore_core.pose.backends import MediaPipeBackend, extract_poses
from fitscore_core.pose.cleaning import clean
from fitscore_core.pose.video import iter_frames

Progress = Callable[[int, int], None]


def best_ms(work: Callable[[], object], repeat: int = 5) -> float:
    """Fastest of a few runs, in ms: sub-millisecond steps are otherwise mostly noise."""
    return min(timeit.repeat(work, number=1, repeat=repeat)) * 1000


def run_benchmark(sizes: tuple[tuple[int, int], ...] = ((640, 480), (1280, 720)),
                  n_frames: int = 150, progress: Progress | None = None) -> list[dict]:
    """One row per frame size: decode-only and decode+pose frames/s, their ratio, and the
    milliseconds of cleaning (clean) and of feature building (build_features) for the clip.

    ratio = decode fps / decode+pose fps: how many times slower pose makes the pipeline.
    MediaPipe is loaded once before timing so its one-off start-up is not counted.
    """
    total = 2 * n_frames * len(sizes)  # progress counts frames decoded, then frames posed

    def report(done: int) -> None:
        if progress is not None:
            progress(min(done, total), total)

    MediaPipeBackend().close()  # warm-up: import mediapipe, load the model files
    rows = []
    with tempfile.TemporaryDirectory(prefix="fitscore-bench-") as tmp:
        for i, (width, height) in enumerate(sizes):
            base = 2 * n_frames * i
            path = Path(tmp) / f"demo_{width}x{height}.mp4"
            write_demo_clip(path, width, height, n_frames)

            start = time.perf_counter()
            decoded = 0
            for _ in iter_frames(path):
                decoded += 1
                report(base + decoded)
            decode_s = time.perf_counter() - start

            start = time.perf_counter()
            frames = extract_poses(path, progress=lambda d, _: report(base + n_frames + d))
            pose_s = time.perf_counter() - start

            decode_fps, pose_fps = decoded / decode_s, frames.n_frames / pose_s
            seq = clean(frames)
            rows.append({
                "size": f"{width}x{height}", "frames": decoded,
                "decode_fps": decode_fps, "pose_fps": pose_fps,
                "ratio": decode_fps / pose_fps,
                "found": sum(len(p) > 0 for p in frames.people) / max(frames.n_frames, 1),
                "clean_ms": best_ms(lambda: clean(frames)),
                "features_ms": best_ms(lambda: build_features(seq)),
            })
    return rows


def format_benchmark(rows: list[dict]) -> str:
    """A plain-text table of run_benchmark's rows, for the CLI and the report."""
    head = (f"{'size':<10} {'frames':>6} {'decode fps':>11} {'decode+pose fps':>16} "
            f"{'ratio':>7} {'person found':>13} {'clean ms':>9} {'features ms':>12}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['size']:<10} {r['frames']:>6} {r['decode_fps']:>11.1f} "
                     f"{r['pose_fps']:>16.1f} {r['ratio']:>6.1f}x {r['found']:>12.0%} "
                     f"{r['clean_ms']:>9.1f} {r['features_ms']:>12.1f}")
    lines.append(f"({os.cpu_count()} CPU cores; ratio = decode fps / decode+pose fps)")
    return "\n".join(lines)


def synthetic_clip(seconds: float, exercise: str = "squat", yaw: float | None = None,
                   reps: int = 10):
    """A correct execution of `reps` reps lasting about `seconds` (tempo set to fill the
    time), filmed at 30 fps from `yaw` (default: the exercise's usual view): a clip with
    real reps for the model-side benchmarks."""
    from fitscore_core.pose.sequence import PoseSequence
    from fitscore_core.synth.exercises import ClipSpec, generate_motion
    from fitscore_core.synth.views import default_yaw, fit_camera, project_keypoints
    motion = generate_motion(ClipSpec(exercise, reps=reps, fps=30, seed=1,
                                      rep_seconds=0.8 * seconds / reps))  # + lead-in, rests
    yaw = default_yaw(exercise) if yaw is None else yaw
    camera = fit_camera(motion.joints3d, yaw, 5.0, 30)
    keypoints, _ = project_keypoints(camera, motion.joints3d)
    return PoseSequence(keypoints, 30.0, (camera.width, camera.height), f"synthetic {exercise}")


def bench_scorers(scorers: dict, seconds: float = 60.0) -> list[dict]:
    """Milliseconds each scorer needs to score a clip of about `seconds` (from normalized
    features on): exercise over the whole clip, rep finding, every rep scored."""
    from fitscore_core.config import FEATURES
    from fitscore_core.features import normalize, resample
    from fitscore_core.scorers.scoring import predict
    features = resample(normalize(synthetic_clip(seconds)), FEATURES.fps)
    return [{"model": name, "clip_s": features.n_frames / features.fps,
             "reps": len(predict(s, features).reps),
             "ms": best_ms(lambda s=s: predict(s, features))} for name, s in scorers.items()]


def bench_attribution(scorers: dict, seconds: float = 10.0) -> list[dict]:
    """Milliseconds for attribution.attribute() per model on a 4-rep clip of at least
    `seconds` (the generator's rests make it ~13 s), from normalized features on."""
    from fitscore_core.config import FEATURES
    from fitscore_core.features import normalize, resample
    from fitscore_core.scorers.attribution import attribute
    from fitscore_core.scorers.scoring import predict
    features = resample(normalize(synthetic_clip(seconds, reps=4)), FEATURES.fps)
    return [{"model": name, "clip_s": features.n_frames / features.fps,
             "reps": len(predict(s, features).reps),
             "ms": best_ms(lambda s=s: attribute(s, features), repeat=3)}
            for name, s in scorers.items()]
