"""The upper-body exercises as the real recordings of them arrive (`bench upper-coco`).

    >>> from fitscore_core.analysis import load_scorers
    >>> from fitscore_core.bench.upper_coco import format_upper_coco, run_upper_coco
    >>> print(format_upper_coco(run_upper_coco(load_scorers(), n=400)))   # doctest: +SKIP

Real curls, front raises, shoulder presses and shrugs come filmed from the waist or the knees
up, often side-on, as OpenPose COCO-18 JSON (no feet, no MidHip, no frame size). This builds
that test set from synthetic clips nobody trained on (seed 54321): real-footage conditions,
every clip cut at the hips, thighs or knees (conditions.cut_below), the keypoints sent
through COCO-18 and back as the JSON import reads them, and no frame size. The figures per
exercise say how far the synthetic figures carry over to such input.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr

from fitscore_core.errors import FitScoreError
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.pose.skeletons import body25_to_coco18, coco18_to_body25
from fitscore_core.scorers.checkpoints import Scorer
from fitscore_core.scorers.evaluation import predict_rows
from fitscore_core.scorers.training import Example, clip_features
from fitscore_core.synth.conditions import UPPER_BODY, cut_below
from fitscore_core.synth.dataset import RealWorld, generate_dataset

SEED = 54321
FRAMINGS = ("hips", "thighs", "knees")


@dataclass(frozen=True)
class UpperCocoRow:
    exercise: str
    clips: int
    accuracy: dict[str, float]           # model -> share recognised
    answers: dict[str, dict[str, int]]   # model -> answer -> clips
    mae: dict[str, float | None]
    spearman: dict[str, float | None]


def upper_coco_examples(n: int, seed: int = SEED, progress: Callable | None = None
                        ) -> list[Example]:
    """n synthetic upper-body clips framed from the waist or knees up, as COCO-18 JSON."""
    ds = generate_dataset(n, seed=seed, exercises=UPPER_BODY, workers=2,
                          real_world=RealWorld(unknown_share=0.0))
    rng = np.random.default_rng(seed)
    out = []
    for i in range(len(ds)):
        seq = ds.pose_sequence(i)
        cut = cut_below(seq.keypoints, seq.size, FRAMINGS[int(rng.integers(3))], rng)
        kps = cut[0] if cut is not None else seq.keypoints
        kps = coco18_to_body25(body25_to_coco18(kps))
        try:
            feats = clip_features(PoseSequence(kps, seq.fps, None, seq.source, "openpose-coco"))
        except FitScoreError:
            continue                     # too little seen: a real import would be refused too
        reps = ds.reps_of(i)
        ratio = feats.fps / seq.fps
        ranges = np.clip(np.round(ds.rep_ranges[reps] * ratio), 0, feats.n_frames).astype(int)
        out.append(Example(feats.values, str(ds.exercise[i]), float(ds.score[i]), ranges,
                           ds.rep_scores[reps], ds.rep_fault_severity[reps],
                           f"subject-{ds.subject[i]}", float(ds.yaw_deg[i]), seq.source))
        if progress is not None:
            progress(i + 1, len(ds))
    return out


def run_upper_coco(scorers: dict[str, Scorer], n: int = 800, seed: int = SEED,
                   progress: Callable | None = None) -> list[UpperCocoRow]:
    examples = upper_coco_examples(n, seed, progress)
    rows = {name: predict_rows(s, examples) for name, s in scorers.items()}
    table = []
    for ex in UPPER_BODY:
        acc, answers, mae, rho = {}, {}, {}, {}
        for name, preds in rows.items():
            mine = [r for r in preds if r["exercise"] == ex]
            acc[name] = float(np.mean([r["pred_exercise"] == ex for r in mine])) if mine else 0.0
            answers[name] = {}
            for r in mine:
                answers[name][r["pred_exercise"]] = answers[name].get(r["pred_exercise"], 0) + 1
            scored = [r for r in mine if r["pred_exercise"] == ex]
            t = np.array([r["score"] for r in scored])
            p = np.array([r["pred_score"] for r in scored])
            mae[name] = float(np.abs(t - p).mean()) if len(t) else None
            rho[name] = float(spearmanr(t, p).statistic) if len(t) > 2 else None
        table.append(UpperCocoRow(ex, sum(r["exercise"] == ex for r in next(iter(rows.values()))),
                                  acc, answers, mae, rho))
    return table


def format_upper_coco(table: list[UpperCocoRow]) -> str:
    """A markdown table: per exercise and model, recognised, the most common other answer,
    score MAE and Spearman on the clips recognised."""
    fmt = lambda v, f: "—" if v is None else format(v, f)  # noqa: E731
    lines = ["| exercise | clips | model | recognised | most common other answer | score MAE "
             "| Spearman |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for row in table:
        for name in row.accuracy:
            others = {a: c for a, c in row.answers[name].items() if a != row.exercise}
            other = max(others, key=others.get) if others else None
            lines.append(f"| {row.exercise} | {row.clips} | {name} | {row.accuracy[name]:.1%} | "
                         f"{f'{other} ({others[other]})' if other else '—'} | "
                         f"{fmt(row.mae[name], '.2f')} | {fmt(row.spearman[name], '.3f')} |")
    return "\n".join(lines)
