"""Synthetic training set: many clips as 2D BODY_25 keypoints with known scores and faults.

    >>> from fitscore_core.synth.dataset import generate_dataset, save_dataset, load_dataset
    >>> ds = generate_dataset(8, seed=0)
    >>> len(ds), ds.sequence(0).shape[1:], ds.fault_severity.shape[1] == len(ds.fault_columns)
    (8, (25, 3), True)

Each clip: an exercise, a subject (body shape), faults with per-rep severities (30% of clips
are correct), a tempo (now and then rushed or dragged), a camera (views.py) and detector
noise (noise.py). What is stored is the 2D keypoint sequence after projection and noise,
before any model feature step, at the clip's own fps, exactly what a pose backend would hand
the pipeline.

Labels
------
score, rep_scores: the rubric (rubric.py) of what the clip's camera can see (a fault its
view cannot show costs nothing; its severity is still labelled). fault_severity[i, c]:
clip-level severity (mean over reps) of fault column c = "exercise.fault" (FAULT_COLUMNS, every fault of every
exercise); 0 when the fault belongs to the clip's exercise but is absent, NaN when it belongs
to another exercise (not applicable, so a loss can mask it). rep_fault_severity: the same per
rep. subject: synthetic person id; subject k of a data set with seed s always has the body
subject_body(s, k), so train/validation splits by subject keep people apart.

File format (.npz, no pickles): keypoints (N_frames, 25, 3) float32 of all clips concatenated,
offsets (n + 1,) so clip i is keypoints[offsets[i]:offsets[i + 1]]; rep_offsets likewise
into the per-rep arrays; every other array has one row per clip. A clip averages ~650 frames
(~200 KB), so build very large sets in shards (different seeds) rather than one call.

With workers > 1, worker processes hand their keypoints over as raw files in a private
temporary folder (in RAM under /dev/shm where available), removed as they are read and, with
the folder, when generation ends or fails.
"""

import contextlib
import ctypes
import functools
import glob
import mmap
import multiprocessing
import os
import shutil
import tempfile
from dataclasses import dataclass, fields, replace
from typing import Callable, Iterator, Sequence

import numpy as np

from fitscore_core.errors import FitScoreError
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.pose.view import view_of_yaw
from fitscore_core.synth.body import BodyShape, random_body
from fitscore_core.synth import conditions
from fitscore_core.synth.camera import Camera
from fitscore_core.synth.exercises import (ALL_MOVES, EXERCISES, MAX_REPS, UNKNOWN, ClipSpec,
                                           ExerciseModel, Motion, generate_motion)
from fitscore_core.synth.moves.other import NON_EXERCISES
from fitscore_core.synth.noise import apply_noise, sample_mediapipe_params, sample_noise_params
from fitscore_core.synth.rubric import score_motion
from fitscore_core.synth.timing import pick
from fitscore_core.synth.views import project_keypoints, sample_camera, sample_fps

FORMAT_VERSION = 1
FAULT_COLUMNS: tuple[str, ...] = tuple(f"{e}.{f}" for e, m in EXERCISES.items()
                                       for f in m.fault_names)
FAULT_INDEX = {c: j for j, c in enumerate(FAULT_COLUMNS)}
REPS_WEIGHTS = np.array([0.04, 0.07, 0.12, 0.13, 0.14, 0.13, 0.11, 0.09, 0.09, 0.08])
P_CORRECT = 0.3
CHUNK = 64                   # clips per job handed to a worker
OTHER_NAMES = tuple(NON_EXERCISES)


@dataclass(frozen=True)
class RealWorld:
    """Conditions of real footage for a data set (conditions.py): unknown_share of the clips
    are no exercise; any_yaw_share are filmed from any direction, the back included."""

    unknown_share: float = 0.12
    any_yaw_share: float = 0.25
_FRAME_BYTES = 25 * 3 * 4    # one frame of float32 keypoints


