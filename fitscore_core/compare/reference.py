"""References: the correct execution a client's clip is compared with.

    >>> from fitscore_core.compare.reference import builtin_reference, load_reference
    >>> ref = builtin_reference("squat")
    >>> ref.exercise, ref.features.values.shape[0], ref.builtin
    ('squat', 30, True)
    >>> own = load_reference("coach_squat.mp4", exercise="squat")   # doctest: +SKIP

Two kinds: a built-in one per exercise (synthesized correct executions by an average adult,
3 reps each, filmed from the exercise's default view, always the same; a few of them, in the
styles people use, e.g. arms out front or hands at the chest in a squat), or any clip the
trainer picks (video, OpenPose JSON folder or zip), read like a client clip.

Facing: from the side, a person faces left or right in the picture. Comparing a client who
faces right with a reference who faces left would compare every joint with the wrong side,
so `match_facing` mirrors the reference (left/right labels swapped, x negated: the same
movement seen from the other side) and says so in the notes.
"""

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from fitscore_core.errors import FitScoreError
from fitscore_core.features import ClipFeatures, mirror_rows, normalize
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.pose.skeletons import MODEL_15

# Tempo and style of each built-in execution. Six seeds cover the synthesizer's discrete
# styles (checked: squat arms out front / hands at the chest, lunge hands on hips / arms
# hanging, either leg first); the test clips use other seeds.
REFERENCE_SEEDS = tuple(range(101, 107))
REFERENCE_REPS = 3
REFERENCE_FPS = 30.0
MIRROR_NOTE = "the reference was mirrored left/right to face the same way as the client"
FACING_MIN = 0.08   # torso lengths: a smaller sideways offset is a front/back view (no side)

_J = {name: i for i, name in enumerate(MODEL_15.joints)}


@dataclass(frozen=True)
class Reference:
    """Features of a reference clip and where they come from.

    exercise: what the reference shows (None when a user clip's exercise is not known);
    alternatives: more correct executions of the same exercise (other people, other styles:
    arms out front or at the chest, left or right leg first); each client rep is compared with
    the closest rep among all of them. mirrored: whether it was flipped left/right to face
    like the client; notes: for the user.
    """

    features: ClipFeatures
    exercise: str | None
    source: str
    builtin: bool = False
    mirrored: bool = False
    notes: tuple[str, ...] = field(default=())
    alternatives: tuple[ClipFeatures, ...] = field(default=())

    @property
    def clips(self) -> tuple[ClipFeatures, ...]:
        return (self.features,) + self.alternatives


@functools.lru_cache(maxsize=None)
def builtin_sequence(exercise: str, seed: int = REFERENCE_SEEDS[0],
                     yaw: float | None = None) -> PoseSequence:
    """One built-in correct execution of `exercise` as BODY_25 pixels (synthetic, no noise):
    an average adult, REFERENCE_REPS reps, filmed from `yaw` (default: the exercise's
    typical view); the seed picks the tempo and style."""
    from fitscore_core.synth.body import BodyShape
    from fitscore_core.synth.exercises import ClipSpec, generate_motion
    from fitscore_core.synth.views import default_yaw, fit_camera, project_keypoints

    spec = ClipSpec(exercise, reps=REFERENCE_REPS, fps=REFERENCE_FPS, seed=seed,
                    body=BodyShape())            # validates the exercise name
    motion = generate_motion(spec)
    pitch = 15.0 if motion.model.lying else 5.0  # as the sample videos film lying exercises
    yaw = default_yaw(exercise) if yaw is None else float(yaw)
    camera = fit_camera(motion.joints3d, yaw, pitch, REFERENCE_FPS)
    keypoints, _ = project_keypoints(camera, motion.joints3d)
    keypoints.setflags(write=False)
    return PoseSequence(keypoints, REFERENCE_FPS, (camera.width, camera.height),
                        source=f"built-in {exercise}", backend="synthetic")


def _frozen(features: ClipFeatures) -> ClipFeatures:
    features.values.setflags(write=False)        # shared by every caller: keep it intact
    features.found.setflags(write=False)
    return features


