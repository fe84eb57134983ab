"""How the shipped models do on real recordings (`python -m fitscore_core bench real`).

    >>> from fitscore_core.analysis import load_scorers
    >>> from fitscore_core.bench.real import DEFAULT_REAL, format_real_table, run_real
    >>> report = run_real(DEFAULT_REAL, load_scorers())                     # doctest: +SKIP
    >>> print(format_real_table(report))                                    # doctest: +SKIP

The clips live in `../shared/real/` beside the checkout (see its README: measure on them,
never copy them in, no test depends on them), so this is a benchmark, not a test. Three sets:
one side-view curl (`bicep_curl_side.mp4`), PushFit push-ups labelled correct / wrong
(`pushfit/labels.csv`: good-vs-bad AUC of the score), and WorkoutTracker clips with counted
reps (`workouttracker/labels.csv`: push-ups, squats, and pull-ups and dips, which no model
knows, so the right answer for those is "unknown"). Poses come from the pose cache, so a
second run costs only the models. The markdown table is what README shows.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fitscore_core.clip_eval import (
    ANSWER,
    ClipResult,
    EvalLabel,
    answer_names,
    clip_metrics,
    evaluate_clips,
    read_eval_labels,
    result_dicts,
)
from fitscore_core.scorers.checkpoints import Scorer

Progress = Callable[[int, int], None]

DEFAULT_REAL = Path(__file__).resolve().parents[3] / "shared" / "real"
CURL = "bicep_curl_side.mp4"
UNKNOWN_SET = ("pull_up", "dip")     # WorkoutTracker exercises none of the models knows
REP_EXERCISES = ("push_up", "squat")  # where a counted rep is comparable with FitScore's reps


@dataclass(frozen=True)
class RealSet:
    key: str
    title: str
    rows: list[EvalLabel]


def real_sets(folder: Path) -> tuple[list[RealSet], list[str]]:
    """The sets found in `folder`, and a note for each one that is missing."""
    found, missing = [], []
    if (folder / CURL).is_file():
        found.append(RealSet("bicep_curl_side", CURL,
                             [EvalLabel(folder / CURL, CURL, "bicep_curl", csv_name="(built in)")]))
    else:
        missing.append(f"{folder / CURL} is missing")
    for key, title in (("pushfit", "PushFit"), ("workouttracker", "WorkoutTracker")):
        labels = folder / key / "labels.csv"
        if labels.is_file():
            found.append(RealSet(key, title, read_eval_labels(labels)))
        else:
            missing.append(f"{labels} is missing")
    return found, missing


def _subsets(key: str, results: list[ClipResult], models: list[str]) -> dict[str, dict]:
    """The slices the table reads beside a set's overall figures."""
    if key != "workouttracker":
        return {}
    pick = lambda names: [r for r in results if r.exercise in names]  # noqa: E731
    out = {ex: clip_metrics(pick((ex,)), models) for ex in REP_EXERCISES}
    out["+".join(UNKNOWN_SET)] = clip_metrics(pick(UNKNOWN_SET), models)
    out["reps"] = clip_metrics(pick(REP_EXERCISES), models)
    return out


def run_real(folder: str | Path, scorers: dict[str, Scorer], cache=None,
             progress: Progress | None = None) -> dict:
    """Every set found: its metrics, the table's slices, and every clip's answers."""
    folder = Path(folder)
    sets, missing = real_sets(folder)
    models = answer_names(scorers)       # each model, then FitScore's one answer
    total, done = sum(len(s.rows) for s in sets), 0
    report = {"folder": str(folder), "models": models, "missing": missing, "sets": {}}
    for s in sets:
        def step(k: int, _n: int, offset: int = done) -> None:
            if progress is not None:
                progress(offset + k, total)
        results = evaluate_clips(s.rows, scorers, cache=cache, progress=step)
        done += len(s.rows)
        report["sets"][s.key] = {"title": s.title, "metrics": clip_metrics(results, models),
                                 "subsets": _subsets(s.key, results, models),
                                 "clips": result_dicts(results)}
    return report


# ---------------------------------------------------------------------------- the table

def _share(m: dict, failed: int = 0) -> str:
    """'74% (34/46)': right over answered clips; failed (refused) clips are said, not hidden."""
    refused = f", {failed} failed" if failed else ""
    if not m.get("clips"):
        return f"— (0 answered{refused})"
    return f"{m['exercise_accuracy']:.0%} ({m['correct']}/{m['clips']}{refused})"


def _by_exercise(key: str, entry: dict, model: str) -> str:
    """WorkoutTracker: per true exercise; the curl: what each model answered."""
    if key == "bicep_curl_side":
        clip = entry["clips"][0]
        if clip["error"]:
            return f"failed: {clip['error']}"
        return f"answered {clip[f'{model}_exercise']} ({clip[f'{model}_confidence']:.0%})"
    parts = []
    for name, m in entry["subsets"].items():
        if name == "reps":
            continue
        label = f"{name} → unknown" if name == "+".join(UNKNOWN_SET) else name
        parts.append(f"{label} {_share(m['models'][model], m['failed'])}")
    return ", ".join(parts) or "—"


def _auc(m: dict) -> str:
    cells = [f"{g['auc']:.2f} ({g['good']} good / {g['bad']} bad)"
             for g in m["good_vs_bad"].values() if g["auc"] is not None]
    return ", ".join(cells) or "—"


def _reps(m: dict) -> tuple[str, str]:
    r = m["reps"]
    if not r["clips"]:
        return "—", "—"
    return f"{r['exact']:.0%} (n={r['clips']})", f"{r['within_one']:.0%}"


def format_real_table(report: dict) -> str:
    """One markdown table: per set and model, exercise right, good-vs-bad AUC, ECE, wrong
    answers above 90 % confidence, reps exact / within one."""
    lines = ["| set | model | clips | exercise right | by true exercise | good vs bad AUC | "
             "ECE | wrong > 90 % | reps exact | reps within one |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for key, entry in report["sets"].items():
        overall = entry["metrics"]
        clips = f"{overall['clips']}" + (f" ({overall['failed']} failed)"
                                         if overall["failed"] else "") + (
            f" ({overall['refused']} too little to judge)" if overall["refused"] else "")
        for model in report["models"]:
            m = overall["models"][model]
            rep_source = entry["subsets"].get("reps", overall)["models"][model]
            exact, within = _reps(rep_source)
            ece = "—" if m["ece"] is None else f"{m['ece']:.2f}"
            name = "both (the answer)" if model == ANSWER else model
            lines.append(f"| {entry['title']} | {name} | {clips} | {_share(m)} | "
                         f"{_by_exercise(key, entry, model)} | {_auc(m)} | {ece} | "
                         f"{m['confident_wrong']} | {exact} | {within} |")
    return "\n".join(lines)
