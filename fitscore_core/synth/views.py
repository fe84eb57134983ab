"""Camera placement for synthetic clips: a view per exercise, the whole body kept in frame.

    >>> import numpy as np
    >>> from fitscore_core.synth.exercises import ClipSpec, generate_motion
    >>> from fitscore_core.synth.views import fit_camera, project_keypoints
    >>> m = generate_motion(ClipSpec("squat", reps=1, seed=0))
    >>> cam = fit_camera(m.joints3d, yaw_deg=0, pitch_deg=5, fps=m.fps)
    >>> kps, depth = project_keypoints(cam, m.joints3d)
    >>> kps.shape == (m.n_frames, 25, 3), bool((kps[..., 2] == 1).all())
    (True, True)

Yaw 0 films the subject's front, ±90 a side (+90 their left), as in camera.py. Each exercise
lists the views a trainer would pick (push-ups and curls from the side, squats and presses
from the front or 45°); sampling jitters around those. The distance is solved from the
clip's own 3D extent over all frames, so a lying push-up and a jumping jack both fit.
"""

import numpy as np

from fitscore_core.errors import FitScoreError
from fitscore_core.synth.camera import Camera
from fitscore_core.synth.exercises import ALL_MOVES, EXERCISES
from fitscore_core.synth.timing import pick

FRAME_SIZES = ((640, 480), (1280, 720), (1920, 1080), (960, 540), (854, 480),
               (480, 640), (720, 1280), (1080, 1920))
FRAME_WEIGHTS = (0.2, 0.25, 0.15, 0.1, 0.1, 0.05, 0.1, 0.05)
FPS_CHOICES = (24.0, 25.0, 30.0, 50.0, 60.0)
FPS_WEIGHTS = (0.1, 0.1, 0.5, 0.05, 0.25)


def default_yaw(exercise: str) -> float:
    """The view a trainer would film this exercise from."""
    if exercise not in EXERCISES:
        raise FitScoreError(f"unknown exercise {exercise!r}; choose one of: {', '.join(EXERCISES)}")
    return EXERCISES[exercise].views[0]


def sample_fps(rng: np.random.Generator) -> float:
    return FPS_CHOICES[pick(rng, FPS_WEIGHTS)]


def sample_yaw(exercise: str, rng: np.random.Generator) -> float:
    """One of the exercise's good views, jittered by ~8°."""
    views = ALL_MOVES[exercise].views
    yaw = views[int(rng.integers(len(views)))] + rng.normal(0.0, 8.0)
    if rng.random() < 0.5 and abs(yaw) < 70:   # film from either side of the front
        yaw = -yaw
    return float(np.clip(yaw, -100.0, 100.0))


