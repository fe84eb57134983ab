"""Analysis: the one object the dashboard, the CLI and reports read for a clip.

    >>> from fitscore_core.analysis import analyze, load_scorers
    >>> result = analyze("sample_videos/squat_good.mp4", load_scorers())   # doctest: +SKIP
    >>> {m: p.score for m, p in result.predictions.items()}               # doctest: +SKIP

INPUT -> cleaned PoseSequence -> normalized features -> each scorer's prediction; with a
reference (`with_reference`), the joint-by-joint comparison and the written feedback; with
`with_attributions`, what drove each model's score.
"""

from dataclasses import dataclass, field, replace
from pathlib import Path

from fitscore_core.compare.comparison import Comparison, compare
from fitscore_core.compare.feedback import Feedback, write_feedback
from fitscore_core.compare.reference import (
    Reference,
    builtin_reference,
    match_facing,
    reference_from_sequence,
)
from fitscore_core.config import FEATURES, MODELS_DIR
from fitscore_core.errors import FitScoreError
from fitscore_core.features import ClipFeatures, normalize, resample
from fitscore_core.pose.inputs import Progress, load_sequence
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.scorers.attribution import Attribution, attribute
from fitscore_core.scorers.checkpoints import Scorer, load_scorer
from fitscore_core.scorers.scoring import ModelPrediction, predict

MODEL_NAMES = ("cnn1d", "lstm")


@dataclass(frozen=True)
class Analysis:
    sequence: PoseSequence                     # cleaned, BODY_25 pixels, source fps
    features: ClipFeatures                     # normalized, source fps (the tensor page)
    model_features: ClipFeatures               # resampled to the models' fps
    predictions: dict[str, ModelPrediction]    # "cnn1d" / "lstm" -> answer
    notes: tuple[str, ...] = field(default=())
    reference: Reference | None = None         # with_reference: what the client is compared with
    comparison: Comparison | None = None
    feedback: tuple[Feedback, ...] = ()
    attributions: dict[str, Attribution] = field(default_factory=dict)  # with_attributions

    @property
    def agree(self) -> bool:
        return len({p.exercise for p in self.predictions.values()}) == 1

    @property
    def exercise(self) -> str:
        """The exercise the models agree on, or the one the more confident model names."""
        best = max(self.predictions.values(), key=lambda p: p.exercise_probs[p.exercise])
        return best.exercise

    def to_json(self) -> dict:
        seq = self.sequence
        return {
            "source": seq.source, "frames": seq.n_frames, "fps": seq.fps,
            "duration_s": round(seq.duration_s, 3), "pose_backend": seq.backend,
            "size": list(seq.size) if seq.size else None, "notes": list(self.notes),
            "models": {name: {
                "exercise": p.exercise,
                "exercise_probs": {k: round(v, 4) for k, v in p.exercise_probs.items()},
                "score": round(p.score, 2),
                "faults": {k: round(v, 4) for k, v in p.faults.items()},
                "reps": [{"rep": i + 1, "start_frame": r.start, "end_frame": r.end,
                          "start_s": round(r.start / seq.fps, 3),
                          "end_s": round(r.end / seq.fps, 3), "score": round(r.score, 2)}
                         for i, r in enumerate(p.reps)],
                "low_confidence": p.low_confidence, "reasons": list(p.reasons),
            } for name, p in self.predictions.items()},
            "models_agree": self.agree,
        } | ({"comparison": self.comparison.to_json() | {
            "feedback": [{"text": f.text, "source": f.source, "fault": f.fault,
                          "joints": list(f.joints)} for f in self.feedback]}}
             if self.comparison is not None else {})


def load_scorers(models_dir: str | Path | None = None) -> dict[str, Scorer]:
    """The shipped checkpoints (models/cnn1d.pt, models/lstm.pt), or those in models_dir."""
    models_dir = Path(models_dir or MODELS_DIR)
    missing = [n for n in MODEL_NAMES if not (models_dir / f"{n}.pt").is_file()]
    if missing:
        raise FitScoreError(f"No trained model {', '.join(missing)} in {models_dir}; train "
                            "them first (see README, 'Training').")
    return {n: load_scorer(models_dir / f"{n}.pt") for n in MODEL_NAMES}


def analyze_sequence(seq: PoseSequence, scorers: dict[str, Scorer],
                     exercise: str | None = None) -> Analysis:
    features = normalize(seq)
    model_features = resample(features, FEATURES.fps)
    predictions = {name: predict(s, model_features, exercise, source_fps=seq.fps)
                   for name, s in scorers.items()}
    return Analysis(seq, features, model_features, predictions, seq.notes)


def analyze(path: str | Path, scorers: dict[str, Scorer], exercise: str | None = None,
            progress: Progress | None = None, backend=None, fps: float | None = None
            ) -> Analysis:
    """A video, OpenPose JSON folder or zip -> the full Analysis."""
    seq = load_sequence(path, backend=backend, fps=fps, progress=progress)
    return analyze_sequence(seq, scorers, exercise)


def with_reference(result: Analysis, reference: str | Path,
                   scorers: dict[str, Scorer], progress: Progress | None = None,
                   fps: float | None = None) -> Analysis:
    """Add the comparison with `reference` ("builtin" for the built-in execution of the
    client's exercise, or a clip) and the feedback. A reference clip's own exercise is
    recognised by the models, so comparing with another exercise is noticed (and noted)."""
    exercise = result.exercise
    if str(reference) == "builtin":
        ref = builtin_reference(exercise)
    else:
        own = analyze(reference, scorers, progress=progress, fps=fps)
        ref = reference_from_sequence(own.sequence, own.exercise, Path(reference).name)
    comparison = compare(result.model_features, ref, exercise)
    feedback = write_feedback(comparison, result.predictions, exercise)
    return replace(result, reference=ref, comparison=comparison, feedback=tuple(feedback))


def with_attributions(result: Analysis, scorers: dict[str, Scorer]) -> Analysis:
    """Each model's integrated-gradient map of its score: against the reference (turned to
    face the client) when there is one — which differences from a correct execution drove
    the score — else against the still clip."""
    baseline = (match_facing(result.model_features, result.reference).features
                if result.reference is not None else None)
    return replace(result, attributions={
        name: attribute(s, result.model_features, result.predictions[name].exercise,
                        reference=baseline) for name, s in scorers.items()})