@dataclass(frozen=True)
class SynthDataset:
    """Clips concatenated along the frame axis, labels one row per clip (see module doc)."""

    keypoints: np.ndarray          # (N_frames, 25, 3) float32 pixels + confidence
    offsets: np.ndarray            # (n + 1,) int64
    exercise: np.ndarray           # (n,) str
    score: np.ndarray              # (n,) float32, 0-100
    subject: np.ndarray            # (n,) int32
    fault_severity: np.ndarray     # (n, F) float32, NaN = not applicable
    yaw_deg: np.ndarray            # (n,) float32, camera yaw (0 front, ±90 side)
    pitch_deg: np.ndarray          # (n,) float32
    fps: np.ndarray                # (n,) float32
    image_size: np.ndarray         # (n, 2) int32 width, height
    spec_seed: np.ndarray          # (n,) int64, ClipSpec.seed of the clip's motion
    rep_offsets: np.ndarray        # (n + 1,) int64
    rep_scores: np.ndarray         # (R,) float32
    rep_ranges: np.ndarray         # (R, 2) int32 frames within the clip, end exclusive
    rep_fault_severity: np.ndarray  # (R, F) float32
    fault_columns: tuple[str, ...]
    seed: int
    n_subjects: int

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def sequence(self, i: int) -> np.ndarray:
        """(T, 25, 3) keypoints of clip i."""
        return self.keypoints[self.offsets[i]: self.offsets[i + 1]]

    def pose_sequence(self, i: int) -> PoseSequence:
        w, h = (int(v) for v in self.image_size[i])
        return PoseSequence(self.sequence(i), fps=float(self.fps[i]), size=(w, h),
                            source=f"synthetic:{self.seed}:{i}", backend="synthetic")

    def reps_of(self, i: int) -> slice:
        return slice(int(self.rep_offsets[i]), int(self.rep_offsets[i + 1]))


@functools.lru_cache(maxsize=4096)
def subject_body(seed: int, k: int) -> BodyShape:
    """Body of subject k in data sets generated with `seed` (deterministic)."""
    return random_body(np.random.default_rng([int(seed), 0x5B0D1, int(k)]))


@functools.lru_cache(maxsize=None)
def _ramp(reps: int) -> np.ndarray:
    ramp = np.linspace(0.2, 1.0, reps)
    ramp.flags.writeable = False
    return ramp


def sample_faults(model: ExerciseModel, reps: int, rng: np.random.Generator
                  ) -> dict[str, float | tuple[float, ...]]:
    """0-2 faults with a severity pattern over the reps: constant, only some reps, growing
    with fatigue, or varying. A fault's base severity is at least 0.3: below that its effect
    is within the natural variation of a correct execution, so no one could see it."""
    u = rng.random()
    k = 0 if u < P_CORRECT else 1 if u < 0.8 else 2
    names = [model.fault_names[j] for j in rng.permutation(len(model.fault_names))[:k]]
    if k == 2 and (tuple(names) in model.exclusive or tuple(names[::-1]) in model.exclusive):
        names = names[:1]
    out: dict[str, float | tuple[float, ...]] = {}
    for name in names:
        base = rng.uniform(0.3, 1.0)
        pattern = pick(rng, (0.5, 0.2, 0.2, 0.1))
        if pattern == 0 or reps == 1:
            out[name] = round(float(base), 3)
            continue
        if pattern == 1:
            mask = rng.random(reps) < 0.5
            mask[rng.integers(reps)] = True
            sev = base * mask
        elif pattern == 2:
            sev = base * _ramp(reps)
        else:
            sev = np.clip(base * rng.uniform(0.6, 1.3, reps), 0.0, 1.0)
        out[name] = tuple(round(float(v), 3) for v in sev)
    return out


