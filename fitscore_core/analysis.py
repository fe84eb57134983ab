"""Analysis: the one object the dashboard, the CLI and reports read for a clip.

    >>> from fitscore_core.analysis import analyze, load_scorers
    >>> result = analyze("sample_videos/squat_good.mp4", load_scorers())   # doctest: +SKIP
    >>> result.exercise, result.view.view, result.own_exercise              # doctest: +SKIP
    >>> {m: p.score for m, p in result.predictions.items()}               # doctest: +SKIP

INPUT -> cleaned PoseSequence -> normalized features -> each scorer's prediction; with a
reference (`with_reference`), the joint-by-joint comparison and the written feedback; with
`with_attributions`, what drove each model's score.

Honest answers (issue 12):
  - **one exercise**: the user's choice, else the more confident model's answer, unless
    the two models together are not sure of it (their mean probability of it under
    MIN_KNOWN_CONFIDENCE, as when two fairly sure models name different exercises): then
    "unknown" (`choose_exercise`). A model that named another one is asked again with
    that exercise (`predict(..., exercise=)`), so
    every score, fault, the comparison and the feedback are of ONE exercise; what each model
    first answered is kept (`own_predictions`) and the disagreement is said in the notes;
  - **camera view** (pose/view.py): faults that cannot be judged from it go to `unjudged`
    instead of carrying a probability (fault_views.py), and a note says where to
    film the exercise from when the clip was filmed otherwise;
  - **too little to judge** (scorers/coverage.py): a clip without the joints the exercise
    needs is refused with a message that says what to film;
  - **unknown**: when the chosen answer is "unknown", there is no score, no fault and no
    comparison, only the skeleton and a note listing the exercises FitScore knows. Besides
    the models' own `unknown`, the skeleton can decide it (`chosen_by == "skeleton"`): hands
    held still while the body travels up and down, feet and all (pose/hanging.py: pull-ups,
    dips), unless the user chose the exercise.
"""

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from fitscore_core.compare.comparison import Comparison, compare
from fitscore_core.compare.feedback import Feedback, write_feedback
from fitscore_core.compare.measured import MeasuredFault, ceilings, measure_faults
from fitscore_core.compare.reference import (
    Reference,
    builtin_reference,
    match_facing,
    reference_from_sequence,
)
from fitscore_core.config import FEATURES, MODELS_DIR
from fitscore_core.errors import FitScoreError
from fitscore_core.fault_views import RECOMMENDED, unjudgeable, well_filmed
from fitscore_core.features import ClipFeatures, normalize, resample
from fitscore_core.pose.hanging import (
    HANG_CONFIDENCE,
    HangReading,
    read_hanging,
    shoulder_height,
)
from fitscore_core.pose.inputs import Progress, load_sequence
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.pose.view import CameraView, estimate_view
from fitscore_core.scorers.attribution import Attribution, attribute
from fitscore_core.scorers.checkpoints import Scorer, load_scorer
from fitscore_core.scorers.coverage import check_coverage
from fitscore_core.scorers.reps import cut_reps, excursion_from_rest
from fitscore_core.scorers.scoring import (
    MIN_KNOWN_CONFIDENCE,
    UNKNOWN,
    ModelPrediction,
    RepResult,
    known_exercises,
    predict,
)

MODEL_NAMES = ("cnn1d", "lstm")
NO_VIEW = CameraView("unknown", None, float("nan"), 0.0, "not estimated")
FILMED_FROM = {"front": "from the front", "side": "from the side",
               "diagonal": "from a diagonal, between the front and the side"}


def words(name: str) -> str:
    """'push_up' -> 'push-up', 'bicep_curl' -> 'bicep curl': an exercise or fault in words."""
    return name.replace("_", " ").replace("push up", "push-up")


