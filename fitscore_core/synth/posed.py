"""Synthetic clips rendered and read by the real pose estimator, kept with their ground truth.

    python -m fitscore_core synth posed --n 150 --seed 0 --out /tmp/posed
    python -m fitscore_core synth noise-report /tmp/posed

    >>> from fitscore_core.synth.posed import PosedSettings, make_posed, load_posed
    >>> run = make_posed(2, seed=0, out="/tmp/posed-demo",
    ...                  settings=PosedSettings(max_reps=1, max_seconds=1.5, max_side=320))
    >>> clips = load_posed("/tmp/posed-demo")
    >>> clips[0].keypoints.shape == clips[0].truth.shape, clips[0].pose_sequence().backend
    (True, 'mediapipe-pose-full')

Why: the training data's detector noise is hand-made (noise.py, conditions.py). Here clip i of
seed s is built exactly as data sets build it (dataset.clip_scene under RealWorld(): person,
movement, faults, tempo, idle ends, camera, labels; then the noise model with hidden far-side
joints, roll and framing, whose draws decide the roll and the framing), but shortened for
speed (at most max_reps reps and about max_seconds), drawn at most max_side pixels on a side
with a random look and backdrop (as samples.py does), rolled and cropped like the keypoints,
and read frame by frame by MediaPipe. Each clip is one .npz in the folder:

- keypoints (T, 25, 3): the backend's BODY_25 main person per frame (zeros: nobody found),
  raw (no cleaning, no smoothing), in pixels of the cropped frame;
- truth (T, 25, 3): the projected ground truth in the same pixels, confidence 1 inside the
  frame and 0 outside; hidden (T, 25): how hidden each joint is behind the body, 0-1
  (conditions.occluded_confidence's geometric factor, without its random leg share);
- noise_keypoints (T, 25, 3): what the hand-made noise model gave for the same clip (the
  data set's keypoints, in the same pixels), for the noise fit (noise_fit.py);
- fps, size (width, height), torso_px (median Neck-MidHip length of the uncut truth) and the
  labels: exercise ("unknown" for a movement that is no exercise), score, rep_ranges,
  rep_scores, rep_fault_severity (R, F) and fault_severity (F,) over dataset.FAULT_COLUMNS,
  subject, yaw, pitch, roll, framing, seconds (render + pose time).

Resumable: a clip whose .npz exists is skipped, and every file is written to a temporary name
and renamed, so an interrupted run leaves only whole clips. settings.json records how the
folder's clips were made; another run into it must use the same settings and seed.
"""

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from fitscore_core.errors import FitScoreError
from fitscore_core.pose.backends import MediaPipeBackend, PoseBackend, prefetch
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.synth import conditions
from fitscore_core.synth.appearance import random_appearance
from fitscore_core.synth.backgrounds import BACKGROUND_KINDS, floor_row, make_background
from fitscore_core.synth.camera import Camera
from fitscore_core.synth.dataset import (FAULT_COLUMNS, RealWorld, clip_scene,
                                         real_world_detection)
from fitscore_core.synth.exercises import EXERCISES
from fitscore_core.synth.render import render_frame
from fitscore_core.synth.views import project_keypoints

FORMAT_VERSION = 1
DEFAULT_SUBJECTS = 1000   # fixed, not from --n: clip i is the same clip whatever n is asked
NECK, MIDHIP = 1, 8
SETTINGS_FILE = "settings.json"


@dataclass(frozen=True)
class PosedSettings:
    """How the clips of a folder are made. Shorter and smaller than data-set clips: the pose
    estimator costs ~20-40 ms a frame on these machines."""

    max_reps: int = 4
    max_seconds: float = 6.0
    max_side: int = 640
    n_subjects: int = DEFAULT_SUBJECTS
    exercises: tuple[str, ...] = tuple(EXERCISES)


@dataclass(frozen=True)
class PosedClip:
    """One rendered clip: the backend's output, the ground truth and the labels (module doc)."""

    keypoints: np.ndarray           # (T, 25, 3) backend BODY_25, zeros where nobody found
    truth: np.ndarray               # (T, 25, 3) projected, confidence 1 in frame / 0 outside
    hidden: np.ndarray              # (T, 25) 0 (in view) .. 1 (hidden behind the body)
    noise_keypoints: np.ndarray     # (T, 25, 3) the hand-made noise model on the same clip
    fps: float
    size: tuple[int, int]           # (width, height) of the cropped frame
    torso_px: float
    exercise: str
    score: float                    # NaN for "unknown"
    rep_ranges: np.ndarray          # (R, 2) frames, end exclusive
    rep_scores: np.ndarray          # (R,)
    rep_fault_severity: np.ndarray  # (R, F) over fault_columns, NaN = not this exercise's
    fault_severity: np.ndarray      # (F,)
    fault_columns: tuple[str, ...]
    subject: int
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    framing: str
    seed: int
    index: int
    backend: str
    seconds: float

    @property
    def n_frames(self) -> int:
        return int(self.keypoints.shape[0])

    def pose_sequence(self) -> PoseSequence:
        """The backend's output as the pipeline receives it from a video (before cleaning)."""
        return PoseSequence(self.keypoints, fps=self.fps, size=self.size,
                            source=f"posed:{self.seed}:{self.index}", backend=self.backend)

    def noise_sequence(self) -> PoseSequence:
        """The hand-made noise model's output for the same clip, as a PoseSequence."""
        return PoseSequence(self.noise_keypoints, fps=self.fps, size=self.size,
                            source=f"synthetic:{self.seed}:{self.index}", backend="synthetic")