@dataclass
class ClipScene:
    """Clip i of a data set before any detector: what the camera films and the labels.

    Shared by _clip (which adds the noise model) and posed.py (which renders it and runs the
    real pose estimator), so both see the same person, motion, camera and labels. rng is the
    clip's generator at this point: the detector step draws from it next, in this order.
    keypoints: (T, 25, 3) projected pixels, confidence 1 in front of the camera and inside
    the frame; depth: (T, 25) metres. labels: as _clip returns them, size still the camera's.
    """

    rng: np.random.Generator
    exercise: str                  # the label: UNKNOWN for a movement that is no exercise
    model: ExerciseModel           # what moves (an exercise or a non-exercise movement)
    motion: Motion
    joints3d: np.ndarray           # (T, 25, 3) world metres, idle ends included
    camera: Camera
    keypoints: np.ndarray
    depth: np.ndarray
    labels: dict


@dataclass(frozen=True)
class RealDetection:
    """The noise model under real-world conditions (conditions.py) applied to a ClipScene.

    keypoints, size: what _clip stores (after noise, roll and framing). rolled: after noise
    and roll, before the framing, in the camera's (width, height) frame; roll_deg and
    framing (conditions.random_framing's name) say what was done, so a renderer can do the
    same to the image."""

    keypoints: np.ndarray
    size: tuple[int, int]
    rolled: np.ndarray
    roll_deg: float
    framing: str


def clip_scene(seed: int, i: int, exercises: Sequence[str], n_subjects: int,
               real_world: RealWorld | None = None, *, max_reps: int | None = None,
               max_seconds: float | None = None) -> ClipScene:
    """Person, movement, faults, tempo, idle ends and camera of clip i, with its labels.

    max_reps, max_seconds (None in data sets): shorter clips for rendering (posed.py). The
    rng draws stay those of the full clip; reps beyond max_reps are left out (as are more
    while the movement is longer than max_seconds, down to one rep) and the idle ends are
    shortened to fit max_seconds."""
    rng = np.random.default_rng([int(seed), int(i)])
    ex = exercises[int(rng.integers(len(exercises)))]
    move = ex
    if real_world is not None and rng.random() < real_world.unknown_share:
        move = OTHER_NAMES[int(rng.integers(len(OTHER_NAMES)))]
        ex = UNKNOWN
    model = ALL_MOVES[move]
    subject = int(rng.integers(n_subjects))
    reps = pick(rng, REPS_WEIGHTS) + 1
    if real_world is not None and rng.random() < 0.1:
        reps = int(rng.integers(11, MAX_REPS + 1))
    fps = sample_fps(rng)
    faults = sample_faults(model, reps, rng) if model.faults else {}
    t = rng.random()
    lo, hi = model.tempo_ok
    rep_s = (max(0.3, rng.uniform(0.45, 0.95) * lo) if t < 0.12 else
             rng.uniform(1.05, 1.5) * hi if t < 0.15 else None)
    if rep_s is not None:
        rep_s = float(np.clip(rep_s, 0.3, 20.0))
    spec = ClipSpec(move, faults, reps, fps, seed=int(rng.integers(2 ** 31)), rep_seconds=rep_s,
                    variability=float(rng.uniform(0.4, 1.6)), body=subject_body(seed, subject))
    motion = _short_motion(spec, max_reps, max_seconds)
    joints3d, lead, rep_ranges = motion.joints3d, 0, np.asarray(motion.rep_ranges)
    if real_world is not None:
        joints3d, lead = conditions.hold_ends(joints3d, fps, rng)
        if max_seconds is not None:
            joints3d, lead = _trim_holds(joints3d, lead, motion.n_frames,
                                         int(max_seconds * fps))
        rep_ranges = rep_ranges + lead
    yaw = None
    if real_world is not None and rng.random() < real_world.any_yaw_share:
        yaw = float(rng.uniform(-180.0, 180.0))
    cam = sample_camera(joints3d, move, fps, rng, yaw_deg=yaw)
    kps, depth = project_keypoints(cam, joints3d)
    n_reps = len(motion.rep_ranges)
    sev = np.full(len(FAULT_COLUMNS), np.nan, np.float32)
    rep_sev = np.full((n_reps, len(FAULT_COLUMNS)), np.nan, np.float32)
    if ex == UNKNOWN:
        score, rep_scores = float("nan"), np.full(n_reps, np.nan, np.float32)
    else:
        rubric = score_motion(motion, view_of_yaw(cam.yaw_deg))   # score what is visible
        score, rep_scores = rubric.score, rubric.rep_scores
        for name, v in motion.faults.items():
            c = FAULT_INDEX[f"{ex}.{name}"]
            sev[c] = v
            rep_sev[:, c] = [r[name] for r in motion.rep_faults]
    labels = dict(exercise=ex, score=score, subject=subject, sev=sev, yaw=cam.yaw_deg,
                  pitch=cam.pitch_deg, fps=fps, size=(cam.width, cam.height),
                  spec_seed=spec.seed, rep_scores=rep_scores,
                  rep_ranges=rep_ranges, rep_sev=rep_sev)
    return ClipScene(rng, ex, model, motion, joints3d, cam, kps, depth, labels)