def confidence(p: ModelPrediction) -> float:
    """How sure a model is of its own answer: the probability of the exercise it named; for
    an "unknown" answer outside its vocabulary, 1 - its best known exercise's probability."""
    probs = p.exercise_probs
    if p.exercise in probs:
        return float(probs[p.exercise])
    return 1.0 - max(probs.values(), default=0.0) if p.exercise == UNKNOWN else 0.0


def finite_mean(values) -> float:
    """The mean of the finite values (a model without a score gives NaN), NaN if none."""
    values = [v for v in values if math.isfinite(v)]
    return sum(values) / len(values) if values else float("nan")


def undecided(own: dict[str, ModelPrediction], chosen: str) -> bool:
    """Whether `chosen` is "unknown" although the surer model named an exercise."""
    return (chosen == UNKNOWN and bool(own)
            and max(own.values(), key=confidence).exercise != UNKNOWN)


def joint_confidence(own: dict[str, ModelPrediction], exercise: str) -> float:
    """How sure the models are of `exercise` together: the mean of their (calibrated)
    probabilities of it; of "unknown", 1 - that of the likeliest known exercise."""
    def mean(name: str) -> float:
        return sum(p.exercise_probs.get(name, 0.0) for p in own.values()) / max(len(own), 1)
    if exercise != UNKNOWN:
        return mean(exercise)
    known = {e for p in own.values() for e in p.exercise_probs if e != UNKNOWN}
    return 1.0 - max(map(mean, known), default=0.0)


def _no_answer(p: ModelPrediction, exercise: str, reason: str) -> ModelPrediction:
    """p's model, for `exercise`, without score, faults or reps (an "unknown" exercise, or
    one this model was never taught)."""
    return replace(p, exercise=exercise, score=float("nan"), faults={}, reps=[],
                   low_confidence=True, reasons=p.reasons + ((reason,) if reason else ()))


