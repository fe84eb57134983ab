"""PoseSequence: the BODY_25 skeletons of one clip, the object every stage passes on.

    >>> import numpy as np
    >>> from fitscore_core.pose.sequence import PoseSequence
    >>> seq = PoseSequence(np.zeros((30, 25, 3), np.float32), fps=30.0, size=(640, 480))
    >>> seq.n_frames, seq.duration_s
    (30, 1.0)
"""

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class PoseSequence:
    """One person's BODY_25 keypoints over time, in pixels of the original frame.

    keypoints: (T, 25, 3) float32 -- x, y, confidence; confidence 0 means "not found".
    size: (width, height) of the frame the pixels refer to, or None when unknown (JSON import).
    """

    keypoints: np.ndarray
    fps: float
    size: tuple[int, int] | None = None
    source: str = ""
    backend: str = ""
    notes: tuple[str, ...] = field(default=())  # what cleaning did, for the user to read

    def __post_init__(self):
        if self.keypoints.ndim != 3 or self.keypoints.shape[1:] != (25, 3):
            raise ValueError(f"keypoints must be (T, 25, 3), got {self.keypoints.shape}")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")

    @property
    def n_frames(self) -> int:
        return int(self.keypoints.shape[0])

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps

    @property
    def detected(self) -> np.ndarray:
        """(T,) bool: frames where anyone was found."""
        return (self.keypoints[:, :, 2] > 0).any(axis=1)

    def with_keypoints(self, keypoints: np.ndarray, note: str | None = None) -> "PoseSequence":
        notes = self.notes + ((note,) if note else ())
        return replace(self, keypoints=keypoints.astype(np.float32), notes=notes)


@dataclass(frozen=True)
class MultiPoseFrames:
    """Everyone found in each frame, before the main subject is chosen.

    people[t]: (P_t, 25, 3) float32, P_t >= 0 people in frame t.
    """

    people: list[np.ndarray]
    fps: float
    size: tuple[int, int] | None = None
    source: str = ""
    backend: str = ""
    every: int = 1           # posed on every `every`-th video frame (pose/rate.py) ...
    video_frames: int = 0    # ... of this many (0: n_frames * every)

    @property
    def frames_in_video(self) -> int:
        return self.video_frames or self.n_frames * self.every

    def subsampled(self, every: int) -> "MultiPoseFrames":
        """Every `every`-th frame of frames posed on every frame: what posing at that rate
        gives, up to the estimator's tracking from frame to frame."""
        if self.every != 1:
            raise ValueError("only frames posed on every video frame can be subsampled")
        if every == 1:
            return self
        return replace(self, people=self.people[::every], fps=self.fps / every, every=every,
                       video_frames=self.n_frames)

    @property
    def n_frames(self) -> int:
        return len(self.people)

    @property
    def input_name(self) -> str:
        """The input as the user named it, for messages ("" when unknown)."""
        return Path(self.source).name if self.source else ""