def _short_motion(spec: ClipSpec, max_reps: int | None, max_seconds: float | None) -> Motion:
    """generate_motion(spec) with at most max_reps reps, fewer while longer than max_seconds."""
    reps = spec.reps if max_reps is None else max(1, min(spec.reps, int(max_reps)))
    while True:
        cut = spec if reps == spec.reps else replace(spec, reps=reps, faults={
            k: (v[:reps] if isinstance(v, tuple) else v) for k, v in spec.faults.items()})
        motion = generate_motion(cut)
        if max_seconds is None or reps == 1 or motion.n_frames <= max_seconds * spec.fps:
            return motion
        reps -= 1


def _trim_holds(joints3d: np.ndarray, lead: int, n_motion: int, max_frames: int
                ) -> tuple[np.ndarray, int]:
    """Shorten the held start and end poses (hold_ends) in proportion so the clip has at
    most max_frames frames (never cutting the movement). Returns (joints, new lead)."""
    tail = len(joints3d) - n_motion - lead
    room = max(0, max_frames - n_motion)
    if lead + tail <= room:
        return joints3d, lead
    new_lead = int(round(lead * room / (lead + tail)))
    new_tail = room - new_lead
    return joints3d[lead - new_lead: lead + n_motion + new_tail], new_lead


def real_world_detection(scene: ClipScene) -> RealDetection:
    """The noise model with real footage's hidden far-side joints, roll and framing."""
    rng, kps, depth = scene.rng, scene.keypoints, scene.depth
    size = (scene.camera.width, scene.camera.height)
    params = sample_mediapipe_params(rng)
    hidden = conditions.occluded_confidence(kps, depth, rng, params.conf_base,
                                            float(rng.uniform(0.02, 0.3)))
    noisy = apply_noise(kps, depth, rng, params, size=size, conf=hidden)
    roll_deg = float(rng.normal(0.0, 4.0))
    rolled = conditions.roll(noisy, size, roll_deg)
    framed, new_size, framing = conditions.random_framing(rolled, size, scene.exercise,
                                                          scene.model.lying, rng)
    return RealDetection(framed, new_size, rolled, roll_deg, framing)


def _clip(seed: int, i: int, exercises: Sequence[str], n_subjects: int,
          real_world: RealWorld | None = None) -> tuple[np.ndarray, dict]:
    """Generate clip i of a data set: (keypoints (T, 25, 3) float32, labels).

    With real_world, a share of the clips is movement that is no exercise (label
    UNKNOWN: no score, no faults), and every clip gets the conditions real footage has
    (conditions.py): any camera yaw now and then, tilt, idle time at both ends, framings that
    cut the body, hidden far-side joints, up to 20 reps."""
    scene = clip_scene(seed, i, exercises, n_subjects, real_world)
    labels = scene.labels
    if real_world is None:
        kps = apply_noise(scene.keypoints, scene.depth, scene.rng,
                          sample_noise_params(scene.rng), size=labels["size"])
        return kps, labels
    det = real_world_detection(scene)
    return det.keypoints, {**labels, "size": det.size}


