"""Command line: `python -m fitscore_core COMMAND ...` (thin: parse, call the core, print).

    python -m fitscore_core info clip.mp4
    python -m fitscore_core extract clip.mp4 --out keypoints/
    python -m fitscore_core tensor keypoints.zip --out clip.npz
    python -m fitscore_core bench

Bad input prints one line `error: ...` and exits with status 2.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from fitscore_core.errors import FitScoreError
from fitscore_core.user_files import check_output, readable


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


def with_progress(desc: str, unit: str, work):
    """work(progress) under a ProgressBar that is closed however it ends."""
    bar = ProgressBar(desc, unit=unit)
    try:
        return work(bar)
    finally:
        bar.close()


def add_cache_options(p: argparse.ArgumentParser, scope: str = "") -> None:
    """--cache DIR and --no-cache (one or the other) on a command that poses videos."""
    group = p.add_mutually_exclusive_group()
    group.add_argument("--cache", metavar="DIR", default=None, help=f"{scope}pose cache "
                       "folder (default: FITSCORE_POSE_CACHE or ~/.cache/fitscore/poses)")
    group.add_argument("--no-cache", action="store_true", help=f"{scope}neither read nor "
                       "write the pose cache: estimate every video's pose")


def pose_cache(args):
    """The PoseCache a command uses (--cache DIR, else the default folder), None with
    --no-cache."""
    if args.no_cache:
        return None
    from fitscore_core.pose.cache import PoseCache
    return PoseCache(args.cache)


def report_cache(cache) -> None:
    """One line on what the pose cache saved, when a video went through it."""
    if cache is None or not cache.hits + cache.misses:
        return
    damaged = (f" ({cache.damaged} damaged entr{'y' if cache.damaged == 1 else 'ies'} "
               "estimated again)" if cache.damaged else "")
    print(f"pose cache {cache.folder}: {cache.hits} clip(s) found, {cache.misses} "
          f"estimated{damaged}")


def cmd_info(args) -> None:
    from fitscore_core.pose.inputs import input_kind, load_poses
    kind = input_kind(args.input)
    print(f"input:     {readable(args.input)} ({kind})")
    if kind == "video":
        from fitscore_core.pose.video import probe_video
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
    from fitscore_core.config import ONE_CLIP_POSE_PARTS
    from fitscore_core.pose.inputs import load_sequence
    from fitscore_core.pose.openpose_json import write_openpose
    bar = ProgressBar("pose")
    try:
        seq = load_sequence(args.input, progress=bar, smoothing=not args.no_smooth,
                            parts=ONE_CLIP_POSE_PARTS)
    finally:
        bar.close()
    write_openpose(seq, args.out, name=Path(args.input).stem)
    print(f"wrote {seq.n_frames} OpenPose JSON frame files (+ fitscore_meta.json) to {args.out}")
    for note in seq.notes:
        print(f"note: {note}")


def cmd_tensor(args) -> None:
    from fitscore_core.config import FEATURES, ONE_CLIP_POSE_PARTS
    from fitscore_core.features import ROW_LABELS, normalize, to_model_input
    from fitscore_core.pose.inputs import load_sequence
    bar = ProgressBar("pose")
    try:
        seq = load_sequence(args.input, fps=args.fps, progress=bar, parts=ONE_CLIP_POSE_PARTS)
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
    if args.what == "batch":
        return cmd_bench_batch(args)
    if args.what == "models":
        return cmd_bench_models(args)
    if args.what == "real":
        return cmd_bench_real(args)
    if args.what == "upper-coco":
        return cmd_bench_upper_coco(args)
    if args.what == "hostile":
        return cmd_bench_hostile(args)
    if args.what == "measured":
        return cmd_bench_measured(args)
    if args.what == "hanging":
        return cmd_bench_hanging(args)
    if args.what == "history":
        from fitscore_core.bench.history import bench_history, format_history
        return print(format_history(bench_history(models_dir=args.models)))
    from fitscore_core.bench.speed import format_benchmark, run_benchmark
    print(format_benchmark(with_progress(
        "bench", "step", lambda bar: run_benchmark(n_frames=args.frames, progress=bar))))


def cmd_bench_hostile(args) -> None:
    import tempfile

    from fitscore_core.bench.hostile import format_hostile, run_hostile, to_json
    with tempfile.TemporaryDirectory(prefix="fitscore-hostile-") as scratch:
        folder = Path(args.dir) if args.dir else Path(scratch)
        bar = ProgressBar("hostile inputs", unit="case")
        try:
            results = run_hostile(folder, progress=bar)
        finally:
            bar.close()
    print(format_hostile(results))
    if args.json:
        Path(args.json).write_text(json.dumps(to_json(results), indent=2) + "\n")


def cmd_bench_batch(args) -> None:
    """1 worker, --workers 2 and a local Ray runtime on the same generated clips, no cache."""
    from fitscore_core.batch_bench import format_batch_bench, run_batch_bench
    bar = ProgressBar("modes", unit="mode")
    try:
        rows = run_batch_bench(n_clips=args.clips, folder=args.clips_dir, progress=bar)
    finally:
        bar.close()
    print(format_batch_bench(rows))


def cmd_bench_models(args) -> None:
    """Everything after pose: scoring a 60 s clip, the comparison, the attribution maps."""
    from fitscore_core.analysis import load_scorers
    from fitscore_core.bench.compare import bench_comparison, format_bench
    from fitscore_core.bench.speed import bench_attribution, bench_scorers
    scorers = load_scorers(args.models)
    for row in bench_scorers(scorers):
        print(f"score a {row['clip_s']:.0f} s clip ({row['reps']} reps), {row['model']}: "
              f"{row['ms']:.1f} ms (target <= 100 ms)")
    for row in bench_attribution(scorers):
        print(f"attribution map, {row['clip_s']:.0f} s clip ({row['reps']} reps), "
              f"{row['model']}: {row['ms']:.0f} ms (target: both <= 2 s)")
    print("comparison (DTW + per-joint table), 60 s client:")
    print(format_bench(bench_comparison()))


def cmd_bench_measured(args) -> None:
    """The measured faults' scales, read off synthetic reps of known severity; what their
    caps do to the synthetic score; then, when ../shared/real holds PushFit, how they rank
    its wrong push-ups against the models' signals."""
    from fitscore_core.analysis import load_scorers
    from fitscore_core.bench.measured import (calibrate, format_calibration, format_effect,
                                              format_ranking, rank_on_real, synthetic_effect)
    from fitscore_core.bench.real import DEFAULT_REAL
    print(format_calibration(with_progress(
        "synthetic clips", "clip", lambda bar: calibrate(n=args.n, progress=bar))))
    scorers, cache = load_scorers(args.models), pose_cache(args)
    print(format_effect(with_progress(
        "synthetic clips, scored", "clip",
        lambda bar: synthetic_effect(scorers, n=args.n, progress=bar))))
    real = Path(args.real) if args.real else DEFAULT_REAL
    print(format_ranking(with_progress(
        "real clips", "clip", lambda bar: rank_on_real(real, scorers, cache, progress=bar))))


