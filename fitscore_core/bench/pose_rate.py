"""Benchmark: pose on every frame vs every k-th frame (the models' rate, pose/rate.py), and
at that rate in one pass vs two stretches side by side (pose/backends.py), on the shipped
samples: pose time, PCK@0.2 against the ground truth, scores and rep counts.

    >>> from fitscore_core.bench.pose_rate import bench_pose_rate, format_rows
    >>> print(format_rows(bench_pose_rate()))                          # doctest: +SKIP

PCK is measured on every video frame (the interpolated frames too: what the overlay shows),
on the 15 model joints, like tests/test_samples.py. A benchmark, not a test: the figures go
in README.
"""

import json
import time
from pathlib import Path

import numpy as np

from fitscore_core.analysis import analyze_sequence, load_scorers
from fitscore_core.pose.backends import MediaPipeBackend, estimate_poses, require_person
from fitscore_core.pose.cleaning import clean
from fitscore_core.pose.rate import pose_every, upsample
from fitscore_core.pose.video import probe_video
from fitscore_core.synth.metrics import pck, torso_length

SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"
MODEL_JOINTS = list(range(15))


def posed(path: Path, every: int, backend, parts: int = 1) -> tuple[object, float]:
    """(cleaned PoseSequence on every video frame, seconds of pose work). parts > 1 makes
    its own MediaPipe per stretch (backend unused), start-up included in the seconds."""
    n = probe_video(path).frame_count
    started = time.perf_counter()
    frames = require_person(estimate_poses(path, None if parts > 1 else backend, every=every,
                                           parts=parts))
    seconds = time.perf_counter() - started
    seq = clean(frames)
    if every > 1:
        seq = upsample(seq, every, n)
    return seq, seconds


def bench_pose_rate(samples: Path = SAMPLES) -> list[dict]:
    manifest = json.loads((samples / "manifest.json").read_text())
    scorers = load_scorers()
    rows = []
    with MediaPipeBackend() as backend:
        for clip in manifest["clips"]:
            path = samples / clip["video"]
            truth = np.load(samples / clip["ground_truth"])["keypoints"]
            k = pose_every(probe_video(path).fps)
            for every, parts in sorted({(1, 1), (k, 1), (k, 2)}):
                seq, seconds = posed(path, every, backend, parts)
                n = min(len(truth), seq.n_frames)
                score = pck(seq.keypoints[:n, MODEL_JOINTS], truth[:n, MODEL_JOINTS, :2],
                            torso_length(truth[:n]))
                result = analyze_sequence(seq, scorers)
                rows.append({"clip": clip["name"], "every": every, "parts": parts,
                             "pose_s": seconds,
                             "pck": score, "exercise": result.exercise,
                             **{f"{m}_score": p.score for m, p in result.predictions.items()},
                             "reps": len(next(iter(result.predictions.values())).reps)})
    return rows


def format_rows(rows: list[dict]) -> str:
    head = (f"{'clip':<24} {'k':>2} {'parts':>5} {'pose s':>7} {'PCK':>6} {'exercise':<14} "
            "cnn1d  lstm reps")
    return "\n".join([head] + [
        f"{r['clip']:<24} {r['every']:>2} {r['parts']:>5} {r['pose_s']:>7.2f} {r['pck']:>6.3f} "
        f"{r['exercise']:<14} {r['cnn1d_score']:>5.0f} {r['lstm_score']:>5.0f} {r['reps']:>4}"
        for r in rows])


if __name__ == "__main__":
    print(format_rows(bench_pose_rate()))