def _pack(labels: list[dict], lengths: list[int]) -> dict[str, np.ndarray]:
    """Labels of consecutive clips -> one array per field (rows as in SynthDataset)."""
    return dict(
        lengths=np.array(lengths, np.int64),
        n_reps=np.array([len(c["rep_scores"]) for c in labels], np.int64),
        exercise=np.array([c["exercise"] for c in labels]),
        score=np.array([c["score"] for c in labels], np.float32),
        subject=np.array([c["subject"] for c in labels], np.int32),
        fault_severity=np.stack([c["sev"] for c in labels]),
        yaw_deg=np.array([c["yaw"] for c in labels], np.float32),
        pitch_deg=np.array([c["pitch"] for c in labels], np.float32),
        fps=np.array([c["fps"] for c in labels], np.float32),
        image_size=np.array([c["size"] for c in labels], np.int32),
        spec_seed=np.array([c["spec_seed"] for c in labels], np.int64),
        rep_scores=np.concatenate([c["rep_scores"] for c in labels]).astype(np.float32),
        rep_ranges=np.concatenate([c["rep_ranges"] for c in labels]).astype(np.int32),
        rep_fault_severity=np.concatenate([c["rep_sev"] for c in labels]))


class _Frames:
    """The data set's keypoints (N_frames, 25, 3) float32, appended clip by clip.

    Backed by an anonymous mmap that grows in place (mremap: no copy), so every frame is
    written exactly once and no concatenation follows. No transparent huge pages: on VMs the
    first touch of fresh huge pages is several times slower than of normal pages, and a data
    set is hundreds of MB of fresh memory (numpy asks for huge pages on arrays >= 4 MB).
    """

    def __init__(self, frames_hint: int):
        self._mm = mmap.mmap(-1, max(1, frames_hint) * _FRAME_BYTES, **_PRIVATE)
        self.n = 0

    def _grow(self, frames: int) -> tuple[int, int]:
        a, b = self.n * _FRAME_BYTES, (self.n + frames) * _FRAME_BYTES
        if b > len(self._mm):
            size = max(b, len(self._mm) * 3 // 2)
            try:
                self._mm.resize(size)
            except (OSError, SystemError, ValueError, TypeError):   # no mremap: copy over
                mm = mmap.mmap(-1, size, **_PRIVATE)
                mm[:a] = self._mm[:a]
                self._mm.close()
                self._mm = mm
        self.n += frames
        return a, b

    def append(self, kps: np.ndarray) -> None:
        a, b = self._grow(len(kps))
        with memoryview(self._mm) as mv:
            mv[a:b] = np.ascontiguousarray(kps, np.float32).reshape(-1).view(np.uint8)

    def append_file(self, path: str, frames: int) -> None:
        """Read `frames` frames written by a worker (raw float32) and delete the file."""
        a, b = self._grow(frames)
        with open(path, "rb", buffering=0) as f, memoryview(self._mm) as mv:
            while a < b:
                got = f.readinto(mv[a:b])
                if not got:
                    raise OSError(f"{path}: worker output ended early")
                a += got
        os.unlink(path)

    def array(self) -> np.ndarray:
        self._mm.resize(max(1, self.n * _FRAME_BYTES))
        return np.frombuffer(self._mm, np.float32, count=self.n * 75).reshape(self.n, 25, 3)


_PRIVATE = {"flags": mmap.MAP_PRIVATE} if hasattr(mmap, "MAP_PRIVATE") else {}


@functools.lru_cache(maxsize=1)
def _openblas() -> ctypes.CDLL | None:
    """numpy's bundled OpenBLAS, if it is the one in use (best effort, else None)."""
    here = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(here, "libopenblas*.so*")):
        try:
            lib = ctypes.CDLL(path)
            if hasattr(lib, "openblas_set_num_threads64_"):
                return lib
        except OSError:
            pass
    return None