def cmd_bench_hanging(args) -> None:
    """How often the hanging check fires: fresh synthetic clips, then the real clips."""
    from fitscore_core.bench.hanging import format_hanging, hanging_on_real, hanging_on_synthetic
    from fitscore_core.bench.real import DEFAULT_REAL
    print(format_hanging(with_progress(
        "synthetic clips", "clip", lambda bar: hanging_on_synthetic(n=args.n, progress=bar))))
    real, cache = Path(args.real) if args.real else DEFAULT_REAL, pose_cache(args)
    print(format_hanging(with_progress(
        "real clips", "clip", lambda bar: hanging_on_real(real, cache, progress=bar))))


def cmd_bench_upper_coco(args) -> None:
    """Synthetic upper-body clips framed from the waist or knees up, as COCO-18 JSON."""
    from fitscore_core.analysis import load_scorers
    from fitscore_core.bench.upper_coco import format_upper_coco, run_upper_coco
    scorers = load_scorers(args.models)
    bar = ProgressBar("clips", unit="clip")
    try:
        table = run_upper_coco(scorers, n=args.n, progress=bar)
    finally:
        bar.close()
    print(format_upper_coco(table))


def cmd_bench_real(args) -> None:
    """The shipped models on the real clips beside the checkout (../shared/real), if there."""
    import json

    from fitscore_core.bench.real import DEFAULT_REAL, format_real_table, run_real
    folder = Path(args.real) if args.real else DEFAULT_REAL
    if not folder.is_dir():
        print(f"no real clips to measure: the folder {folder} does not exist "
              "(pass --real DIR)")
        return
    from fitscore_core.analysis import load_scorers
    scorers, cache = load_scorers(args.models), pose_cache(args)
    bar = ProgressBar("real clips", unit="clip")
    try:
        report = run_real(folder, scorers, cache=cache, progress=bar)
    finally:
        bar.close()
    for note in report["missing"]:
        print(f"note: {note}; that set is skipped")
    print(format_real_table(report))
    report_cache(cache)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")


def cmd_synth_samples(args) -> None:
    from fitscore_core.synth.samples import make_samples
    bar = ProgressBar("samples", unit="clip")
    try:
        manifest = make_samples(args.out, seed=args.seed, progress=bar)
    finally:
        bar.close()
    print(f"wrote the sample videos and {manifest}")


def cmd_synth_dataset(args) -> None:
    import time

    from fitscore_core.synth.dataset import generate_dataset, save_dataset
    bar = ProgressBar("clips", unit="clip")
    started = time.perf_counter()
    try:
        ds = generate_dataset(args.n, seed=args.seed, progress=bar, workers=args.workers)
    finally:
        bar.close()
    seconds = time.perf_counter() - started
    save_dataset(ds, args.out)
    print(f"wrote {len(ds)} sequences ({len(ds.keypoints)} frames) to {args.out} in "
          f"{seconds:.1f} s ({len(ds) / seconds:.0f} sequences/s)")


