"""The verdict: what a trainer says aloud about a clip — exercise, score, reps, what to fix.

    >>> from fitscore_core.verdict import make_verdict, score_text
    >>> v = make_verdict(analysis)                          # doctest: +SKIP
    >>> v.headline                                          # doctest: +SKIP
    'Squat: 76 / 100, 5 reps.'
    >>> [c.say() for c in v.cues]                           # doctest: +SKIP
    ['Push your knees out so they track over your toes (reps 2 and 4, at 3.1 s and 7.9 s).']
    >>> score_text(75.5), score_text(float("nan"))
    ('76', '—')

Built from an Analysis by pure functions, no model run. The headline speaks in coaching
words; the models' own numbers (each one's score, fault probabilities, exercise
confidence) are in `details`, one click away, never in the headline.

  - **score**: Analysis.score for the ONE exercise (the models' mean, capped in each rep
    by its faults measured on the skeleton), as an integer 0-100.
    Every page, report and export rounds with `rounded` / `score_text` (Python's round(),
    half to even), so a clip never reads 76 in one place and 75.9 in another;
  - **cues**: faults measured on the skeleton first (compare/measured.py, with the reps and
    the value measured: from severity measured.FLAG on, or from any severity when a model
    flags the fault too), then the faults the models flag most (FLAG, as the written
    feedback) — except a fault that was measured: the measurement says whether it
    happened. Each is said as a cue from CUES, with the reps where a model flags it in that
    rep's own prediction (RepResult.faults) — or, without per-rep answers, the reps where
    the fault's joints differ most from the reference (compare/feedback.joint_evidence). A joint that stands out from the reference with no
    fault behind it may fill the second place;
  - **unjudged**: faults the camera view cannot show (Analysis.unjudged,
    fault_views.py) as a sentence with the view to film from;
  - **unknown**: no score, no cue, and the sentence says so;
  - **disagreement**: one plain sentence when the models named different exercises or
    their scores are DISAGREE_POINTS or more apart.
"""

import math
from dataclasses import dataclass, field

from fitscore_core.analysis import Analysis, confidence, words
from fitscore_core.compare import measured
from fitscore_core.compare.feedback import FLAG, joint_evidence, model_joints
from fitscore_core.fault_views import FAULT_VIEWS, RECOMMENDED, well_filmed
from fitscore_core.pose.names import joint_words
from fitscore_core.synth.exercises import FAULT_JOINTS

DISAGREE_POINTS = 15   # the models' scores this far apart: said in a sentence
MAX_CUES = 2           # a trainer fixes one or two things at a time


@dataclass(frozen=True)
class CueText:
    """A fault in coaching words: `cue` says what to do (second person), `check` what a
    camera must see to judge it (for "From the side you cannot see whether ...")."""

    cue: str
    check: str