@contextlib.contextmanager
def _single_blas_thread() -> Iterator[None]:
    """Run BLAS single-threaded: clips are small and independent, so BLAS threads only fight
    over the cores (2-5x slower small matrix products on a busy 2-core machine)."""
    lib = _openblas()
    if lib is None:
        yield
        return
    before = lib.openblas_get_num_threads64_()
    lib.openblas_set_num_threads64_(1)
    try:
        yield
    finally:
        lib.openblas_set_num_threads64_(before)


def _worker_init() -> None:
    lib = _openblas()
    if lib is not None:
        lib.openblas_set_num_threads64_(1)


def _chunk(args: tuple) -> tuple[dict, list[np.ndarray] | tuple[str, int]]:
    """A worker's job: clips idx -> (packed labels, keypoints). With a spool folder the
    keypoints go to a raw float32 file there and (path, frames) is returned: results sent
    back through the pool are pickled, copied through a pipe and unpickled, ~0.5 ms of the
    parent's CPU per clip (~200 KB); a file in RAM is written once and read once straight
    into the data set's buffer."""
    seed, idx, exercises, n_subjects, spool, real_world = args
    kps, labels = zip(*(_clip(seed, i, exercises, n_subjects, real_world) for i in idx))
    packed = _pack(list(labels), [len(k) for k in kps])
    if spool is None:
        return packed, list(kps)
    path = os.path.join(spool, f"{idx[0]}.f32")
    try:
        with open(path, "wb", buffering=0) as f:
            for k in kps:
                f.write(np.ascontiguousarray(k, np.float32).reshape(-1).view(np.uint8))
    except OSError:                    # spool full: send the arrays through the pipe instead
        with contextlib.suppress(OSError):
            os.unlink(path)
        return packed, list(kps)
    return packed, (path, int(packed["lengths"].sum()))


def _spool_dir() -> str:
    """A private folder for workers' outputs, in RAM (/dev/shm) where there is one."""
    shm = "/dev/shm"
    base = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None
    return tempfile.mkdtemp(prefix="fitscore-synth-", dir=base)