def cmd_synth_posed(args) -> None:
    from fitscore_core.synth.posed import make_posed
    bar = ProgressBar("posed clips", unit="clip")
    try:
        run = make_posed(args.n, seed=args.seed, out=args.out, progress=bar)
    finally:
        bar.close()
    print(f"{run.folder}: {run.made} clip(s) rendered and posed, {run.skipped} already there"
          + (f"; {run.seconds_per_clip:.1f} s per clip" if run.made else ""))


def cmd_synth_noise_report(args) -> None:
    import json

    from fitscore_core.synth.noise_fit import format_noise_report, noise_report
    from fitscore_core.synth.posed import load_posed
    report = noise_report(load_posed(args.folder))
    print(format_noise_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")


def report_epoch(record: dict) -> None:
    if "resumed_after" in record:
        print(f"resumed: epochs 1-{record['resumed_after']} were done by an interrupted run "
              "of this same job", file=sys.stderr, flush=True)
    fold = f"fold {record['fold']}  " if "fold" in record else ""
    print(f"{fold}epoch {record['epoch']:3d}  train {record['train_loss']:.3f}  "
          f"val {record['val_loss']:.3f}  acc {record['val_accuracy']:.1%}  "
          f"score MAE {record['val_score_mae']:.2f}  ({record['seconds']:.0f} s)",
          file=sys.stderr, flush=True)


def cmd_learn_labels(args) -> None:
    """train --data LABELS.csv: the small-data learner on the shipped (or --init) model,
    cross-validated next to the baselines with --cv (logic in scorers/learner_job.py)."""
    from fitscore_core.pose.cache import PoseCache
    from fitscore_core.scorers.learner_job import format_learner_cv, learn_from_labels
    bars = {k: ProgressBar(k, unit=u) for k, u in (("clips", "clip"), ("describe", "clip"),
                                                   ("DTW", "pair"), ("folds", "fold"))}

    def closing(bar: ProgressBar):
        def progress(done: int, total: int) -> None:
            bar(done, total)
            if done == total:
                bar.close()
        return progress
    cache = None if args.no_cache else PoseCache(args.cache)
    try:
        run = learn_from_labels(args.model, args.data, out=args.out, cv=args.cv, oof=args.oof,
                                init_path=args.init, cache=cache, seed=args.seed,
                                load_progress=closing(bars["clips"]),
                                describe_progress=closing(bars["describe"]),
                                dtw_progress=closing(bars["DTW"]),
                                fold_progress=closing(bars["folds"]))
    finally:
        for bar in bars.values():
            bar.close()
    print(f"{run.clips} clips; the learner describes them with {run.base}")
    if cache is not None:
        print(f"pose cache {cache.folder}: {cache.hits} clip(s) found, {cache.misses} estimated")
    for line in run.left_out:
        print(f"left out: {line}")
    if run.cv is not None:
        print(format_learner_cv(run.cv))
        if args.oof:
            print(f"wrote {args.oof}")
    print("time: " + ", ".join(f"{k} {v:.0f} s" for k, v in run.seconds.items()))
    if run.card is not None:
        print(f"wrote {args.out} and its model card")
        print(use_commands(args))


def use_commands(args) -> str:
    """The exact commands that use a model trained into args.out's folder."""
    folder = Path(args.out).parent
    other = "lstm" if args.model == "cnn1d" else "cnn1d"
    lines = ["to use it:"]
    if not (folder / f"{other}.pt").is_file():
        lines.append(f"  the analysis reads both models; train the {other} too:\n"
                     f"  python -m fitscore_core train --model {other} --data {args.data} "
                     f"--out {folder / (other + '.pt')}")
    lines += [f"  python -m fitscore_core analyze CLIP.mp4 --models {folder}",
              f"  python -m fitscore_core batch CLIPS_FOLDER --models {folder} --out scores.csv",
              f"  dashboard: put {folder} under FITSCORE_MODELS_HOME (default ~/fitscore-models) "
              "or add its path in the sidebar"]
    return "\n".join(lines)


def cmd_train_labels(args, cfg) -> None:
    """train --data LABELS.csv --finetune / --scratch: a network trained on the user's own
    labelled clips (logic in train_job)."""
    from fitscore_core.scorers.evaluation import format_report
    from fitscore_core.scorers.train_job import format_cv, train_from_labels
    clips, folds = ProgressBar("clips", unit="clip"), ProgressBar("folds", unit="fold")

    def closing(bar: ProgressBar):
        def progress(done: int, total: int) -> None:
            bar(done, total)
            if done == total:   # each bar ends before the next stage prints
                bar.close()
        return progress
    try:
        job = train_from_labels(args.model, args.data, cfg, out=args.out, cv=args.cv,
                                oof=args.oof, init_path=args.init, scratch=args.scratch,
                                load_progress=closing(clips), fold_progress=closing(folds),
                                epoch_progress=report_epoch)
    finally:
        clips.close()
        folds.close()
    print(f"{job.clips} clips; started from: {job.init}")
    if job.cv is not None:
        print(f"{args.cv}-fold cross-validation (groups never split across folds):")
        print(format_cv(job.cv))
        if args.oof:
            print(f"wrote {args.oof}")
    if job.card is not None:
        if job.card["test_metrics"]:
            print(format_report(job.card["test_metrics"]))
        else:
            print("the final model has no held-out test clips (too few groups for an 80/10/10 "
                  "split); the cross-validation (--cv K) is the estimate to read")
        print(f"wrote {args.out} and its model card ({job.card['training_time_s']:.0f} s)")


def posed_examples(folder: str, repeat: int, data: dict, seed: int, n_subjects: int) -> list:
    """train --posed DIR: the clips `synth posed` wrote, each `repeat` times, and a note in
    the card's data section. Their people must be the data set's (same seed and number of
    subjects), or a person could be trained on and tested on."""
    from fitscore_core.scorers.training import examples_from_posed
    from fitscore_core.synth.posed import SETTINGS_FILE, load_posed
    clips = load_posed(folder)
    if not clips:
        raise FitScoreError(f"{folder}: no posed clip there (make them with `synth posed`).")
    if repeat < 1:
        raise FitScoreError(f"--posed-repeat must be >= 1, got {repeat}")
    made = json.loads((Path(folder) / SETTINGS_FILE).read_text())
    if (made["seed"], made["n_subjects"]) != (seed, n_subjects):
        raise FitScoreError(f"{folder} holds clips of seed {made['seed']} with "
                            f"{made['n_subjects']} people; this data set is seed {seed} with "
                            f"{n_subjects} people: train with --seed {made['seed']} --n "
                            f"{made['n_subjects'] * 20}.")
    examples = examples_from_posed(clips)
    data["posed"] = (f"{len(examples)} clips rendered and posed by the real estimator "
                     f"({folder}), each {repeat}x, those of training subjects only")
    return examples * repeat


def cmd_train(args) -> None:
    import torch

    from fitscore_core.scorers.train_job import DEFAULT_NETS, run_training
    from fitscore_core.scorers.training import TrainConfig, examples_from_synth
    from fitscore_core.synth.dataset import (FAULT_COLUMNS, RealWorld, generate_dataset,
                                             load_dataset)
    from fitscore_core.synth.exercises import EXERCISES, UNKNOWN
    torch.set_num_threads(args.threads)
    cfg = TrainConfig(epochs=args.epochs, seed=args.seed, net=DEFAULT_NETS[args.model],
                      windows_per_clip=args.windows_per_clip)
    if args.data.lower().endswith(".csv"):
        if args.posed:
            raise FitScoreError("--posed adds synthetic clips to --data synth; it is not for "
                                "a LABELS.csv.")
        if args.finetune and args.scratch:
            raise FitScoreError("--finetune and --scratch exclude each other: fine-tune the "
                                "pretrained network, or train one from scratch.")
        if args.finetune or args.scratch:
            return cmd_train_labels(args, cfg)
        return cmd_learn_labels(args)
    if args.cv is not None or args.oof or args.init or args.scratch or args.finetune:
        raise FitScoreError("--cv, --oof, --init, --finetune and --scratch are for --data "
                            "LABELS.csv (your own labelled clips).")
    if not args.out:
        raise FitScoreError("--out is required: where to write the checkpoint.")
    if args.data == "synth":
        bar = ProgressBar("generate", unit="clip")
        real = args.conditions == "real"
        ds = generate_dataset(args.n, seed=args.seed, progress=bar, workers=2,
                              real_world=RealWorld() if real else None)
        bar.close()
        data = {"kind": "synthetic", "description": "FitScore's kinematic exercise synthesizer "
                "(fitscore_core/synth): projected 2D BODY_25 keypoints with pose-estimator "
                "noise; no real people" + ("; real-footage conditions (framings, hidden "
                "joints, any yaw, idle time) and movements that are no exercise "
                "(label unknown)" if real else ""), "generator": f"generate_dataset("
                f"n={args.n}, seed={args.seed}{', real_world=RealWorld()' if real else ''})"}
    else:
        ds = load_dataset(args.data)
        data = {"kind": "synthetic", "description": f"synthetic data set file {args.data}",
                "generator": f"seed={ds.seed}"}
    bar = ProgressBar("features", unit="clip")
    examples = examples_from_synth(ds, progress=bar, workers=2)
    bar.close()
    data["clips_without_enough_body_seen"] = len(ds) - len(examples)
    exercises = list(EXERCISES) + ([UNKNOWN] if UNKNOWN in set(ds.exercise) else [])
    posed = (posed_examples(args.posed, args.posed_repeat, data, ds.seed, ds.n_subjects)
             if args.posed else [])
    scorer, card = run_training(args.model, examples, exercises, list(FAULT_COLUMNS),
                                data, args.out, cfg, progress=report_epoch, extra_train=posed)
    from fitscore_core.scorers.evaluation import format_report
    print(format_report(card["test_metrics"]))
    print(f"wrote {args.out} and its model card ({card['training_time_s']:.0f} s)")


def format_analysis(result) -> str:
    """Both models side by side, as a trainer reads them: the camera view, the one exercise,
    each model's own answer, its score and the faults for that exercise (those the camera
    angle cannot show listed as such, without a probability)."""
    import math

    from fitscore_core.analysis import confidence, words
    seq, preds = result.sequence, result.predictions
    own = result.own_predictions or preds
    names = list(preds)
    rows = [("", *names),
            ("exercise", *(f"{own[n].exercise} ({confidence(own[n]):.0%})" for n in names)),
            ("score", *(f"{p.score:.0f} / 100" if math.isfinite(p.score) else "—"
                        for p in preds.values())),
            ("reps", *(str(len(p.reps)) for p in preds.values()))]
    for i in range(max((len(p.reps) for p in preds.values()), default=0)):
        rows.append((f"  rep {i + 1}", *(
            f"{p.reps[i].score:.0f} ({p.reps[i].start / seq.fps:.1f}-"
            f"{p.reps[i].end / seq.fps:.1f} s)" if i < len(p.reps) else "" for p in
            preds.values())))
    faults = sorted({f for p in preds.values() for f in p.faults})
    for f in faults:
        rows.append((f"  {f}", *(f"{p.faults[f]:.0%}" if f in p.faults else "—"
                                 for p in preds.values())))
    hidden = list(dict.fromkeys(f for n in names for f in result.unjudged.get(n, ())))
    for f in hidden:
        rows.append((f"  {f}", *("not judged" if f in result.unjudged.get(n, ()) else "—"
                                 for n in names)))
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    lines = [f"{seq.source}: {seq.n_frames} frames, {seq.duration_s:.1f} s at {seq.fps:g} fps, "
             f"pose: {seq.backend}",
             f"camera: {result.view.describe()}",
             "exercise: " + (words(result.exercise) if result.known else
                             "unknown (none of the exercises FitScore knows)")
             + (" (your choice)" if result.chosen_by == "user" else "")]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    if hidden:
        lines.append(f"not judged: {', '.join(hidden)}: cannot be judged from this camera "
                     f"angle ({result.view.view} view)")
    if result.measured:
        lines.append("measured on the skeleton (compare/measured.py):")
        lines += [f"  {f.fault} {'clip' if f.rep is None else f'rep {f.rep + 1}'}: "
                  f"{f.describe()} (severity {f.severity:.2f}, -{f.points:.0f} points)"
                  for f in result.measured]
    if result.known and math.isfinite(result.score):
        lines.append(f"score: {result.score:.0f} / 100 (the models' mean"
                     + (", capped by the measured faults)" if result.measured else ")"))
    lines.append("the models agree on the exercise" if result.agree
                 else "the models DISAGREE on the exercise")
    for name, p in preds.items():
        for reason in p.reasons:
            lines.append(f"{name}: low confidence: {reason}")
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)


