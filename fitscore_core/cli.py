"""Command line: `python -m fitscore_core COMMAND ...` (thin: parse, call the core, print).

    python -m fitscore_core info clip.mp4
    python -m fitscore_core extract clip.mp4 --out keypoints/
    python -m fitscore_core tensor keypoints.zip --out clip.npz
    python -m fitscore_core bench

Bad input prints one line `error: ...` and exits with status 2.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from .errors import FitScoreError


class ProgressBar:
    """`progress(done, total)` callback drawing a tqdm bar on stderr."""

    def __init__(self, desc: str, unit: str = "frame"):
        self.desc, self.unit, self.bar = desc, unit, None

    def __call__(self, done: int, total: int) -> None:
        from tqdm import tqdm
        if self.bar is None:
            self.bar = tqdm(total=total, desc=self.desc, unit=self.unit, file=sys.stderr)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_info(args) -> None:
    from .inputs import input_kind, load_poses
    kind = input_kind(args.input)
    print(f"input:     {args.input} ({kind})")
    if kind == "video":
        from .video import probe_video
        info = probe_video(args.input)
        print(f"size:      {info.width}×{info.height} (rotation {info.rotation}°)")
        print(f"fps:       {info.fps:.2f}")
        print(f"frames:    {info.frame_count} ({info.duration_s:.2f} s)")
        print(f"codec:     {info.codec}, {info.file_mb:.1f} MB")
        return
    frames = load_poses(args.input, fps=args.fps)
    counts = [len(p) for p in frames.people]
    size = f"{frames.size[0]}×{frames.size[1]}" if frames.size else "unknown"
    print(f"frames:    {frames.n_frames} ({frames.n_frames / frames.fps:.2f} s at "
          f"{frames.fps:g} fps)")
    print(f"size:      {size}")
    print(f"layout:    {frames.layout or 'nobody found'} (fps from {frames.fps_source})")
    print(f"people:    {min(counts)}–{max(counts)} per frame, "
          f"nobody in {counts.count(0)} frame(s)")


def cmd_extract(args) -> None:
    from .inputs import load_sequence
    from .openpose_json import write_openpose
    bar = ProgressBar("pose")
    try:
        seq = load_sequence(args.input, progress=bar, smoothing=not args.no_smooth)
    finally:
        bar.close()
    write_openpose(seq, args.out, name=Path(args.input).stem)
    print(f"wrote {seq.n_frames} OpenPose JSON frame files (+ fitscore_meta.json) to {args.out}")
    for note in seq.notes:
        print(f"note: {note}")


def cmd_tensor(args) -> None:
    from .config import FEATURES
    from .features import ROW_LABELS, normalize, to_model_input
    from .inputs import load_sequence
    bar = ProgressBar("pose")
    try:
        seq = load_sequence(args.input, fps=args.fps, progress=bar)
    finally:
        bar.close()
    features = normalize(seq)
    model_input = to_model_input(features, FEATURES)
    np.savez_compressed(
        args.out, tensor=model_input.tensor, mask=model_input.mask, starts=model_input.starts,
        fps=model_input.fps, features=features.values, found=features.found,
        source_fps=seq.fps, centre=np.array(features.centre), scale=features.scale,
        row_labels=np.array(ROW_LABELS))
    w, rows, n = model_input.tensor.shape
    print(f"wrote {args.out}: tensor {w}×{rows}×{n} ({model_input.n_frames} real frames at "
          f"{model_input.fps:g} fps, {w} window(s) of N={n})")


def cmd_bench(args) -> None:
    from .bench import format_benchmark, run_benchmark
    bar = ProgressBar("bench", unit="step")
    try:
        rows = run_benchmark(n_frames=args.frames, progress=bar)
    finally:
        bar.close()
    print(format_benchmark(rows))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fitscore_core",
                                     description="FitScore: score fitness-exercise videos.")
    sub = parser.add_subparsers(dest="command", required=True)
    inp = "a video file, an OpenPose JSON folder, or a .zip of one"

    p = sub.add_parser("info", help="what an INPUT holds")
    p.add_argument("input", help=inp)
    p.add_argument("--fps", type=float, help="frame rate of OpenPose JSON input")
    p.set_defaults(run=cmd_info)

    p = sub.add_parser("extract", help="video -> OpenPose JSON, one file per frame")
    p.add_argument("input", help="a video file")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--no-smooth", action="store_true", help="skip jitter smoothing")
    p.set_defaults(run=cmd_extract)

    p = sub.add_parser("tensor", help="INPUT -> normalized, zero-padded (30 × N) tensor (.npz)")
    p.add_argument("input", help=inp)
    p.add_argument("--out", required=True, help="output .npz file")
    p.add_argument("--fps", type=float, help="frame rate of OpenPose JSON input")
    p.set_defaults(run=cmd_tensor)

    p = sub.add_parser("bench", help="decode / pose / feature speed on generated clips")
    p.add_argument("--frames", type=int, default=150, help="frames per clip")
    p.set_defaults(run=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except FitScoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
