"""Synthetic exercise clips in 3D: a person doing a gym exercise, right or with named faults.

    >>> from fitscore_core.synth.exercises import ClipSpec, generate_motion, EXERCISES, FAULT_JOINTS
    >>> m = generate_motion(ClipSpec("squat", faults={"knees_caving_in": 0.7}, reps=3, seed=1))
    >>> m.joints3d.shape[1:], len(m.rep_ranges), m.faults["knees_caving_in"]
    ((25, 3), 3, 0.7)
    >>> FAULT_JOINTS["squat"]["knees_caving_in"]
    ('RKnee', 'LKnee')

A ClipSpec is the whole recipe; the seed fixes the person (unless a body is given), the tempo,
the rep-to-rep variation and the person's style, independently of the faults, so the faulty
clip and the good clip of one seed differ only in the joints the fault moves
(FAULT_AFFECTED). A fault's severity is a number in [0, 1] for every rep, or one number per
rep (a fault that shows up only on some reps, or grows with fatigue).
"""

import zlib
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from fitscore_core.errors import FitScoreError
from fitscore_core.synth.body import BodyShape, forward_kinematics, random_body
from fitscore_core.synth.motion_model import ExerciseModel, FaultSpec, MoveContext
from fitscore_core.synth.moves.other import NON_EXERCISES
from fitscore_core.synth.moves import (bicep_curl, front_raise, jumping_jack, lunge, push_up,
                                       shoulder_press, shoulder_shrug, squat)
from fitscore_core.synth.timing import make_timing, severity_trace

EXERCISES: dict[str, ExerciseModel] = {
    m.name: m for m in (squat.MODEL, push_up.MODEL, lunge.MODEL, bicep_curl.MODEL,
                        shoulder_press.MODEL, front_raise.MODEL, shoulder_shrug.MODEL,
                        jumping_jack.MODEL)
}
# what the synthesizer can move: the exercises and the movements that are none of them
ALL_MOVES: dict[str, ExerciseModel] = {**EXERCISES, **NON_EXERCISES}
UNKNOWN = "unknown"  # the label every non-exercise movement gets
# exercise -> fault -> joints the fault visibly moves
FAULT_JOINTS: dict[str, dict[str, tuple[str, ...]]] = {
    e: {f.name: f.joints for f in m.faults} for e, m in EXERCISES.items()}
# exercise -> fault -> every joint that may differ from the good clip (joints + downstream)
FAULT_AFFECTED: dict[str, dict[str, tuple[str, ...]]] = {
    e: {f.name: f.affected for f in m.faults} for e, m in EXERCISES.items()}

MAX_REPS = 20
MAX_FPS = 240.0


@dataclass(frozen=True)
class ClipSpec:
    """Recipe for one clip. None means "natural for this exercise, drawn from the seed".

    faults: fault name -> severity in [0, 1], or a sequence of `reps` severities.
    rep_seconds: duration of one rep's movement; pause_*_s: pauses at the turning point and
    between reps; variability: rep-to-rep variation (0 = identical reps, 1 = typical).
    """

    exercise: str
    faults: Mapping[str, float | Sequence[float]] = field(default_factory=dict)
    reps: int = 5
    fps: float = 30.0
    seed: int = 0
    rep_seconds: float | None = None
    pause_top_s: float | None = None
    pause_bottom_s: float | None = None
    variability: float = 1.0
    body: BodyShape | None = None

    def __post_init__(self):
        validate_spec(self)

    @property
    def model(self) -> ExerciseModel:
        return ALL_MOVES[self.exercise]

    def rep_severities(self) -> dict[str, np.ndarray]:
        """Every fault of the exercise -> (reps,) severities (zeros when absent)."""
        out = {}
        for name in self.model.fault_names:
            v = self.faults.get(name, 0.0)
            arr = np.asarray(v, dtype=float)
            out[name] = np.full(self.reps, float(arr)) if arr.ndim == 0 else arr.copy()
        return out


def _fail(msg: str) -> None:
    raise FitScoreError(msg)