def format_comparison(result) -> str:
    """The reference comparison: ranked joints, worst moments, ranges of motion, feedback."""
    c = result.comparison
    lines = [f"compared with {c.reference_source}"]
    lines += [f"note: {n}" for n in c.notes]
    lines.append("joints that differ most (torso lengths; 90th percentile, mean, peak at):")
    for row in c.joints[:5]:
        lines.append(f"  {row.rank}. {row.joint:10} {row.p90:.2f}  {row.mean:.2f}  "
                     f"{row.peak:.2f} at {row.peak_frame / c.fps:.1f} s")
    lines.append("worst moments: " + ", ".join(f"{m.seconds:.1f} s ({m.joint} {m.value:.2f})"
                                               for m in c.worst))
    lines.append("range of motion, client vs reference (degrees):")
    for name, curve in c.angles.items():
        if np.isfinite(curve.client_rom) and np.isfinite(curve.reference_rom):
            lines.append(f"  {name:22} {curve.client_rom:5.0f}  {curve.reference_rom:5.0f}")
    lines.append("feedback:")
    lines += [f"  - {f.text}" + (f" [{f.source}]" if f.source else "") for f in result.feedback]
    return "\n".join(lines)


def cmd_analyze(args) -> None:
    import json

    from fitscore_core.analysis import analyze, load_scorers
    from fitscore_core.config import ONE_CLIP_POSE_PARTS
    scorers, cache = load_scorers(args.models), pose_cache(args)
    bar = ProgressBar("pose")
    try:
        result = analyze(args.input, scorers, exercise=args.exercise, progress=bar, fps=args.fps,
                         cache=cache, parts=ONE_CLIP_POSE_PARTS)
    finally:
        bar.close()
    if args.reference:
        from fitscore_core.analysis import with_reference
        bar = ProgressBar("reference pose")
        try:
            result = with_reference(result, args.reference, scorers, progress=bar, cache=cache,
                                    parts=ONE_CLIP_POSE_PARTS)
        finally:
            bar.close()
    print(format_analysis(result))
    if result.comparison is not None:
        print(format_comparison(result))
    report_cache(cache)
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_json(), indent=2) + "\n")
        print(f"wrote {args.json}")


