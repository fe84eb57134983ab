"""The project's own sample videos: rendered clips with their ground truth, reproducible.

    python -m fitscore_core synth samples --out sample_videos --seed 7

    >>> from fitscore_core.synth.samples import SAMPLES, sample_motion_and_camera
    >>> motion, camera = sample_motion_and_camera(SAMPLES[0], seed=7)   # doctest: +SKIP

Each sample is a recipe (exercise, faults, reps, view, background); the seed fixes the
person, their tempo, their clothes and the room. `manifest.json` lists, per clip: exercise,
faults with severities (clip and per rep), the rubric's score and rep scores, rep frame
ranges, view, fps, size, and the file with the ground-truth BODY_25 keypoints of every frame
(`ground_truth/<name>.npz`, (T, 25, 3) pixels + visibility). Regenerating with the same seed
gives the same keypoints (the renderer's pixels may differ across OpenCV builds).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from fitscore_core.synth.appearance import random_appearance
from fitscore_core.synth.backgrounds import floor_row, make_background
from fitscore_core.synth.camera import Camera
from fitscore_core.synth.exercises import ClipSpec, Motion, generate_motion
from fitscore_core.synth.render import render_video
from fitscore_core.synth.rubric import score_motion
from fitscore_core.synth.views import fit_camera, project_keypoints

DEFAULT_SEED = 7
SIZE = (640, 480)
FPS = 30.0


@dataclass(frozen=True)
class SampleSpec:
    name: str
    exercise: str
    faults: dict = field(default_factory=dict)
    reps: int = 3
    yaw_deg: float = 0.0
    pitch_deg: float = 5.0
    background: str = "gym"


SAMPLES = (
    SampleSpec("squat_good", "squat", {}, 3, 30.0, 5.0, "gym"),
    SampleSpec("squat_knees_caving_in", "squat", {"knees_caving_in": 0.8}, 3, 0.0, 5.0, "room"),
    SampleSpec("squat_shallow", "squat", {"insufficient_depth": 0.8}, 3, 45.0, 5.0, "studio"),
    SampleSpec("push_up_good", "push_up", {}, 3, 90.0, 15.0, "gym"),
    SampleSpec("push_up_sagging_hips", "push_up", {"sagging_hips": 0.8}, 3, -90.0, 15.0, "room"),
    SampleSpec("bicep_curl_good", "bicep_curl", {}, 2, -90.0, 5.0, "studio"),
    SampleSpec("bicep_curl_elbow_drift", "bicep_curl", {"elbow_drift_forward": 0.8}, 2, -90.0,
               5.0, "gym"),
    SampleSpec("shoulder_press_good", "shoulder_press", {}, 2, 0.0, 5.0, "outdoor"),
    SampleSpec("jumping_jack_good", "jumping_jack", {}, 4, 0.0, 5.0, "studio"),
    SampleSpec("lunge_good", "lunge", {}, 2, 45.0, 5.0, "room"),
)


def _rng(seed: int, spec: SampleSpec, purpose: int) -> np.random.Generator:
    return np.random.default_rng([seed, purpose, sum(map(ord, spec.name))])


def sample_motion_and_camera(spec: SampleSpec, seed: int = DEFAULT_SEED) -> tuple[Motion, Camera]:
    """The 3D motion and the camera of one sample: everything its keypoints depend on."""
    motion = generate_motion(ClipSpec(spec.exercise, spec.faults, spec.reps, FPS,
                                      seed=seed * 1000 + SAMPLES.index(spec)))
    # Lying exercises are filmed from a little further: MediaPipe misplaces the joints hidden
    # behind the body more when the camera is close.
    fill = 0.7 if motion.model.lying else 0.8
    camera = fit_camera(motion.joints3d, spec.yaw_deg, spec.pitch_deg, FPS, *SIZE, fill=fill)
    return motion, camera


def make_sample(spec: SampleSpec, out_dir: Path, seed: int = DEFAULT_SEED,
                progress: Callable[[int, int], None] | None = None) -> dict:
    """Render one sample, write its ground truth; return its manifest entry."""
    motion, camera = sample_motion_and_camera(spec, seed)
    keypoints, _ = project_keypoints(camera, motion.joints3d)
    background = make_background(spec.background, *SIZE, _rng(seed, spec, 1),
                                 floor_y=floor_row(camera))
    appearance = random_appearance(_rng(seed, spec, 2))
    video = render_video(motion.joints3d, camera, appearance, background,
                         out_dir / f"{spec.name}.mp4", progress)
    truth = Path("ground_truth") / f"{spec.name}.npz"
    (out_dir / truth.parent).mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out_dir / truth, keypoints=keypoints.astype(np.float32))
    rubric = score_motion(motion)
    return {
        "name": spec.name, "video": video.name, "exercise": spec.exercise,
        "faults": dict(motion.faults), "rep_faults": [dict(r) for r in motion.rep_faults],
        "score": round(float(rubric.score), 2),
        "rep_scores": [round(float(s), 2) for s in rubric.rep_scores],
        "rep_ranges": [list(map(int, r)) for r in motion.rep_ranges],
        "view": {"yaw_deg": spec.yaw_deg, "pitch_deg": spec.pitch_deg},
        "background": spec.background, "fps": FPS, "size": list(SIZE),
        "frames": motion.n_frames, "ground_truth": str(truth),
    }


def make_samples(out_dir: str | Path, seed: int = DEFAULT_SEED,
                 progress: Callable[[int, int], None] | None = None) -> Path:
    """Render every sample into out_dir with manifest.json; returns the manifest's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for k, spec in enumerate(SAMPLES):
        entries.append(make_sample(spec, out_dir, seed))
        if progress is not None:
            progress(k + 1, len(SAMPLES))
    manifest = out_dir / "manifest.json"
    manifest.write_text(json.dumps({"seed": seed, "generator": "python -m fitscore_core synth "
                                    f"samples --out {out_dir.name} --seed {seed}",
                                    "clips": entries}, indent=1) + "\n")
    return manifest


def load_manifest(folder: str | Path) -> list[dict]:
    return json.loads((Path(folder) / "manifest.json").read_text())["clips"]