@dataclass(frozen=True)
class PosedRun:
    """What make_posed did: clips made now, clips found done, seconds spent making."""

    made: int
    skipped: int
    seconds: float
    folder: str

    @property
    def seconds_per_clip(self) -> float:
        return self.seconds / self.made if self.made else float("nan")


@dataclass(frozen=True)
class Crop:
    """Pixel box kept of the rendered frame: x0, y0 and the kept width and height."""

    x0: int
    y0: int
    width: int
    height: int


# ------------------------------------------------------------------ geometry (pure)

def scaled_camera(camera: Camera, max_side: int) -> tuple[Camera, float]:
    """The same view drawn smaller (long side <= max_side): focal length and frame scale
    together, so every pixel coordinate scales by s. Returns (camera, s)."""
    s = min(1.0, max_side / max(camera.width, camera.height))
    if s == 1.0:
        return camera, 1.0
    return replace(camera, focal_px=camera.focal_px * s, width=max(1, round(camera.width * s)),
                   height=max(1, round(camera.height * s))), s


def crop_offset(before: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    """(x0, y0) the framing cut off the left and top: conditions.cut_frame shifts every kept
    joint by exactly that, so it is read off the joints kept (0, 0 when none is)."""
    both = (before[..., 2] > 0) & (after[..., 2] > 0)
    if not both.any():
        return 0.0, 0.0
    d = before[..., :2][both] - after[..., :2][both]
    return float(np.median(d[:, 0])), float(np.median(d[:, 1]))


def crop_box(offset: tuple[float, float], framed_size: tuple[int, int], s: float,
             size: tuple[int, int]) -> Crop:
    """The framing (in the camera's pixels) as a whole-pixel box of the frame drawn at scale
    s, of size `size`."""
    x0 = min(max(0, round(offset[0] * s)), size[0] - 1)
    y0 = min(max(0, round(offset[1] * s)), size[1] - 1)
    return Crop(x0, y0, max(1, min(round(framed_size[0] * s), size[0] - x0)),
                max(1, min(round(framed_size[1] * s), size[1] - y0)))


def apply_crop(kps: np.ndarray, size: tuple[int, int], crop: Crop) -> np.ndarray:
    """Keypoints in the cropped frame; joints outside it get confidence 0 (cut_frame)."""
    out, _ = conditions.cut_frame(kps, size, left_x=crop.x0, top_y=crop.y0,
                                  right_x=crop.x0 + crop.width, bottom_y=crop.y0 + crop.height)
    return out


def roll_matrix(size: tuple[int, int], degrees: float) -> np.ndarray:
    """(2, 3) affine map of conditions.roll (rotation about the frame centre), for images."""
    a = np.radians(degrees)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    c = np.array(size, float) / 2
    return np.hstack([rot, (c - rot @ c)[:, None]])


def hidden_factor(kps: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """(T, 25) 0-1: a left/right joint behind its partner and drawn close to it is hidden.

    The geometry of conditions.occluded_confidence without its random share for legs: what
    the noise model hides, so MediaPipe's visibility can be set against it."""
    torso = np.linalg.norm(kps[:, NECK, :2] - kps[:, MIDHIP, :2], axis=1)
    torso = max(float(np.median(torso)) if torso.size else 1.0, 1.0)
    mirror = conditions.MIRROR
    behind = np.clip((depth - depth[:, mirror] - 0.05) / 0.1, 0.0, 1.0)
    apart = np.linalg.norm(kps[:, :, :2] - kps[:, mirror, :2], axis=2) / (0.45 * torso)
    return (behind * np.clip(1.3 - apart, 0.0, 1.0) * conditions.OCCLUDABLE).astype(np.float32)


def torso_length(kps: np.ndarray) -> float:
    """Median Neck-MidHip pixel length over the frames where both are found."""
    ok = (kps[:, NECK, 2] > 0) & (kps[:, MIDHIP, 2] > 0)
    if not ok.any():
        return float("nan")
    return float(np.median(np.linalg.norm(kps[ok, NECK, :2] - kps[ok, MIDHIP, :2], axis=1)))


def main_person(people: np.ndarray) -> np.ndarray:
    """(P, 25, 3) -> (25, 3): the most confident person, zeros when nobody was found."""
    people = np.asarray(people, np.float32).reshape(-1, 25, 3)
    if not len(people):
        return np.zeros((25, 3), np.float32)
    return people[int(np.argmax(people[..., 2].sum(axis=1)))]


# ------------------------------------------------------------------ one clip

@dataclass(frozen=True)
class ClipPlan:
    """Everything needed to draw a clip and what is stored beside the backend's output."""

    joints3d: np.ndarray
    camera: Camera                 # the drawing camera (scaled)
    roll_deg: float
    crop: Crop
    truth: np.ndarray
    hidden: np.ndarray
    noise_keypoints: np.ndarray
    torso_px: float
    labels: dict
    framing: str


def plan_clip(seed: int, index: int, settings: PosedSettings) -> ClipPlan:
    """Clip `index` of `seed` as dataset._clip(..., RealWorld()) builds it, shortened, with
    its drawing camera, roll, crop and ground truth (no pixels yet)."""
    scene = clip_scene(seed, index, settings.exercises, settings.n_subjects, RealWorld(),
                       max_reps=settings.max_reps, max_seconds=settings.max_seconds)
    det = real_world_detection(scene)
    cam, s = scaled_camera(scene.camera, settings.max_side)
    size = (cam.width, cam.height)
    crop = crop_box(crop_offset(det.rolled, det.keypoints), det.size, s, size)
    truth, depth = project_keypoints(cam, scene.joints3d)
    hidden = hidden_factor(truth, depth)
    torso = torso_length(truth)
    truth = apply_crop(conditions.roll(truth, size, det.roll_deg), size, crop)
    noisy = det.rolled.copy()
    noisy[..., :2] *= np.float32(s)
    noisy = apply_crop(noisy, size, crop)
    return ClipPlan(scene.joints3d, cam, det.roll_deg, crop, truth, hidden, noisy, torso,
                    scene.labels, det.framing)


def render_frames(plan: ClipPlan, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """The clip's frames: a random look on a random backdrop, rolled and cropped like the
    keypoints (rolled-in corners repeat the edge, as a tilted phone shows no black)."""
    cam = plan.camera
    look = random_appearance(rng)
    kind = BACKGROUND_KINDS[int(rng.integers(len(BACKGROUND_KINDS)))]
    background = make_background(kind, cam.width, cam.height, rng, floor_y=floor_row(cam))
    m = roll_matrix((cam.width, cam.height), plan.roll_deg)
    c = plan.crop
    for joints in plan.joints3d:
        frame = render_frame(joints, cam, look, background)
        if abs(plan.roll_deg) > 1e-3:
            frame = cv2.warpAffine(frame, m, (cam.width, cam.height), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REPLICATE)
        yield np.ascontiguousarray(frame[c.y0:c.y0 + c.height, c.x0:c.x0 + c.width])


def run_backend(frames: Iterator[np.ndarray], backend: PoseBackend) -> np.ndarray:
    """(T, 25, 3) main person per frame. Frames are drawn in a background thread while the
    backend reads the previous one (both release the GIL)."""
    if hasattr(backend, "reset"):
        backend.reset()
    out = []
    with closing(prefetch(frames)) as stream:
        for frame in stream:
            out.append(main_person(backend(frame)))
    return np.stack(out) if out else np.zeros((0, 25, 3), np.float32)


def pose_clip(seed: int, index: int, settings: PosedSettings, backend: PoseBackend
              ) -> PosedClip:
    """Render clip `index` of `seed` and run the backend on it."""
    started = time.perf_counter()
    plan = plan_clip(seed, index, settings)
    look_rng = np.random.default_rng([int(seed), int(index), 0x9057])
    kps = run_backend(render_frames(plan, look_rng), backend)
    lab = plan.labels
    return PosedClip(
        keypoints=kps, truth=plan.truth, hidden=plan.hidden, noise_keypoints=plan.noise_keypoints,
        fps=float(lab["fps"]), size=(plan.crop.width, plan.crop.height),
        torso_px=plan.torso_px, exercise=str(lab["exercise"]), score=float(lab["score"]),
        rep_ranges=np.asarray(lab["rep_ranges"], np.int32).reshape(-1, 2),
        rep_scores=np.asarray(lab["rep_scores"], np.float32),
        rep_fault_severity=np.asarray(lab["rep_sev"], np.float32),
        fault_severity=np.asarray(lab["sev"], np.float32), fault_columns=FAULT_COLUMNS,
        subject=int(lab["subject"]), yaw_deg=float(lab["yaw"]), pitch_deg=float(lab["pitch"]),
        roll_deg=plan.roll_deg, framing=plan.framing, seed=int(seed), index=int(index),
        backend=str(getattr(backend, "name", "unknown")),
        seconds=time.perf_counter() - started)


# ------------------------------------------------------------------ files

def clip_path(folder: str | Path, index: int) -> Path:
    return Path(folder) / f"clip_{index:06d}.npz"


_ARRAYS = ("keypoints", "truth", "hidden", "noise_keypoints", "rep_ranges", "rep_scores",
           "rep_fault_severity", "fault_severity")
_SCALARS = ("fps", "torso_px", "exercise", "score", "subject", "yaw_deg", "pitch_deg",
            "roll_deg", "framing", "seed", "index", "backend", "seconds")


def save_clip(clip: PosedClip, path: str | Path) -> None:
    """Write atomically: a temporary file in the same folder, then os.replace."""
    path = Path(path)
    arrays = {k: getattr(clip, k) for k in _ARRAYS}
    arrays.update({k: np.asarray(getattr(clip, k)) for k in _SCALARS})
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, format_version=np.int64(FORMAT_VERSION),
                                size=np.array(clip.size, np.int32),
                                fault_columns=np.array(clip.fault_columns), **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_clip(path: str | Path) -> PosedClip:
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise FitScoreError(f"{os.fspath(path)!r} is not a posed clip ({e})") from None
    if int(data.get("format_version", -1)) != FORMAT_VERSION:
        raise FitScoreError(f"{os.fspath(path)!r} is not a posed clip of format "
                            f"{FORMAT_VERSION}")
    kw = {k: data[k] for k in _ARRAYS}
    for k in _SCALARS:
        v = data[k].item()
        kw[k] = v if isinstance(v, str) else (int(v) if k in ("subject", "seed", "index")
                                               else float(v))
    kw["size"] = tuple(int(v) for v in data["size"])
    kw["fault_columns"] = tuple(str(c) for c in data["fault_columns"])
    return PosedClip(**kw)


def load_posed(folder: str | Path) -> list[PosedClip]:
    """Every clip in a folder made by make_posed, in index order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FitScoreError(f"no posed clips at {os.fspath(folder)!r}: the folder does not exist")
    paths = sorted(folder.glob("clip_*.npz"))
    if not paths:
        raise FitScoreError(f"no posed clips in {os.fspath(folder)!r} (run `synth posed` first)")
    return [load_clip(p) for p in paths]


def _check_settings(folder: Path, seed: int, settings: PosedSettings) -> None:
    """Write settings.json, or refuse a folder whose clips were made otherwise."""
    want = {"format_version": FORMAT_VERSION, "seed": int(seed), **asdict(settings)}
    want["exercises"] = list(settings.exercises)
    path = folder / SETTINGS_FILE
    if path.is_file():
        have = json.loads(path.read_text())
        if have != want:
            diff = sorted(k for k in set(have) | set(want) if have.get(k) != want.get(k))
            raise FitScoreError(f"{os.fspath(folder)!r} holds clips made with other settings "
                                f"({', '.join(diff)} differ); use another folder")
        return
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".settings.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(want, indent=1) + "\n")
    os.replace(tmp, path)


def make_posed(n: int, seed: int, out: str | Path,
               progress: Callable[[int, int], None] | None = None, *,
               settings: PosedSettings = PosedSettings(),
               backend: PoseBackend | None = None) -> PosedRun:
    """Clips 0..n-1 of `seed` into folder `out`, skipping those already there. The backend
    (MediaPipe by default) is only started when a clip is missing."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise FitScoreError(f"number of clips must be a whole number >= 1, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise FitScoreError(f"seed must be a non-negative whole number, got {seed!r}")
    unknown = [e for e in settings.exercises if e not in EXERCISES]
    if unknown or not settings.exercises:
        raise FitScoreError(f"unknown exercises {unknown}; choose from: {', '.join(EXERCISES)}")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    _check_settings(folder, seed, settings)
    todo = [i for i in range(int(n)) if not clip_path(folder, i).is_file()]
    done = int(n) - len(todo)
    if progress is not None:
        progress(done, int(n))
    own = MediaPipeBackend() if backend is None and todo else None
    pose = own if own is not None else backend
    spent = 0.0
    try:
        for i in todo:
            clip = pose_clip(int(seed), i, settings, pose)
            save_clip(clip, clip_path(folder, i))
            spent += clip.seconds
            done += 1
            if progress is not None:
                progress(done, int(n))
    finally:
        if own is not None:
            own.close()
    return PosedRun(made=len(todo), skipped=int(n) - len(todo), seconds=spent,
                    folder=os.fspath(folder))


__all__ = ["PosedSettings", "PosedClip", "PosedRun", "make_posed", "load_posed", "pose_clip",
           "plan_clip"]