def cmd_batch(args) -> None:
    from fitscore_core.batch import run_batch
    cache = pose_cache(args)
    bar = ProgressBar("batch", unit="clip")
    try:
        rows = run_batch(args.input, args.out, exercise=args.exercise, models_dir=args.models,
                         progress=bar, cache=cache, workers=args.workers, engine=args.engine,
                         address=args.address)
    finally:
        bar.close()
    failed = sum(1 for r in rows if r["error"])
    print(f"wrote {args.out}: {len(rows)} inputs, {failed} failed")
    report_cache(cache)


def cmd_evaluate_clips(args) -> None:
    """evaluate --data LABELS.csv: both models on the user's real labelled clips."""
    import json

    from fitscore_core.analysis import load_scorers
    from fitscore_core.clip_eval import (
        answer_names,
        clip_metrics,
        evaluate_clips,
        format_clip_report,
        read_eval_labels,
        result_dicts,
        write_per_clip,
    )
    rows = read_eval_labels(args.data)
    scorers, cache = load_scorers(args.models), pose_cache(args)
    bar = ProgressBar("clips", unit="clip")
    try:
        results = evaluate_clips(rows, scorers, cache=cache, progress=bar)
    finally:
        bar.close()
    metrics = clip_metrics(results, answer_names(scorers))
    print(format_clip_report(metrics))
    for r in results:
        if r.error:
            print(f"failed: {r.path}: {r.error}")
    report_cache(cache)
    if args.json:
        Path(args.json).write_text(json.dumps({"metrics": metrics,
                                               "clips": result_dicts(results)}, indent=2) + "\n")
        print(f"wrote {args.json}")
    if args.per_clip:
        write_per_clip(results, args.per_clip)
        print(f"wrote {args.per_clip}")