def camera_axes(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """Camera.rotation (rows: right, down, forward) for a yaw and pitch, without np.cross
    (slow on single 3-vectors); the axes do not depend on target or distance."""
    yaw, pitch = np.radians(yaw_deg), np.radians(pitch_deg)
    fx, fy, fz = (-np.sin(yaw) * np.cos(pitch), -np.sin(pitch), -np.cos(yaw) * np.cos(pitch))
    rx, rz = -fz, fx                       # forward x (0, 1, 0)
    n = np.hypot(rx, rz)
    rx, rz = rx / n, rz / n
    down = (fy * rz, fz * rx - fx * rz, -fy * rx)          # forward x right
    return np.array([[rx, 0.0, rz], down, [fx, fy, fz]])


def _key_frames(joints3d: np.ndarray, n: int = 24) -> np.ndarray:
    """A few frames that bound the motion: evenly spaced ones plus the extreme ones per axis."""
    t = len(joints3d)
    step = max(1, t // (4 * n))   # smooth motion: extremes of every few frames are enough
    by_axis = np.ascontiguousarray(joints3d[::step].transpose(0, 2, 1))   # fast reductions
    lo, hi = by_axis.min(axis=2), by_axis.max(axis=2)
    idx = set(range(0, t, max(1, t // n)))
    idx.update((step * np.concatenate([lo.argmin(axis=0), hi.argmax(axis=0)])).tolist())
    return joints3d[sorted(idx)]


def fit_camera(joints3d: np.ndarray, yaw_deg: float, pitch_deg: float, fps: float,
               width: int = 640, height: int = 480, fov_deg: float = 60.0, fill: float = 0.75,
               offset: tuple[float, float] = (0.0, 0.0)) -> Camera:
    """Camera at yaw/pitch whose frame holds every joint of every frame.

    fill: share of the frame the subject's larger relative extent takes (0.3-0.95);
    offset: where the subject sits within the leftover room, -1 (left/top) .. 1 (right/bottom).
    The camera axes depend only on yaw and pitch, so the fit works in those axes: distance
    first (pixel size ~ 1 / distance), then a sideways/vertical target shift to place the
    subject; a final pinhole check backs off (10% at a time) if perspective pushed a joint out.
    """
    if not 0.3 <= fill <= 0.95:
        raise FitScoreError(f"fill must be between 0.3 and 0.95, got {fill}")
    pts = _key_frames(joints3d).reshape(-1, 3)
    cols = np.ascontiguousarray(pts.T)            # (3, N): reductions along the last axis are fast
    centre = (cols.min(axis=1) + cols.max(axis=1)) / 2
    focal = float((width / 2) / np.tan(np.radians(fov_deg) / 2))
    rot = camera_axes(yaw_deg, pitch_deg)
    q = rot @ (cols - centre[:, None])            # camera axes, origin at the box centre
    near = float(-q[2].min()) + 0.5               # keep every joint >= 0.5 m in front
    dist = max(2.0, near)
    fq = focal * q[:2]
    for _ in range(3):                            # 2-vectors below are plain floats: same math
        px = fq / (q[2] + dist)
        hi, lo = px.max(axis=1), px.min(axis=1)
        dist = max(near, dist * max((float(hi[0]) - float(lo[0])) / (fill * width),
                                    (float(hi[1]) - float(lo[1])) / (fill * height)))
    shift = [0.0, 0.0]
    for _ in range(2):
        px = focal * (q[:2] - np.array(shift)[:, None]) / (q[2] + dist)
        hi, lo = px.max(axis=1), px.min(axis=1)
        for k, size in enumerate((width, height)):
            lo_k = float(lo[k]) + size / 2
            hi_k = float(hi[k]) + size / 2
            slack = max(size - (hi_k - lo_k), 0.0)
            want_lo = slack / 2 * (1.0 + 0.9 * float(offset[k]))
            shift[k] = shift[k] - (want_lo - lo_k) * dist / focal
    half = np.array([width / 2, height / 2])[:, None]
    for _ in range(8):
        target = centre + rot[0] * shift[0] + rot[1] * shift[1]
        cam = Camera(yaw_deg, pitch_deg, dist, tuple(target), focal, width, height, fps)
        c = rot @ (cols - cam.position[:, None])
        px = focal * c[:2] / np.maximum(c[2], 1e-6) + half
        if c[2].min() > 0.1 and px.min() >= 0 and px[0].max() < width and px[1].max() < height:
            break
        dist *= 1.1
    return cam


def sample_camera(joints3d: np.ndarray, exercise: str, fps: float, rng: np.random.Generator,
                  yaw_deg: float | None = None) -> Camera:
    """A random, plausible phone/tripod camera for a clip of `exercise`."""
    lying = ALL_MOVES[exercise].lying
    yaw = sample_yaw(exercise, rng) if yaw_deg is None else float(yaw_deg)
    pitch = rng.uniform(8.0, 28.0) if lying else rng.uniform(-3.0, 15.0)
    w, h = FRAME_SIZES[pick(rng, FRAME_WEIGHTS)]
    fov = rng.uniform(45.0, 75.0)
    fill = rng.uniform(0.55, 0.9)
    offset = (rng.uniform(-1, 1), rng.uniform(-1, 1))
    return fit_camera(joints3d, yaw, pitch, fps, w, h, fov, fill, offset)


def project_keypoints(camera: Camera, joints3d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 25, 3) world joints -> ((T, 25, 3) pixels x, y + confidence, (T, 25) depth in m).

    Confidence is 1 for joints in front of the camera and inside the frame, else 0 with
    x = y = 0 (OpenPose's "not found"). noise.py turns this into realistic detector output.
    Same pinhole model as Camera.project, written out flat because data sets call it a lot.
    """
    shape = joints3d.shape[:-1]
    rot = camera_axes(camera.yaw_deg, camera.pitch_deg)
    cam = rot @ joints3d.reshape(-1, 3).T                 # (3, N): rows are contiguous
    cam -= (rot @ camera.position)[:, None]
    depth = cam[2]
    inv = np.maximum(depth, 1e-6)
    np.divide(camera.focal_px, inv, out=inv)
    x, y = cam[0], cam[1]
    x *= inv
    x += camera.width / 2
    y *= inv
    y += camera.height / 2
    out = np.empty((cam.shape[1], 3), dtype=np.float32)
    if (depth.min() > 0.05 and x.min() >= 0 and x.max() < camera.width and y.min() >= 0
            and y.max() < camera.height):      # the usual case: every joint in the frame
        out[:, 0] = x
        out[:, 1] = y
        out[:, 2] = 1.0
    else:
        inside = (depth > 0.05) & (x >= 0) & (x < camera.width) & (y >= 0) & (y < camera.height)
        out[:, 0] = x * inside
        out[:, 1] = y * inside
        out[:, 2] = inside
    return out.reshape(shape + (3,)), depth.reshape(shape)
