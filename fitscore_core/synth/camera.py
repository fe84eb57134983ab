"""Pinhole camera around the subject: 3D world points (metres) -> BODY_25-style pixels.

    >>> import numpy as np
    >>> from fitscore_core.synth.camera import Camera
    >>> cam = Camera(yaw_deg=0, pitch_deg=0, distance_m=4, target=(0, 1, 0))
    >>> cam.project(np.array([[0.0, 1.0, 0.0]]))[0].round(1).tolist()
    [[320.0, 240.0]]

World frame: metres, y up, ground at y = 0, the subject stands near x = z = 0 facing +z.
x points to the subject's left (the viewer's right in a front view).
yaw 0 = camera on +z looking at the subject's front; yaw +90 = camera on +x (subject's left
side); yaw -90 = subject's right side. pitch > 0 = camera above the target, looking down.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Camera:
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    distance_m: float = 4.0
    target: tuple[float, float, float] = (0.0, 0.9, 0.0)  # point the camera looks at
    focal_px: float = 600.0
    width: int = 640
    height: int = 480
    fps: float = 30.0

    def __post_init__(self):
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"frame size must be positive, got {self.width}x{self.height}")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if not self.distance_m > 0 or not self.focal_px > 0:
            raise ValueError("camera distance and focal length must be positive")

    @property
    def position(self) -> np.ndarray:
        yaw, pitch = np.radians(self.yaw_deg), np.radians(self.pitch_deg)
        offset = np.array([np.sin(yaw) * np.cos(pitch), np.sin(pitch),
                           np.cos(yaw) * np.cos(pitch)])
        return np.asarray(self.target, float) + self.distance_m * offset

    @property
    def rotation(self) -> np.ndarray:
        """(3, 3) world -> camera rows: right, down, forward (OpenCV camera axes)."""
        forward = np.asarray(self.target, float) - self.position
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        return np.stack([right, down, forward])

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) world -> (..., 3) camera coordinates (z = depth in metres)."""
        return (np.asarray(points, float) - self.position) @ self.rotation.T

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(..., 3) world points -> ((..., 2) pixel x, y; (...,) depth in metres)."""
        cam = self.to_camera(points)
        depth = cam[..., 2]
        safe = np.where(depth > 1e-6, depth, 1e-6)
        px = self.focal_px * cam[..., 0] / safe + self.width / 2
        py = self.focal_px * cam[..., 1] / safe + self.height / 2
        return np.stack([px, py], axis=-1), depth