def cmd_evaluate(args) -> None:
    import json

    if args.data.lower().endswith(".csv"):
        return cmd_evaluate_clips(args)
    if not args.model:
        raise FitScoreError("--model is required: the checkpoint (.pt) to evaluate on "
                            "synthetic clips (or pass --data LABELS.csv for real clips).")
    from fitscore_core.scorers.checkpoints import load_scorer
    from fitscore_core.scorers.evaluation import evaluate, format_report
    from fitscore_core.scorers.training import examples_from_synth
    from fitscore_core.synth.dataset import generate_dataset, load_dataset
    scorer = load_scorer(args.model)
    if args.data == "synth":
        from fitscore_core.synth.dataset import RealWorld
        ds = generate_dataset(args.n, seed=args.seed, workers=2,
                              real_world=RealWorld() if args.conditions == "real" else None)
    else:
        ds = load_dataset(args.data)
    bar = ProgressBar("evaluate", unit="clip")
    try:
        report = evaluate(scorer, examples_from_synth(ds), progress=bar)
    finally:
        bar.close()
    print(format_report(report))
    print("confusion (rows: true, columns: predicted):")
    for true, row in report["all"]["confusion"].items():
        print(f"  {true:15} " + " ".join(f"{v:5d}" for v in row.values()))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")