@functools.lru_cache(maxsize=None)
def builtin_reference(exercise: str, yaw: float | None = None) -> Reference:
    """Correct executions of `exercise` by an average adult, filmed from `yaw` (degrees, 0 =
    front, ±90 = side; default: the exercise's typical view); cached.

    One per seed in REFERENCE_SEEDS (the first is `features`, the others `alternatives`), so
    a client whose arms or leading leg differ from one of them is still compared like for like.
    """
    from fitscore_core.synth.views import default_yaw

    yaw = default_yaw(exercise) if yaw is None else float(yaw)
    clips = [_frozen(normalize(builtin_sequence(exercise, seed, yaw)))
             for seed in REFERENCE_SEEDS]
    view = "front" if abs(yaw) < 30 else "side" if abs(yaw) > 60 else f"{yaw:+.0f}°"
    return Reference(clips[0], exercise, f"built-in {exercise} (synthetic, {view} view)",
                     builtin=True, alternatives=tuple(clips[1:]))


def reference_from_sequence(seq: PoseSequence, exercise: str | None = None,
                            source: str | None = None) -> Reference:
    """A cleaned PoseSequence (e.g. from load_sequence) -> a Reference."""
    source = source or seq.source or "clip"
    if seq.n_frames == 0 or not (seq.keypoints[:, :15, 2] > 0).any():
        raise FitScoreError(f"The reference {source} has no person in it; choose a clip in "
                            "which the whole body is visible.")
    try:
        features = normalize(seq)
    except FitScoreError as err:
        raise FitScoreError(f"The reference {source} cannot be used: {err}") from None
    return Reference(features, exercise, source,
                     notes=tuple(f"reference: {n}" for n in seq.notes))


def load_reference(path: str | Path, exercise: str | None = None, backend=None,
                   fps: float | None = None, progress=None) -> Reference:
    """A video, OpenPose JSON folder or zip -> a Reference, read like a client clip."""
    from fitscore_core.pose.inputs import load_sequence

    try:
        seq = load_sequence(path, backend=backend, fps=fps, progress=progress)
    except FitScoreError as err:
        raise FitScoreError(f"The reference {Path(path).name} cannot be used: {err}") from None
    return reference_from_sequence(seq, exercise, Path(path).name)


def facing(features: ClipFeatures) -> int:
    """+1 if the person faces +x (right in the picture), -1 if -x, 0 for a front/back view.

    The nose sits ahead of the neck; when the head is out of frame, the knees bend forward
    of the hip-ankle line and the hands work in front of the shoulders. The first cue that
    can be measured and is clearly sideways decides.
    """
    v, found = features.values, features.found

    def x(name: str) -> np.ndarray:
        return v[2 * _J[name]]

    def ok(*names: str) -> np.ndarray:
        return np.all([found[_J[n]] for n in names], axis=0)

    cues = []
    both = ok("Nose", "Neck")
    cues.append((both, x("Nose") - x("Neck")))
    for side in "RL":
        hip, knee, ankle = f"{side}Hip", f"{side}Knee", f"{side}Ankle"
        cues.append((ok(hip, knee, ankle), x(knee) - (x(hip) + x(ankle)) / 2))
    for side in "RL":
        cues.append((ok(f"{side}Wrist", f"{side}Shoulder"),
                     x(f"{side}Wrist") - x(f"{side}Shoulder")))
    # nose first; then legs and arms pooled (each side counts where it was seen)
    groups = (cues[:1], cues[1:3], cues[3:])
    for group in groups:
        vals = np.concatenate([d[m] for m, d in group])
        if len(vals) >= 3:
            offset = float(np.median(vals))
            if abs(offset) >= FACING_MIN:
                return 1 if offset > 0 else -1
            if group is groups[0]:
                return 0              # the face is visible and points at the camera
    return 0


def mirror_features(features: ClipFeatures) -> ClipFeatures:
    """The same movement seen from the other side: left/right joints swapped, x negated."""
    found = features.found[list(MODEL_15.mirror)].copy()
    return replace(features, values=mirror_rows(features.values), found=found)


def match_facing(client: ClipFeatures, reference: Reference) -> Reference:
    """The reference, mirrored if it faces the other way than the client (with a note)."""
    c, r = facing(client), facing(reference.features)
    if c == 0 or r == 0 or c == r:
        return reference
    return replace(reference, features=mirror_features(reference.features),
                   alternatives=tuple(mirror_features(f) for f in reference.alternatives),
                   mirrored=not reference.mirrored, notes=reference.notes + (MIRROR_NOTE,))