@dataclass(frozen=True)
class Analysis:
    sequence: PoseSequence                     # cleaned, BODY_25 pixels, source fps
    features: ClipFeatures                     # normalized, source fps (the tensor page)
    model_features: ClipFeatures               # resampled to the models' fps
    predictions: dict[str, ModelPrediction]    # "cnn1d" / "lstm" -> answer, all for `exercise`
    notes: tuple[str, ...] = field(default=())
    reference: Reference | None = None         # with_reference: what the client is compared with
    comparison: Comparison | None = None
    feedback: tuple[Feedback, ...] = ()
    attributions: dict[str, Attribution] = field(default_factory=dict)  # with_attributions
    view: CameraView = NO_VIEW                 # where the camera stood (pose/view.py)
    exercise: str = ""                         # the ONE exercise of the analysis, or "unknown"
    chosen_by: str = "models"                  # "user", "models" or "skeleton" (pose/hanging.py)
    own_predictions: dict[str, ModelPrediction] = field(default_factory=dict)
    # each model's first answer, before it was asked about `exercise` (the same object when
    # it named `exercise` itself)
    unjudged: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # per model: faults of `exercise` that cannot be judged from this camera view
    measured: tuple[MeasuredFault, ...] = ()   # faults read off the skeleton, per rep
    # reps counted, without a score, on a clip the skeleton answered `unknown` (pull-ups,
    # dips: pose/hanging.py): frames [start, end) of the source clip
    counted_reps: tuple[tuple[int, int], ...] = ()

    def __post_init__(self):
        if not self.exercise and self.predictions:   # built by hand: the old property
            best = max(self.predictions.values(), key=confidence)
            object.__setattr__(self, "exercise", best.exercise)

    @property
    def own_exercise(self) -> dict[str, str]:
        """What each model itself answered (before being asked about `exercise`)."""
        own = self.own_predictions or self.predictions
        return {name: p.exercise for name, p in own.items()}

    @property
    def agree(self) -> bool:
        """Whether the models, on their own, named the same exercise."""
        return len(set(self.own_exercise.values())) == 1

    @property
    def undecided(self) -> bool:
        """"unknown" because the models together were not sure of what the surer one named."""
        return self.chosen_by == "models" and undecided(self.own_predictions or
                                                        self.predictions, self.exercise)

    @property
    def exercise_confidence(self) -> float:
        """How sure FitScore is of its one answer: the models' joint confidence, or for an
        `unknown` the skeleton decided (pose/hanging.py), that check's precision on fresh
        synthetic clips (HANG_CONFIDENCE: the models were sure of some exercise)."""
        if self.chosen_by == "skeleton":
            return HANG_CONFIDENCE
        return joint_confidence(self.own_predictions or self.predictions, self.exercise)

    @property
    def known(self) -> bool:
        """False when the exercise is "unknown": no score, faults or comparison."""
        return self.exercise != UNKNOWN

    @property
    def reps(self) -> list[RepResult]:
        """The reps: every model cuts them from the same features, so the longest list."""
        return max((p.reps for p in self.predictions.values()), key=len, default=[])

    def _model_rep_means(self) -> list[float]:
        reps = self.reps
        same = [p.reps for p in self.predictions.values() if reps and len(p.reps) == len(reps)]
        return [finite_mean(r[k].score for r in same) for k in range(len(reps))]

    @property
    def rep_scores(self) -> list[float]:
        """Each rep's score: the models' mean, at most what its measured faults leave
        (compare/measured.py: 100 less their rubric points)."""
        top = ceilings(self.measured, len(self.reps))
        return [min(m, c) if math.isfinite(m) else m
                for m, c in zip(self._model_rep_means(), top)]

    @property
    def score(self) -> float:
        """The clip's score: the models' mean, less what the measured faults take beyond
        it in each rep (averaged over the reps, as the clip score is); NaN when unknown."""
        models = finite_mean(p.score for p in self.predictions.values())
        if not self.measured or not math.isfinite(models):
            return models
        means = self._model_rep_means() or [models]
        over = [max(0.0, m - c) for m, c in zip(means, ceilings(self.measured, len(self.reps)))
                if math.isfinite(m)]
        return models - (sum(over) / len(over) if over else 0.0)

    def to_json(self) -> dict:
        seq = self.sequence
        own = self.own_predictions or self.predictions

        def number(v: float | None, digits: int = 2):
            return round(v, digits) if v is not None and math.isfinite(v) else None

        return {
            "source": seq.source, "frames": seq.n_frames, "fps": seq.fps,
            "duration_s": round(seq.duration_s, 3), "pose_backend": seq.backend,
            "size": list(seq.size) if seq.size else None, "notes": list(self.notes),
            "view": {"view": self.view.view, "facing": self.view.facing,
                     "yaw_deg": number(self.view.yaw_deg, 1),
                     "confidence": self.view.confidence, "why": self.view.why},
            "exercise": self.exercise, "exercise_chosen_by": self.chosen_by,
            "exercise_confidence": number(self.exercise_confidence, 4),
            "models": {name: {
                "exercise": p.exercise,
                "own_exercise": own[name].exercise if name in own else p.exercise,
                "own_exercise_confidence": number(confidence(own.get(name, p)), 4),
                "exercise_probs": {k: round(v, 4) for k, v in p.exercise_probs.items()},
                # distance from the training clips / threshold (familiarity.py), or null
                "unfamiliarity": number(own.get(name, p).unfamiliarity, 3),
                "score": number(p.score),
                "faults": {k: round(v, 4) for k, v in p.faults.items()},
                "unjudged_faults": list(self.unjudged.get(name, ())),
                "reps": [{"rep": i + 1, "start_frame": r.start, "end_frame": r.end,
                          "start_s": round(r.start / seq.fps, 3),
                          "end_s": round(r.end / seq.fps, 3), "score": number(r.score),
                          "faults": {k: round(v, 4) for k, v in r.faults.items()}}
                         for i, r in enumerate(p.reps)],
                "low_confidence": p.low_confidence, "reasons": list(p.reasons),
            } for name, p in self.predictions.items()},
            "models_agree": self.agree,
            "score": number(self.score),
            "measured_faults": [{"fault": f.fault, "rep": None if f.rep is None else f.rep + 1,
                                 "value": round(f.value, 1), "what": f.what,
                                 "severity": round(f.severity, 3), "points": round(f.points, 1)}
                                for f in self.measured],
            "counted_reps": [{"rep": i + 1, "start_frame": a, "end_frame": b,
                              "start_s": round(a / seq.fps, 3), "end_s": round(b / seq.fps, 3)}
                             for i, (a, b) in enumerate(self.counted_reps)],
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


def choose_exercise(own: dict[str, ModelPrediction], exercise: str | None) -> str:
    """The user's choice, else the answer of the model most sure of its own; "unknown" when
    the models together are not sure of it (joint_confidence under MIN_KNOWN_CONFIDENCE:
    a cnn1d 90 % sure of a squat beside an LSTM 90 % sure of a lunge knows nothing a
    trainer can use). Models that never learnt "unknown" (a user's, trained from scratch)
    always name their best exercise, as in scoring.recognise."""
    if exercise:
        return exercise
    if unfamiliar(own):
        return UNKNOWN
    best = max(own.values(), key=confidence).exercise
    if (best != UNKNOWN and all(UNKNOWN in p.exercise_probs for p in own.values())
            and joint_confidence(own, best) < MIN_KNOWN_CONFIDENCE):
        return UNKNOWN
    return best


def unfamiliar(own: dict[str, ModelPrediction]) -> list[str]:
    """The models to which the clip is unlike every clip they were trained on
    (scorers/familiarity.py): one is enough to name no exercise, since its classifier's
    answer would be a guess about a movement it has never seen."""
    return [n for n, p in own.items() if p.unfamiliarity is not None and p.unfamiliarity > 1]


def _disagreement(own: dict[str, ModelPrediction], chosen: str, by_user: bool,
                  hanging: HangReading | None = None) -> str | None:
    """A note in a trainer's words when a model's own answer is not the chosen exercise."""
    def thought(n: str, p: ModelPrediction) -> str:
        if n in unfamiliar(own):
            return f"the {n} model found the movement unlike every clip it was trained on"
        return (f"the {n} model thought it was "
                + ("none of the exercises it knows" if p.exercise == UNKNOWN
                   else f"a {words(p.exercise)}") + f" ({confidence(p):.0%})")
    others = {n: p for n, p in own.items() if p.exercise != chosen}
    said = ", ".join(thought(n, p) for n, p in others.items())
    if hanging is not None and hanging.hangs:
        return ("The hands held still while the body travelled up and down, feet and all ("
                f"{hanging.describe()}), as when hanging from a bar or working on dip bars: "
                "none of the exercises FitScore knows"
                + (f", although {said}" if others else "") + "; if it is one of them, choose "
                "it yourself.")
    if not others:
        return None
    what = ("none of the exercises FitScore knows" if chosen == UNKNOWN
            else f"a {words(chosen)}")
    if by_user:
        return (f"You chose {words(chosen)}; on its own {said}. Every score, fault and the "
                f"comparison below are for {what}.")
    strange = unfamiliar(own)
    if strange and chosen == UNKNOWN:
        return (f"The movement is unlike every clip the {' and the '.join(strange)} "
                f"model{'s were' if len(strange) > 1 else ' was'} trained on, so FitScore "
                f"does not name an exercise, although {said}; if it is one of them, choose "
                "it yourself.")
    if undecided(own, chosen):
        return (f"The models disagree on the exercise: "
                f"{', '.join(thought(n, p) for n, p in own.items())}. Together they are not "
                f"{MIN_KNOWN_CONFIDENCE:.0%} sure of any, so FitScore does not name one; if it "
                "is one of them, choose it yourself.")
    sure = [f"the {n} model ({confidence(p):.0%})" for n, p in own.items()
            if p.exercise == chosen]
    return (f"The models disagree on the exercise: {said}, while {' and '.join(sure)} "
            f"{'sees' if len(sure) == 1 else 'see'} {what}. FitScore goes with the more "
            f"confident answer, so every score, fault and the comparison below are for "
            f"{what}; if that is wrong, choose the exercise yourself.")


def _known_exercises(scorers: dict[str, Scorer]) -> list[str]:
    return list(dict.fromkeys(e for s in scorers.values() for e in known_exercises(s)))


def own_answers(model_features: ClipFeatures, scorers: dict[str, Scorer], source_fps: float
                ) -> dict[str, ModelPrediction]:
    """Each model's own answer, before one exercise is chosen for the analysis."""
    return {name: predict(s, model_features, source_fps=source_fps)
            for name, s in scorers.items()}


def _hanging_reps(seq: PoseSequence) -> tuple[tuple[int, int], ...]:
    """The reps of a pull-up or dip clip: each rise and fall of the shoulders."""
    excursion = excursion_from_rest(shoulder_height(seq), seq.fps)
    return tuple((r.start, r.end) for r in cut_reps(excursion, seq.fps))


def analyze_sequence(seq: PoseSequence, scorers: dict[str, Scorer],
                     exercise: str | None = None) -> Analysis:
    """A cleaned PoseSequence -> the Analysis: the camera view, each model's own answer,
    the one exercise, each model's prediction for it (faults the view cannot show set
    apart), the notes. Raises FitScoreError when the joints the exercise needs are out of
    view in most of the clip (scorers/coverage.py)."""
    features = normalize(seq)
    model_features = resample(features, FEATURES.fps)
    view = estimate_view(seq)
    by_user = bool(exercise)
    if by_user and exercise != UNKNOWN:
        for s in scorers.values():   # the user's choice must be one every model knows
            if exercise not in s.exercises:
                raise FitScoreError(f"The {s.name} model does not know the exercise "
                                    f"{exercise!r}; it knows: {', '.join(known_exercises(s))}.")
    own = own_answers(model_features, scorers, seq.fps)
    hanging = None if by_user else read_hanging(seq)
    hangs = hanging is not None and hanging.hangs   # the skeleton says: no exercise we know
    chosen = UNKNOWN if hangs else choose_exercise(own, exercise)
    notes = list(seq.notes)
    if chosen != UNKNOWN:
        check_coverage(seq, chosen, auto=not by_user, view=view.view)
    predictions, unjudged = {}, {}
    for name, s in scorers.items():
        p = own[name]
        if chosen == UNKNOWN:
            p = p if p.exercise == UNKNOWN else _no_answer(p, UNKNOWN, "")
        elif by_user or p.exercise != chosen:
            if chosen in s.exercises:
                p = predict(s, model_features, chosen, source_fps=seq.fps)
            else:
                p = _no_answer(p, chosen, f"the {name} model was never taught the "
                                          f"{words(chosen)}")
        hidden = unjudgeable(chosen, p.faults, view.view)
        if hidden:
            p = replace(p, faults={f: v for f, v in p.faults.items() if f not in hidden},
                        reps=[replace(r, faults={f: v for f, v in r.faults.items()
                                                 if f not in hidden}) for r in p.reps])
        predictions[name], unjudged[name] = p, hidden
    note = _disagreement(own, chosen, by_user, hanging)
    if note:
        notes.append(note)
    if chosen == UNKNOWN:
        notes.append("This does not look like one of the exercises FitScore knows ("
                     + ", ".join(words(e) for e in _known_exercises(scorers)) + "), so it "
                     "gets no score, no faults and no comparison; if it is one of them, "
                     "choose it.")
    else:
        hidden = list(dict.fromkeys(f for h in unjudged.values() for f in h))
        if hidden:
            names = [words(f) for f in hidden]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            notes.append(f"{listed[0].upper()}{listed[1:]} cannot be judged from this camera "
                         f"angle ({view.view} view), so "
                         f"{'it is' if len(names) == 1 else 'they are'} not reported.")
        if not well_filmed(chosen, view.view):
            rec = RECOMMENDED[chosen]
            notes.append(f"This clip was filmed {FILMED_FROM[view.view]}; {rec.advice}, "
                         f"{rec.purpose}.")
    result = Analysis(seq, features, model_features, predictions, tuple(notes), view=view,
                      exercise=chosen,
                      chosen_by="user" if by_user else "skeleton" if hangs else "models",
                      own_predictions=own, unjudged=unjudged,
                      counted_reps=_hanging_reps(seq) if hangs else ())
    if not result.known:
        return result
    spans = [(r.start, r.end) for r in result.reps]
    return replace(result, measured=measure_faults(chosen, view.view, features.values,
                                                   features.found, spans))


def analyze(path: str | Path, scorers: dict[str, Scorer], exercise: str | None = None,
            progress: Progress | None = None, backend=None, fps: float | None = None,
            cache=None, parts: int = 1) -> Analysis:
    """A video, OpenPose JSON folder or zip -> the full Analysis. `cache` (a
    pose.cache.PoseCache) skips the pose estimator for a video whose content it has seen;
    `parts`: a video is posed in that many stretches side by side (pose/backends.py)."""
    seq = load_sequence(path, backend=backend, fps=fps, progress=progress, cache=cache,
                        parts=parts)
    return analyze_sequence(seq, scorers, exercise)


def with_reference(result: Analysis, reference: str | Path,
                   scorers: dict[str, Scorer], progress: Progress | None = None,
                   fps: float | None = None, cache=None, parts: int = 1) -> Analysis:
    """Add the comparison with `reference` ("builtin" for the built-in execution of the
    client's exercise, or a clip) and the feedback. A reference clip's own exercise is
    recognised by the models, so comparing with another exercise is noticed (and noted).
    An analysis of an "unknown" exercise is not compared (said in its notes). `cache`
    and `parts` as for analyze (a reference video's pose)."""
    exercise = result.exercise
    if not result.known:
        return replace(result, notes=result.notes + (
            "No comparison with a reference: the clip is not one of the exercises FitScore "
            "knows, so there is no correct execution to hold it against.",))
    if str(reference) == "builtin":
        ref = builtin_reference(exercise)
    else:
        try:
            own = analyze(reference, scorers, progress=progress, fps=fps, cache=cache,
                          parts=parts)
        except FitScoreError as error:
            raise FitScoreError(f"The reference clip {Path(reference).name}: {error}") from None
        ref = reference_from_sequence(own.sequence, own.exercise if own.known else None,
                                      Path(reference).name)
    comparison = compare(result.model_features, ref, exercise)
    feedback = write_feedback(comparison, result.predictions, exercise,
                              unjudged={f for h in result.unjudged.values() for f in h})
    return replace(result, reference=ref, comparison=comparison, feedback=tuple(feedback))


def with_attributions(result: Analysis, scorers: dict[str, Scorer]) -> Analysis:
    """Each model's integrated-gradient map of its score: against the reference (turned to
    face the client) when there is one — which differences from a correct execution drove
    the score — else against the still clip. A model without a score for the exercise (an
    "unknown" answer, an exercise it was never taught) gets none."""
    baseline = (match_facing(result.model_features, result.reference).features
                if result.reference is not None else None)
    return replace(result, attributions={
        name: attribute(s, result.model_features, result.predictions[name].exercise,
                        reference=baseline) for name, s in scorers.items()
        if math.isfinite(result.predictions[name].score)
        and result.predictions[name].exercise in s.exercises})