def cmd_familiarity(args) -> None:
    """familiarity --model X.pt: fit its check on fresh synthetic clips, rewrite it in place
    (weights unchanged) with the card's new `familiarity` entry."""
    import json

    from fitscore_core.scorers.checkpoints import load_scorer, save_scorer
    from fitscore_core.scorers.familiarity_job import fit_scorer_familiarity
    if not args.scale > 0:
        raise FitScoreError(f"--scale must be a number above 0, got {args.scale}.")
    scorer = load_scorer(args.model)
    if scorer.learner is not None and scorer.learner.recognizers:
        raise FitScoreError(f"{Path(args.model).name} recognises exercises with its own "
                            "small-data learner; the familiarity check is for the network's.")
    bars = ProgressBar("clips", unit="clip"), ProgressBar("embeddings", unit="clip")
    try:
        entry = fit_scorer_familiarity(scorer, args.scale, n=args.n, seed=args.seed,
                                       progress=bars[0], embed_progress=bars[1])
    finally:
        for bar in bars:
            bar.close()
    scorer.card = dict(scorer.card) | {"familiarity": entry}
    save_scorer(scorer, args.model)
    print(json.dumps(entry, indent=2))
    print(f"wrote {args.model}")


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
    p.set_defaults(run=cmd_extract, outputs=[("out", "--out", "folder")])

    p = sub.add_parser("tensor", help="INPUT -> normalized, zero-padded (30 × N) tensor (.npz)")
    p.add_argument("input", help=inp)
    p.add_argument("--out", required=True, help="output .npz file")
    p.add_argument("--fps", type=float, help="frame rate of OpenPose JSON input")
    p.set_defaults(run=cmd_tensor, outputs=[("out", "--out", "npz")])

    synth = sub.add_parser("synth", help="synthetic exercise clips").add_subparsers(
        dest="synth_command", required=True)
    p = synth.add_parser("samples", help="render the sample videos with their ground truth")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(run=cmd_synth_samples, outputs=[("out", "--out", "folder")])
    p = synth.add_parser("dataset", help="2D keypoint sequences with labels, for training")
    p.add_argument("--n", type=int, required=True, help="number of sequences")
    p.add_argument("--out", required=True, help="output .npz file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2, help="processes (default: 2 cores)")
    p.set_defaults(run=cmd_synth_dataset, outputs=[("out", "--out", "npz")])
    p = synth.add_parser("posed", help="render synthetic clips and run the real pose "
                         "estimator on them (resumable), for training and the noise fit")
    p.add_argument("--n", type=int, required=True, help="number of clips")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output folder (one .npz per clip)")
    p.set_defaults(run=cmd_synth_posed, outputs=[("out", "--out", "folder")])
    p = synth.add_parser("noise-report", help="the hand-made noise model against the real "
                         "pose estimator on posed clips")
    p.add_argument("folder", help="a folder written by `synth posed`")
    p.add_argument("--json", help="also write every figure here")
    p.set_defaults(run=cmd_synth_noise_report, outputs=[("json", "--json", "file")])

    p = sub.add_parser("analyze", help="score one INPUT with both models, side by side")
    p.add_argument("input", help=inp)
    p.add_argument("--exercise", help="skip exercise recognition: the clip is this exercise")
    p.add_argument("--json", help="also write the full analysis as JSON here")
    p.add_argument("--fps", type=float, help="frame rate of OpenPose JSON input")
    p.add_argument("--models", default=None, help="folder with cnn1d.pt and lstm.pt")
    p.add_argument("--reference", metavar="REF", help="compare joint by joint with REF: "
                   "'builtin' (a correct execution of the exercise) or a clip (" + inp + ")")
    add_cache_options(p)
    p.set_defaults(run=cmd_analyze, outputs=[("json", "--json", "file")])

    p = sub.add_parser("batch", help="score many inputs (a folder, or a CSV with a path column)")
    p.add_argument("input", help="a folder of inputs, or a CSV whose 'path' column lists them")
    p.add_argument("--out", required=True, help="results CSV")
    p.add_argument("--exercise", help="all inputs are this exercise")
    p.add_argument("--models", default=None, help="folder with cnn1d.pt and lstm.pt")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="score N clips at "
                   "once in N processes on this machine (--engine local; default 1)")
    p.add_argument("--engine", choices=("local", "ray"), default="local", help="local: this "
                   "machine (default); ray: a Ray cluster (pip install the project's "
                   "requirements on every node; clips on storage every node sees)")
    p.add_argument("--address", help="--engine ray: the cluster's head, HOST:PORT (default: "
                   "start a Ray runtime on this machine)")
    add_cache_options(p)
    p.set_defaults(run=cmd_batch, outputs=[("out", "--out", "file")])

    p = sub.add_parser("evaluate", help="metrics of a checkpoint on labelled synthetic clips, "
                       "or of both models on your labelled real clips (LABELS.csv)")
    p.add_argument("--model", help="checkpoint (.pt); needed for synth / .npz")
    p.add_argument("--data", default="synth", help="'synth' (fresh held-out clips), a .npz, "
                   "or LABELS.csv (real clips: path,exercise[,score][,label][,reps]"
                   "[,rep_frames][,fps])")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--seed", type=int, default=12345, help="unseen by training (default)")
    p.add_argument("--conditions", choices=("real", "studio"), default="real",
                   help="conditions of the fresh synthetic clips (as for train)")
    p.add_argument("--json", help="write the full report here")
    p.add_argument("--models", default=None, help="LABELS.csv: folder with cnn1d.pt and "
                   "lstm.pt (default: the shipped models)")
    add_cache_options(p, "LABELS.csv: ")
    p.add_argument("--per-clip", metavar="OUT.csv", help="LABELS.csv: write every clip's "
                   "answers here")
    p.set_defaults(run=cmd_evaluate, outputs=[("json", "--json", "file"),
                                              ("per_clip", "--per-clip", "file")])

    p = sub.add_parser("familiarity", help="fit a checkpoint's check of how far a clip is "
                       "from every clip it was trained on (clips beyond it: `unknown`)")
    p.add_argument("--model", required=True, help="checkpoint (.pt), rewritten in place")
    p.add_argument("--scale", type=float, default=1.5, help="threshold in units of the "
                   "synthetic known clips' 99th-percentile distance (default 1.5)")
    p.add_argument("--n", type=int, default=3000, help="fresh synthetic clips to fit on")
    p.add_argument("--seed", type=int, default=4242, help="unseen by training (default)")
    p.set_defaults(run=cmd_familiarity, outputs=[("model", "--model", "checkpoint")])

    p = sub.add_parser("train", help="train a scorer and write its checkpoint + model card")
    p.add_argument("--model", choices=("cnn1d", "lstm"), required=True)
    p.add_argument("--data", default="synth", help="'synth' (generate), a data set .npz, or "
                   "LABELS.csv (your own clips: path,exercise,score[,faults][,group])")
    p.add_argument("--n", type=int, default=12000, help="clips to generate for --data synth")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--windows-per-clip", type=int, default=1)
    p.add_argument("--conditions", choices=("real", "studio"), default="real",
                   help="synthetic clips as real footage is (framings, hidden joints, any "
                   "view, idle time, movements that are no exercise) or studio-clean")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--posed", metavar="DIR", help="synth: also train on the clips `synth posed` "
                   "rendered and ran the real pose estimator on (same seed, training subjects)")
    p.add_argument("--posed-repeat", type=int, default=4, metavar="K",
                   help="with --posed: each posed clip counts K times (default 4)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", help="checkpoint path; a shipped model is only replaced when named "
                   "here (required, except with --cv, where it also saves a final model)")
    p.add_argument("--cv", type=int, metavar="K", help="LABELS.csv: group K-fold "
                   "cross-validation, per-fold and mean metrics")
    p.add_argument("--oof", metavar="OUT.csv", help="with --cv: write every clip's "
                   "out-of-fold prediction here")
    p.add_argument("--init", metavar="PATH", help="LABELS.csv: the pretrained checkpoint the "
                   "learner describes clips with, or that --finetune tunes (default: the "
                   "shipped models/<model>.pt)")
    p.add_argument("--finetune", action="store_true", help="LABELS.csv: fine-tune the whole "
                   "network instead of the small-data learner (needs hundreds of clips)")
    p.add_argument("--scratch", action="store_true", help="LABELS.csv: train a network from "
                   "scratch instead of the small-data learner")
    p.add_argument("--cache", default=None, help="LABELS.csv: pose cache folder (default: "
                   "FITSCORE_POSE_CACHE or ~/.cache/fitscore/poses)")
    p.add_argument("--no-cache", action="store_true", help="LABELS.csv: estimate every "
                   "video's poses again, without reading or writing the pose cache")
    p.set_defaults(run=cmd_train, outputs=[("out", "--out", "checkpoint"),
                                           ("oof", "--oof", "parents")])

    p = sub.add_parser("bench", help="speed: decode / pose / features, or the models; "
                       "real: the models on real clips")
    p.add_argument("what", nargs="?", choices=("pose", "models", "real", "upper-coco",
                                               "measured", "hanging", "hostile", "history",
                                               "batch"),
                   default="pose",
                   help="pose: decode / pose / features (default); models: scoring, "
                   "comparison and attribution speed of the trained models; real: the "
                   "models' figures on the real clips in ../shared/real; upper-coco: on "
                   "synthetic upper-body clips framed from the waist or knees up, as "
                   "COCO-18 JSON; measured: the measured faults' angles on synthetic reps, and "
                   "how they rank real wrong push-ups; hanging: how often the hanging check "
                   "(pull-ups, dips) fires on synthetic and real clips; hostile: peak memory "
                   "and CPU of "
                   "every hostile input; "
                   "history: a client with 100 sessions' progress, and the session PDF; "
                   "batch: clips/min of 1 worker, --workers 2 and Ray on generated 10 s "
                   "clips, pose cache off")
    p.add_argument("--dir", help="hostile: build the inputs here (default: a temporary "
                   "folder)")
    p.add_argument("--frames", type=int, default=150, help="frames per clip")
    p.add_argument("--n", type=int, default=800,
                   help="upper-coco, measured, hanging: clips to generate")
    p.add_argument("--clips", type=int, default=20, help="batch: 10 s clips to score")
    p.add_argument("--clips-dir", default=None, help="batch: where the generated clips are "
                   "kept (default ~/.cache/fitscore/bench-batch)")
    p.add_argument("--models", default=None, help="folder with cnn1d.pt and lstm.pt")
    p.add_argument("--real", metavar="DIR", help="real: the folder of real clips (default: "
                   "../shared/real beside the checkout)")
    add_cache_options(p, "real: ")
    p.add_argument("--json", help="real: write every figure and clip answer here")
    p.set_defaults(run=cmd_bench, outputs=[("json", "--json", "file")])
    return parser


