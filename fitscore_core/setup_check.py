"""Camera-setup check: is the client filmed so the exercise can be judged? Say what to change.

    >>> from fitscore_core.setup_check import check_setup, sample_frames
    >>> check = check_setup(seq, "squat", frames=sample_frames("clip.mp4"))  # doctest: +SKIP
    >>> [p.instruction for p in check.problems]                             # doctest: +SKIP
    ['Step back so your feet are in the picture.']

Three checks, from the cleaned pose sequence and, when the caller gives a few frames, their
brightness. It never blocks the analysis (the analysis refuses on its own only when the
joints are missing in most of the clip, scorers/coverage.py); it says what to change for
the next recording:

  - **in frame**: the joints the exercise needs (coverage.NEEDED, the same rule the
    analysis uses) seen in at least IN_FRAME of the frames where the person is; else which
    body part is cut off, said as where to move ("Step back so your feet are in the
    picture");
  - **lit**: the mean luma (0-255) of the sample frames between DARK and BRIGHT;
  - **view**: the camera view (pose/view.py) one of the exercise's recommended views
    (fault_views.RECOMMENDED), else its filming advice.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fitscore_core.annotate import has_video, read_frame
from fitscore_core.errors import FitScoreError
from fitscore_core.fault_views import RECOMMENDED, well_filmed
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.pose.skeletons import BODY_25
from fitscore_core.pose.video import probe_video
from fitscore_core.pose.view import CameraView, estimate_view, seen_mask
from fitscore_core.scorers.coverage import coverage, needed

IN_FRAME = 0.8     # share of the person's frames with every needed joint seen
DARK = 60.0        # mean luma below this: too dark for the pose estimator to be sure
BRIGHT = 225.0     # above: washed out (or filmed against a window)
SAMPLE_FRAMES = 5

# which body part, when it is the one cut off, and what to do about it
_PARTS = (
    (("Ankle", "BigToe", "SmallToe", "Heel", "Knee"),
     "Step back, or tilt the camera down, so your feet are in the picture."),
    (("Wrist", "Elbow"),
     "Step back so both hands are in the picture, with room above your head."),
    (("Nose", "Neck", "Shoulder", "Eye", "Ear"),
     "Tilt the camera up or step back so your head and shoulders are in the picture."),
    (("Hip", "MidHip"),
     "Step back so your whole body, hips included, is in the picture."),
)


@dataclass(frozen=True)
class SetupProblem:
    check: str            # "in_frame", "light" or "view"
    instruction: str      # what to change, in the client's or trainer's words
    measured: str         # the figure behind it, for the curious


@dataclass(frozen=True)
class SetupCheck:
    problems: tuple[SetupProblem, ...]
    view: CameraView
    in_frame: float               # share of frames with the needed joints seen
    luma: float | None            # mean luma of the sample frames; None without frames

    @property
    def ok(self) -> bool:
        return not self.problems


def _part(joint: str) -> str:
    return joint[1:] if joint[:1] in "RL" and joint[1:2].isupper() else joint


def _missing_instruction(seq: PoseSequence, exercise: str, view: str) -> str:
    """Which needed joints are missing most often -> where to move."""
    seen = seen_mask(seq)[seq.detected]
    joints = sorted({j for alt in needed(exercise, view) for j in alt})
    share = {j: float(seen[:, BODY_25.index(j)].mean()) if len(seen) else 0.0 for j in joints}
    worst = min(share, key=share.get) if share else "Ankle"
    for parts, instruction in _PARTS:
        if _part(worst) in parts:
            return instruction
    return "Step back so your whole body is in the picture."


def mean_luma(frames: Sequence[np.ndarray]) -> float:
    """Mean brightness (0-255, BT.601 luma) of BGR frames."""
    return float(np.mean([cv2.cvtColor(f, cv2.COLOR_BGR2GRAY).mean() for f in frames]))


def sample_frames(path: str | Path, n: int = SAMPLE_FRAMES, max_side: int = 320
                  ) -> list[np.ndarray]:
    """n frames spread over a video (small, BGR), for the light check; [] when the file
    cannot be read as a video (an OpenPose JSON import has no pictures)."""
    if not has_video(path):
        return []
    try:
        total = max(1, probe_video(path).frame_count)
        return [read_frame(path, int(k), max_side)
                for k in np.linspace(0, total - 1, n).round().astype(int)]
    except FitScoreError:
        return []


def check_setup(seq: PoseSequence, exercise: str,
                frames: Sequence[np.ndarray] | None = None,
                view: CameraView | None = None) -> SetupCheck:
    """The three checks for `exercise` (see the module docstring); never raises for a bad
    setup, it only says what to change. `view` defaults to estimate_view(seq)."""
    view = view or estimate_view(seq)
    problems = []
    share = coverage(seq, exercise, view.view) if seq.detected.any() else 0.0
    if share < IN_FRAME:
        problems.append(SetupProblem(
            "in_frame", _missing_instruction(seq, exercise, view.view) if seq.detected.any()
            else "Nobody was found in the picture: stand where the camera sees you whole.",
            f"the joints a {exercise.replace('_', ' ')} needs are seen in {share:.0%} of the "
            "frames"))
    luma = mean_luma(frames) if frames else None
    if luma is not None and luma < DARK:
        problems.append(SetupProblem("light", "Turn on more light, or film facing a window: "
                                     "the picture is too dark.", f"brightness {luma:.0f}/255"))
    elif luma is not None and luma > BRIGHT:
        problems.append(SetupProblem("light", "Avoid filming against a window or in direct "
                                     "sun: the picture is washed out.",
                                     f"brightness {luma:.0f}/255"))
    if exercise in RECOMMENDED and not well_filmed(exercise, view.view):
        advice = RECOMMENDED[exercise].advice
        problems.append(SetupProblem("view", f"{advice[0].upper()}{advice[1:]}.",
                                     f"filmed: {view.describe()}"))
    return SetupCheck(tuple(problems), view, share, luma)