# exercise -> fault -> how a coach says it. A fault not here (a user-trained model's own)
# is said from its name (fault_cue).
CUES: dict[str, dict[str, CueText]] = {
    "squat": {
        "insufficient_depth": CueText("Sit deeper: bring your hips down to knee height",
                                      "how deep you squat"),
        "knees_caving_in": CueText("Push your knees out so they track over your toes",
                                   "whether your knees cave in"),
        "heels_lifting": CueText("Keep your heels on the floor and push through your whole "
                                 "foot", "whether your heels lift"),
        "excessive_forward_lean": CueText("Keep your chest up; don't let your upper body "
                                          "tip forward", "how far you lean forward"),
        "asymmetric_descent": CueText("Go down evenly, with your weight on both legs",
                                      "whether you shift to one side"),
    },
    "push_up": {
        "sagging_hips": CueText("Keep your hips in line with your shoulders and ankles",
                                "whether your hips sag"),
        "piked_hips": CueText("Lower your hips so your body is one straight line",
                              "whether your hips pike up"),
        "partial_range": CueText("Go all the way down until your chest is close to the "
                                 "floor", "how far down you go"),
        "flared_elbows": CueText("Keep your elbows close to your body, about 45° from your "
                                 "sides", "whether your elbows flare out"),
        "head_dropping": CueText("Keep your head in line with your spine",
                                 "whether your head drops"),
    },
    "lunge": {
        "knee_past_toes": CueText("Keep your front knee over your ankle, not past your toes",
                                  "whether your knee travels past your toes"),
        "torso_lean": CueText("Keep your upper body upright as you go down",
                              "how far your upper body leans"),
        "short_step": CueText("Take a longer step so both knees can bend to a right angle",
                              "how long your step is"),
        "knee_caving_in": CueText("Keep your front knee in line with your toes; don't let "
                                  "it fall inward", "whether your front knee caves in"),
    },
    "bicep_curl": {
        "elbow_drift_forward": CueText("Keep your elbows pinned to your sides",
                                       "whether your elbows drift forward"),
        "torso_swing": CueText("Keep your body still; don't swing the weight up",
                               "whether your body swings"),
        "partial_range": CueText("Use the full range: straighten your arms at the bottom "
                                 "and curl all the way up", "how far you curl"),
        "elbows_flaring": CueText("Keep your elbows in; don't let them drift out to the "
                                  "side", "whether your elbows flare out"),
    },
    "shoulder_press": {
        "arching_back": CueText("Keep your ribs down and your back straight; don't lean "
                                "back to press", "whether your back arches"),
        "partial_lockout": CueText("Press all the way up until your arms are straight",
                                   "whether your arms lock out"),
        "uneven_arms": CueText("Press both arms up evenly, at the same speed",
                               "whether one arm lags behind"),
        "pressing_forward": CueText("Press straight up over your head, not out in front",
                                    "whether the weight travels forward"),
    },
    "front_raise": {
        "torso_swing": CueText("Keep your body still; lift with your shoulders, not a swing",
                               "whether your body swings"),
        "arms_too_high": CueText("Stop when your arms reach shoulder height",
                                 "how high your arms go"),
        "bent_elbows": CueText("Keep your arms long, with only a soft bend in the elbows",
                               "whether your elbows bend"),
        "shrugging": CueText("Keep your shoulders down, away from your ears",
                             "whether you shrug"),
    },
    "shoulder_shrug": {
        "rolling_shoulders": CueText("Lift your shoulders straight up and down; don't roll "
                                     "them", "whether your shoulders roll"),
        "partial_range": CueText("Lift your shoulders as high as they go, toward your ears",
                                 "how high your shoulders go"),
        "head_forward": CueText("Keep your chin tucked and your head over your shoulders",
                                "whether your head pokes forward"),
        "bending_elbows": CueText("Keep your arms straight and let your shoulders do the "
                                  "work", "whether your elbows bend"),
    },
    "jumping_jack": {
        "arms_not_overhead": CueText("Bring your arms all the way up over your head",
                                     "how high your arms go"),
        "narrow_feet": CueText("Jump your feet out wider than your shoulders",
                               "how wide your feet go"),
        "bent_knees": CueText("Stay tall; land softly without sinking into your knees",
                              "whether your knees bend"),
        "bent_arms": CueText("Keep your arms straight as they sweep up and down",
                             "whether your arms bend"),
    },
}
_FILM_FROM = {"front": "the front", "side": "the side", "diagonal": "about 45°"}
_SEEN_FROM = {"front": "From the front", "side": "From the side",
              "diagonal": "From this angle"}


def rounded(x: float | None) -> int | None:
    """A score as the product shows it: round() to an integer in 0-100; None when there is
    no score (NaN, None)."""
    if x is None or not math.isfinite(x):
        return None
    return int(min(100, max(0, round(x))))


def score_text(x: float | None) -> str:
    """'76' for 75.5 .. 76.49; '—' without a score. The one rounding rule of the product."""
    r = rounded(x)
    return "—" if r is None else str(r)


def fault_cue(exercise: str, fault: str) -> CueText:
    """The fault in coaching words; one CUES does not know is said from its name."""
    known = CUES.get(exercise, {}).get(fault)
    if known is not None:
        return known
    name = words(fault)
    return CueText(f"Work on this: {name}", f"the {name}")


def unjudged_sentence(exercise: str, fault: str, view: str) -> str:
    """'From the side you cannot see whether your knees cave in; film from the front to
    check.'"""
    views = [v for v in FAULT_VIEWS.get(exercise, {}).get(fault, ()) if v != view]
    where = " or ".join(_FILM_FROM[v] for v in views) if views else "another angle"
    return (f"{_SEEN_FROM.get(view, 'From this angle')} you cannot see "
            f"{fault_cue(exercise, fault).check}; film from {where} to check.")


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True)
class RepVerdict:
    number: int              # 1-based
    score: int | None
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Cue:
    """One thing to fix: the coaching cue and where it shows (rep numbers, start times)."""

    text: str
    fault: str | None                    # None: a joint that stands out from the reference
    reps: tuple[int, ...] = ()
    times_s: tuple[float, ...] = ()      # each rep's start, or the moment it was seen
    source: str = "models"               # "models", "measured" or "comparison"
    measured: str = ""                   # what the skeleton showed: "up to 18° below ..."

    def say(self) -> str:
        """The cue with its reps: 'Keep your elbows pinned to your sides (reps 2 and 4, at
        3.1 s and 7.9 s).'; a measured fault adds '; measured: up to 18° out of a
        straight body line, hips low'."""
        parts = []
        if self.reps:
            label = "rep" if len(self.reps) == 1 else "reps"
            times = _listing([f"{t:.1f} s" for t in self.times_s])
            parts.append(f"{label} {_listing([str(r) for r in self.reps])}, at {times}")
        if self.measured:
            parts.append(f"measured: {self.measured}")
        return f"{self.text} ({'; '.join(parts)})." if parts else self.text + "."