def generate_dataset(n: int, seed: int, progress: Callable[[int, int], None] | None = None, *,
                     exercises: Sequence[str] | None = None, n_subjects: int | None = None,
                     workers: int = 1, real_world: RealWorld | None = None) -> SynthDataset:
    """n synthetic clips, identical for identical (n, seed, exercises, n_subjects) whatever
    `workers` is. n_subjects defaults to one person per ~20 clips."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise FitScoreError(f"number of clips must be a whole number >= 1, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise FitScoreError(f"seed must be a non-negative whole number, got {seed!r}")
    exercises = tuple(EXERCISES) if exercises is None else tuple(exercises)
    unknown = [e for e in exercises if e not in EXERCISES]
    if unknown or not exercises:
        raise FitScoreError(f"unknown exercises {unknown}; choose from: {', '.join(EXERCISES)}")
    n_subjects = max(1, -(-int(n) // 20)) if n_subjects is None else n_subjects
    if not isinstance(n_subjects, (int, np.integer)) or n_subjects < 1:
        raise FitScoreError(f"n_subjects must be a whole number >= 1, got {n_subjects!r}")
    if not isinstance(workers, (int, np.integer)) or workers < 1:
        raise FitScoreError(f"workers must be a whole number >= 1, got {workers!r}")

    n = int(n)
    parallel = workers > 1 and n > CHUNK
    frames = _Frames(min(n, 1024) * 800)   # grows as needed; untouched pages cost nothing
    parts: list[dict] = []
    done, pool, spool = 0, None, None
    try:
        spool = _spool_dir() if parallel else None
        jobs = [(int(seed), range(a, min(n, a + CHUNK)), exercises, int(n_subjects), spool,
                 real_world)
                for a in range(0, n, CHUNK)]
        with _single_blas_thread():
            if not parallel:
                results = map(_chunk, jobs)
            else:
                ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
                pool = ctx.Pool(workers, initializer=_worker_init)
                results = pool.imap(_chunk, jobs)
            for packed, kps in results:
                if isinstance(kps, tuple):
                    frames.append_file(*kps)
                else:
                    for k in kps:
                        frames.append(k)
                parts.append(packed)
                done += len(packed["score"])
                if progress is not None:
                    progress(done, n)
    except BaseException:
        if pool is not None:
            pool.terminate()
        raise
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        if spool is not None:
            shutil.rmtree(spool, ignore_errors=True)
    return _assemble(parts, frames.array(), int(seed), int(n_subjects))


def _assemble(parts: list[dict], keypoints: np.ndarray, seed: int, n_subjects: int
              ) -> SynthDataset:
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return SynthDataset(
        keypoints=keypoints,
        offsets=np.concatenate([[0], np.cumsum(cat["lengths"])]).astype(np.int64),
        exercise=cat["exercise"], score=cat["score"], subject=cat["subject"],
        fault_severity=cat["fault_severity"], yaw_deg=cat["yaw_deg"],
        pitch_deg=cat["pitch_deg"], fps=cat["fps"], image_size=cat["image_size"],
        spec_seed=cat["spec_seed"],
        rep_offsets=np.concatenate([[0], np.cumsum(cat["n_reps"])]).astype(np.int64),
        rep_scores=cat["rep_scores"], rep_ranges=cat["rep_ranges"],
        rep_fault_severity=cat["rep_fault_severity"],
        fault_columns=FAULT_COLUMNS, seed=seed, n_subjects=n_subjects)


def save_dataset(ds: SynthDataset, path: str | os.PathLike) -> None:
    """Write a .npz (uncompressed: fast; keypoints dominate the size either way)."""
    arrays = {f.name: getattr(ds, f.name) for f in fields(ds)
              if isinstance(getattr(ds, f.name), np.ndarray)}
    np.savez(path, format_version=np.int64(FORMAT_VERSION),
             fault_columns=np.array(ds.fault_columns), seed=np.int64(ds.seed),
             n_subjects=np.int64(ds.n_subjects), **arrays)


def load_dataset(path: str | os.PathLike) -> SynthDataset:
    """Read a data set written by save_dataset; anything else (truncated, damaged, another
    .npz) is a FitScoreError naming the file."""
    import zipfile
    import zlib
    if not os.path.isfile(path):
        raise FitScoreError(f"no synthetic data set at {os.fspath(path)!r}")
    try:  # own file handle: np.load leaks its own when the zip is broken
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:  # a truncated or damaged copy
        raise FitScoreError(f"{os.fspath(path)!r} is damaged or truncated ({e}); copy or "
                            "generate the data set again") from None
    except (OSError, ValueError, KeyError) as e:
        raise FitScoreError(f"{os.fspath(path)!r} is not a FitScore synthetic data set ({e})") from None
    if int(data.get("format_version", -1)) != FORMAT_VERSION:
        raise FitScoreError(f"{os.fspath(path)!r} is not a FitScore synthetic data set "
                            f"(format {FORMAT_VERSION} expected)")
    names = {f.name for f in fields(SynthDataset)}
    missing = names - set(data)
    if missing:
        raise FitScoreError(f"{os.fspath(path)!r} lacks {sorted(missing)}: not a complete data set")
    kw = {k: data[k] for k in names}
    kw["fault_columns"] = tuple(str(c) for c in data["fault_columns"])
    kw["seed"], kw["n_subjects"] = int(data["seed"]), int(data["n_subjects"])
    return SynthDataset(**kw)