def validate_spec(spec: ClipSpec) -> None:
    """Raise FitScoreError naming what is wrong and what is accepted."""
    if spec.exercise not in ALL_MOVES:
        _fail(f"unknown exercise {spec.exercise!r}; choose one of: {', '.join(EXERCISES)}")
    model = ALL_MOVES[spec.exercise]
    if isinstance(spec.reps, bool) or not isinstance(spec.reps, (int, np.integer)) \
            or not 1 <= spec.reps <= MAX_REPS:
        _fail(f"reps must be a whole number from 1 to {MAX_REPS}, got {spec.reps!r}")
    if isinstance(spec.fps, bool) or not isinstance(spec.fps, (int, float, np.number)) \
            or not 0 < float(spec.fps) <= MAX_FPS:
        _fail(f"fps must be a positive number up to {MAX_FPS:g} (typical: 24-60), got {spec.fps!r}")
    if isinstance(spec.seed, bool) or not isinstance(spec.seed, (int, np.integer)) or spec.seed < 0:
        _fail(f"seed must be a non-negative whole number, got {spec.seed!r}")
    if not isinstance(spec.faults, (dict, Mapping)):
        _fail("faults must be a mapping of fault name -> severity")
    for name, value in spec.faults.items():
        if name not in model.fault_names:
            _fail(f"unknown fault {name!r} for {spec.exercise}; its faults are: "
                  f"{', '.join(model.fault_names)}")
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            _fail(f"severity of {spec.exercise} fault {name!r} must be a number in [0, 1] or "
                  f"one per rep, got {value!r}")
        if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != spec.reps):
            _fail(f"severity of {spec.exercise} fault {name!r} must be one number in [0, 1] "
                  f"or a list of {spec.reps} (one per rep), got {value!r}")
        if not (0 <= float(arr) <= 1 if arr.ndim == 0 else ((arr >= 0) & (arr <= 1)).all()):
            _fail(f"severity of {spec.exercise} fault {name!r} must be between 0 and 1 "
                  f"(0 = absent, 1 = worst), got {value!r}")
    for a, b in model.exclusive:
        if np.any(np.asarray(spec.faults.get(a, 0.0)) > 0) and \
                np.any(np.asarray(spec.faults.get(b, 0.0)) > 0):
            _fail(f"{spec.exercise} faults {a!r} and {b!r} contradict each other; use one of them")
    if spec.rep_seconds is not None and not 0.3 <= float(spec.rep_seconds) <= 20.0:
        _fail(f"rep_seconds must be between 0.3 and 20 s, got {spec.rep_seconds!r}")
    for name in ("pause_top_s", "pause_bottom_s"):
        v = getattr(spec, name)
        if v is not None and not 0.0 <= float(v) <= 10.0:
            _fail(f"{name} must be between 0 and 10 s, got {v!r}")
    if not 0.0 <= float(spec.variability) <= 3.0:
        _fail(f"variability must be between 0 (identical reps) and 3, got {spec.variability!r}")
    if spec.body is not None and not isinstance(spec.body, BodyShape):
        _fail(f"body must be a BodyShape or None, got {type(spec.body).__name__}")


@dataclass(frozen=True)
class Motion:
    """One generated clip in 3D.

    joints3d: (T, 25, 3) BODY_25 joints in world metres. rep_ranges: (start, end) frames of
    each rep's movement (end exclusive). faults: clip severity per fault of the exercise
    (mean over reps, 0 when absent); rep_faults: the same per rep. rep_amplitude: share of
    the person's full range reached in each rep (natural variation; faults come on top).
    """

    exercise: str
    joints3d: np.ndarray
    fps: float
    rep_ranges: tuple[tuple[int, int], ...]
    rep_seconds: tuple[float, ...]
    rep_amplitude: tuple[float, ...]
    faults: dict[str, float]
    rep_faults: tuple[dict[str, float], ...]
    body: BodyShape
    spec: ClipSpec

    @property
    def n_frames(self) -> int:
        return int(self.joints3d.shape[0])

    @property
    def model(self) -> ExerciseModel:
        return ALL_MOVES[self.exercise]


def generate_motion(spec: ClipSpec) -> Motion:
    """Generate the 3D joints of the clip a ClipSpec describes."""
    model = spec.model
    # the person depends on the seed only (one seed = one person across exercises); tempo and
    # style depend on the exercise too, so a seed's squat and curl do not share rep timings
    ex_id = zlib.crc32(model.name.encode())
    time_ss, style_ss = (np.random.SeedSequence([spec.seed, k, ex_id]) for k in (1, 2))
    body = spec.body if spec.body is not None else \
        random_body(np.random.default_rng(np.random.SeedSequence([spec.seed, 0])))
    trng = np.random.default_rng(time_ss)
    rep_s = trng.uniform(*model.rep_seconds)
    pause_b = trng.uniform(*model.pause_bottom_s)
    pause_t = trng.uniform(*model.pause_top_s)
    timing = make_timing(
        reps=int(spec.reps),
        rep_seconds=float(spec.rep_seconds) if spec.rep_seconds is not None else rep_s,
        out_fraction=model.out_fraction,
        pause_bottom_s=float(spec.pause_bottom_s) if spec.pause_bottom_s is not None else pause_b,
        pause_top_s=float(spec.pause_top_s) if spec.pause_top_s is not None else pause_t,
        fps=float(spec.fps), rng=trng, variability=float(spec.variability))
    per_rep = spec.rep_severities()
    sev = {name: severity_trace(v, timing) for name, v in per_rep.items()}
    ctx = MoveContext(body, body.segments, timing, sev, np.random.default_rng(style_ss))
    joints = forward_kinematics(ctx.seg, model.build(ctx))
    names = list(per_rep)
    means = (np.mean(np.stack([per_rep[k] for k in names]), axis=1).tolist()  # one call, same sums
             if names else [])
    columns = [per_rep[k].tolist() for k in names]
    return Motion(
        exercise=model.name, joints3d=joints, fps=float(spec.fps), rep_ranges=timing.rep_ranges,
        rep_seconds=timing.rep_seconds,
        rep_amplitude=tuple(timing.amplitude.tolist()),
        faults={k: round(m, 6) for k, m in zip(names, means)},
        rep_faults=tuple({k: c[r] for k, c in zip(names, columns)} for r in range(spec.reps)),
        body=body, spec=spec)


def describe_faults(exercise: str) -> dict[str, str]:
    """Fault name -> what a coach would say, for one exercise."""
    if exercise not in EXERCISES:
        _fail(f"unknown exercise {exercise!r}; choose one of: {', '.join(EXERCISES)}")
    return {f.name: f.description for f in EXERCISES[exercise].faults}


__all__ = ["ClipSpec", "Motion", "generate_motion", "EXERCISES", "FAULT_JOINTS", "FAULT_AFFECTED",
           "ExerciseModel", "FaultSpec", "describe_faults", "validate_spec"]