@dataclass(frozen=True)
class ModelDetail:
    """One model's own numbers, for the 'model details' view (never the headline)."""

    model: str
    own_exercise: str
    own_confidence: float
    score: float
    faults: dict[str, float]
    rep_scores: tuple[float, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Verdict:
    exercise: str                        # the id ("squat") or "unknown"
    exercise_words: str                  # "squat", "push-up"
    known: bool
    score: int | None
    rep_count: int
    reps: tuple[RepVerdict, ...]
    cues: tuple[Cue, ...]
    unjudged: tuple[str, ...]            # sentences with the filming advice
    filming: str | None                  # how to film this exercise, when this clip was not
    disagreement: str | None             # one sentence, or None
    headline: str
    details: tuple[ModelDetail, ...] = field(default=())

    def lines(self) -> list[str]:
        """What a trainer reads out, in order: headline, cues, disagreement, view limits."""
        out = [self.headline]
        if self.known:
            out += [c.say() for c in self.cues] or ["Nothing to fix: keep it up."]
        out += [self.disagreement] if self.disagreement else []
        return out + list(self.unjudged)

    def text(self) -> str:
        return "\n".join(self.lines())


def _reps(analysis: Analysis) -> list[RepVerdict]:
    """The analysis' reps, each with its score (Analysis.rep_scores)."""
    fps = analysis.sequence.fps
    return [RepVerdict(k + 1, rounded(score), round(rep.start / fps, 2), round(rep.end / fps, 2))
            for k, (rep, score) in enumerate(zip(analysis.reps, analysis.rep_scores))]


def _flagged(analysis: Analysis) -> list[tuple[str, float]]:
    """(fault, highest probability) flagged by any model, the surest first; faults the view
    cannot show are already out of the predictions, and a measured fault is left to its
    measurement."""
    skip = {f for h in analysis.unjudged.values() for f in h}
    if analysis.measured:
        skip |= set(measured.measurable(analysis.exercise, analysis.view.view))
    best: dict[str, float] = {}
    for p in analysis.predictions.values():
        for fault, prob in p.faults.items():
            if fault not in skip and prob >= FLAG:
                best[fault] = max(best.get(fault, 0.0), prob)
    return sorted(best.items(), key=lambda kv: -kv[1])


def _measured_cues(analysis: Analysis, reps: list[RepVerdict]) -> list[Cue]:
    """The measured faults, the costliest first: in the reps where they reach severity
    measured.FLAG, or — when a model flags the fault too — where the skeleton shows any of
    it. A fault measured within the good reps' range everywhere is not said, whatever a
    model thinks."""
    hidden = {f for h in analysis.unjudged.values() for f in h}
    flagged = {f for p in analysis.predictions.values() for f, v in p.faults.items()
               if v >= FLAG and f not in hidden}
    found: dict[str, list] = {}
    for fault in dict.fromkeys(f.fault for f in analysis.measured):
        mine = [f for f in analysis.measured if f.fault == fault]
        hits = [f for f in mine if f.severity >= measured.FLAG]
        if not hits and fault in flagged:
            hits = [f for f in mine if f.severity > 0]
        if hits:
            found[fault] = hits
    start = {r.number: r.start_s for r in reps}
    out = []
    for fault, hits in sorted(found.items(), key=lambda kv: -sum(f.points for f in kv[1])):
        numbers = tuple(f.rep + 1 for f in hits if f.rep is not None)
        worst = max(hits, key=lambda f: f.value)
        said = ("up to " if len(hits) > 1 else "") + worst.describe()
        out.append(Cue(fault_cue(analysis.exercise, fault).cue, fault, numbers,
                       tuple(start.get(n, 0.0) for n in numbers), "measured", said))
    return out


def _fault_reps(analysis: Analysis, fault: str, reps: list[RepVerdict]
                ) -> tuple[tuple[int, ...], tuple[float, ...], str]:
    """Where a fault shows: reps a model flags it in, else the comparison's evidence."""
    numbers = set()
    for p in analysis.predictions.values():
        for k, r in enumerate(p.reps):
            if r.faults.get(fault, 0.0) >= FLAG:
                numbers.add(k + 1)
    if numbers:
        chosen = sorted(numbers)
        start = {r.number: r.start_s for r in reps}
        return tuple(chosen), tuple(start.get(n, 0.0) for n in chosen), "models"
    if analysis.comparison is not None:
        joints = model_joints(FAULT_JOINTS.get(analysis.exercise, {}).get(fault, ()))
        return _compared(analysis, joints)
    return (), (), "models"


def _compared(analysis: Analysis, joints: tuple[str, ...]
              ) -> tuple[tuple[int, ...], tuple[float, ...], str]:
    comparison = analysis.comparison
    numbers, _, _ = joint_evidence(comparison, joints) if joints else ([], 0.0, 0.0)
    times = tuple(round(comparison.alignments[n - 1].client_start / comparison.fps, 2)
                  for n in numbers)
    return tuple(numbers), times, "comparison"


def _cues(analysis: Analysis, reps: list[RepVerdict]) -> list[Cue]:
    out = _measured_cues(analysis, reps)[:MAX_CUES]
    for fault, _ in _flagged(analysis)[:MAX_CUES - len(out)]:
        numbers, times, source = _fault_reps(analysis, fault, reps)
        out.append(Cue(fault_cue(analysis.exercise, fault).cue, fault, numbers, times, source))
    if len(out) < MAX_CUES:
        for f in analysis.feedback:
            if f.source == "comparison only" and f.joints:
                numbers, times, source = _compared(analysis, f.joints)
                if numbers:
                    out.append(Cue(f"Watch your {joint_words(f.joints)}: they move differently "
                                   f"from a correct {words(analysis.exercise)}", None, numbers,
                                   times, source))
                break
    return out


def _disagreement(analysis: Analysis) -> str | None:
    ex = words(analysis.exercise) if analysis.known else "none of the exercises FitScore knows"
    if analysis.chosen_by == "skeleton":
        return ("The hands held still while the body travelled up and down, as when hanging "
                "from a bar or on dip bars, whatever the models guessed.")
    if analysis.undecided:
        return ("The two models do not agree on the exercise and together are not sure of "
                "any, so FitScore names none: if it is one of the exercises it knows, "
                "choose it and analyse again.")
    if not analysis.agree:
        if analysis.chosen_by == "user":
            return (f"You chose {ex}; the two models did not both see it on their own, so "
                    "check the clip is the exercise you meant.")
        return (f"The two models did not agree on the exercise; FitScore went with {ex}, the "
                "surer answer: if that is wrong, choose the exercise yourself.")
    scores = [p.score for p in analysis.predictions.values() if math.isfinite(p.score)]
    if len(scores) >= 2 and max(scores) - min(scores) >= DISAGREE_POINTS:
        return (f"The two models are {round(max(scores) - min(scores))} points apart on the "
                "score, so take it as a rough guide and watch the reps yourself.")
    return None


def model_details(analysis: Analysis) -> tuple[ModelDetail, ...]:
    """Each model's own numbers (what it first answered, its score and fault
    probabilities for the one exercise): for the model view, not the headline."""
    own = analysis.own_predictions or analysis.predictions
    return tuple(ModelDetail(name, own.get(name, p).exercise, confidence(own.get(name, p)),
                             p.score, dict(p.faults), tuple(r.score for r in p.reps),
                             p.reasons)
                 for name, p in analysis.predictions.items())


def make_verdict(analysis: Analysis) -> Verdict:
    """The Analysis in a trainer's words (see the module docstring)."""
    details = model_details(analysis)
    disagreement = _disagreement(analysis)
    if not analysis.known:
        counted = len(analysis.counted_reps)
        hangs = analysis.chosen_by == "skeleton"
        what = ("This looks like pull-ups or dips, which FitScore does not score" if hangs
                else "This does not look like one of the exercises FitScore knows, so it gets "
                "no score")
        return Verdict(analysis.exercise, "unknown", False, None, counted, (), (), (), None,
                       disagreement, what
                       + (f" ({counted} rep{'' if counted == 1 else 's'} counted)"
                          if counted else "")
                       + (". If it is one of FitScore's exercises" if hangs
                          else ". If it is one of them")
                       + ", choose it and analyse again.", details)
    exercise = analysis.exercise
    reps = _reps(analysis)
    score = rounded(analysis.score)
    view = analysis.view.view
    hidden = list(dict.fromkeys(f for h in analysis.unjudged.values() for f in h))
    unjudged = tuple(unjudged_sentence(exercise, f, view) for f in hidden)
    rec = RECOMMENDED.get(exercise)
    filming = (None if well_filmed(exercise, view) or rec is None
               else f"{rec.advice[0].upper()}{rec.advice[1:]}, {rec.purpose}.")
    name = words(exercise)
    reps_text = {0: "no complete rep found", 1: "1 rep"}.get(len(reps), f"{len(reps)} reps")
    scored = f"{score} / 100" if score is not None else "no score"
    headline = f"{name[0].upper()}{name[1:]}: {scored}, {reps_text}."
    return Verdict(exercise, name, True, score, len(reps), tuple(reps),
                   tuple(_cues(analysis, reps)), unjudged, filming, disagreement, headline,
                   details)