def check_outputs(args) -> None:
    """Every path the command will write, checked before any work (a traceback after an hour
    of training threw the result away): `outputs` holds (attribute, option, kind) with kind
    file (its folder must exist), parents (missing folders are made), folder, npz (numpy
    adds .npz) or checkpoint (a .pt and its card beside it)."""
    for attr, option, kind in getattr(args, "outputs", ()):
        path = getattr(args, attr)
        if not path:
            continue
        if kind == "npz" and not path.endswith(".npz"):
            path += ".npz"
        check_output(path, option, folder=kind == "folder",
                     make_parents=kind in ("parents", "checkpoint"))
        if kind == "checkpoint":
            card = Path(path).with_suffix(".json")
            if card == Path(path):
                raise FitScoreError(f"{option} {readable(path)}: the model card is written "
                                    f"beside the checkpoint as {card.name}; give the "
                                    "checkpoint a .pt name.")
            check_output(card, f"{option} {readable(path)}: its model card", make_parents=True)
        for source in (getattr(args, "input", None), getattr(args, "data", None)):
            if source and Path(source).is_file() and Path(source).resolve() == Path(
                    path).resolve():
                raise FitScoreError(f"{option} {readable(path)}: that is the input file; "
                                    "write to another file.")


def main(argv: list[str] | None = None) -> int:
    """Run one command: 0 when done, 2 with one `error: ...` line for bad input, 130 with
    `interrupted` on Ctrl-C (a traceback there would look like a crash)."""
    if getattr(sys.stdout, "errors", None) == "strict" and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")   # an odd file name never crashes
    try:
        args = build_parser().parse_args(argv)
        check_outputs(args)
        args.run(args)
    except FitScoreError as error:
        print(f"error: {readable(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
