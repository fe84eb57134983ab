"""Renderer tests: drawing rules, backgrounds, video writing, and recognition by MediaPipe.

The poses are built here from the reference standing body by rotating joint chains (a tiny
forward kinematics), independent of the exercise synthesizer.
"""

import cv2
import numpy as np
import pytest

from fitscore_core.errors import FitScoreError
from fitscore_core.synth.backgrounds import BACKGROUND_KINDS, floor_row, make_background
from fitscore_core.synth.camera import Camera
from fitscore_core.synth.metrics import pck, torso_length
from fitscore_core.synth.proportions import standing_pose
from fitscore_core.synth.render import Appearance, random_appearance, render_frame, render_video

# BODY_25 joint groups
UPPER_BODY = [0, 1, 2, 3, 4, 5, 6, 7, 15, 16, 17, 18]
R_FOOT, L_FOOT = [22, 23, 24], [19, 20, 21]


def _rot(axis, deg) -> np.ndarray:
    """Rotation matrix about a unit axis (Rodrigues)."""
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    t = np.radians(deg)
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * k @ k


def rotate(pose, joints, pivot, axis, deg) -> np.ndarray:
    """Rotate the given joints about pivot (a joint index or a point)."""
    pose = pose.copy()
    c = pose[pivot].copy() if np.isscalar(pivot) else np.asarray(pivot, float)
    pose[joints] = (pose[joints] - c) @ _rot(axis, deg).T + c
    return pose


def arm_raise(p: float) -> np.ndarray:
    """Lateral raise, arms from the sides to overhead (p 0 -> 1)."""
    pose = standing_pose()
    angle = 8 + 152 * p
    pose = rotate(pose, [3, 4], 2, (0, 0, 1), -angle)
    pose = rotate(pose, [6, 7], 5, (0, 0, 1), angle)
    return pose


def squat(p: float) -> np.ndarray:
    """Bodyweight squat: hips back and down, knees forward, torso leaning, arms forward."""
    pose = standing_pose()
    feet = pose[R_FOOT + L_FOOT] - pose[[11] * 3 + [14] * 3]
    ankles = pose[[11, 14]].copy()
    hip_flex, knee_flex, lean, arm = 95 * p, 125 * p, 40 * p, 85 * p
    for hip, chain in ((9, [10, 11]), (12, [13, 14])):
        pose = rotate(pose, chain, hip, (1, 0, 0), -hip_flex)
        pose = rotate(pose, chain[1:], chain[0], (1, 0, 0), knee_flex)
    pose = rotate(pose, UPPER_BODY, 8, (1, 0, 0), lean)
    pose = rotate(pose, [3, 4], 2, (1, 0, 0), -arm - lean)
    pose = rotate(pose, [6, 7], 5, (1, 0, 0), -arm - lean)
    shift = ankles - pose[[11, 14]]
    pose = pose + shift.mean(axis=0)
    pose[R_FOOT + L_FOOT] = pose[[11] * 3 + [14] * 3] + feet
    return pose


def curl(p: float) -> np.ndarray:
    """Biceps curl: elbows at the sides, forearms from hanging to fully flexed."""
    pose = standing_pose()
    for el, wr in ((3, 4), (6, 7)):
        pose = rotate(pose, [wr], el, (1, 0, 0), -(5 + 135 * p))
    return pose


def _two_link(shoulder, target, l1, l2, bend_dir) -> np.ndarray:
    """Elbow position of a two-bone chain from shoulder to target, bending toward bend_dir."""
    d = target - shoulder
    dist = min(np.linalg.norm(d), l1 + l2 - 1e-6)
    u = d / np.linalg.norm(d)
    a = (l1 ** 2 - l2 ** 2 + dist ** 2) / (2 * dist)
    h = np.sqrt(max(l1 ** 2 - a ** 2, 0.0))
    side = bend_dir - u * np.dot(bend_dir, u)
    return shoulder + u * a + side / np.linalg.norm(side) * h


def pushup(p: float) -> np.ndarray:
    """Push-up seen lying along +z, face down: from arms straight (p=0) to chest low (p=1)."""
    top = standing_pose()
    upper, fore = (np.linalg.norm(top[3] - top[2]), np.linalg.norm(top[4] - top[3]))
    toe_to_shoulder = np.linalg.norm(top[2, [1, 2]] - top[22, [1, 2]])
    wrist_y = 0.04

    def lie(shoulder_height):
        tilt = np.degrees(np.arcsin(shoulder_height / toe_to_shoulder))
        pose = rotate(top, [3, 4], 2, (1, 0, 0), -(90 - tilt))
        pose = rotate(pose, [6, 7], 5, (1, 0, 0), -(90 - tilt))
        pose = rotate(pose, list(range(25)), pose[22], (1, 0, 0), 90 - tilt)
        return pose - (0, pose[[19, 22], 1].mean(), 0)

    straight = lie(upper + fore + wrist_y - 0.03)
    hands = straight[[4, 7]].copy()
    pose = lie(straight[2, 1] - p * (straight[2, 1] - 0.28))
    for sh, el, wr, hand in ((2, 3, 4, hands[0]), (5, 6, 7, hands[1])):
        pose[el] = _two_link(pose[sh], hand, upper, fore, np.array([0.6, 0.3, -1.0]) * (
            1 if sh == 5 else (-1, 1, 1)))
        pose[wr] = hand
    return pose - (0, 0, pose[:, 2].mean())


def clip(make, n=40) -> np.ndarray:
    """(n, 25, 3) one slow repetition: out and back, cosine eased."""
    return np.stack([make(0.5 - 0.5 * np.cos(2 * np.pi * t / (n - 1))) for t in range(n)])


# ---------------------------------------------------------------------------- drawing rules

COLOURFUL = Appearance(skin=(60, 140, 230), shirt=(200, 60, 0), bottoms=(0, 60, 200),
                       hair=(0, 40, 120), shoes=(160, 0, 160))
GREEN_SKIN = Appearance(skin=(0, 200, 0), shirt=(200, 0, 0), bottoms=(0, 0, 200),
                        hair=(20, 20, 20), shoes=(200, 200, 200), sleeve=0.5)


def plain(cam: Camera, value: int = 128) -> np.ndarray:
    return np.full((cam.height, cam.width, 3), value, np.uint8)


def px(img, cam, point) -> np.ndarray:
    x, y = np.round(cam.project(np.asarray(point, float))[0]).astype(int)
    return img[y, x].astype(int)


def test_frame_shape_dtype_and_background_left_alone():
    cam = Camera()
    bg = make_background("gym", cam.width, cam.height, np.random.default_rng(0))
    before = bg.copy()
    img = render_frame(standing_pose(), cam, Appearance(), bg)
    assert img.shape == (480, 640, 3) and img.dtype == np.uint8
    assert np.array_equal(bg, before)                       # a copy is drawn on
    assert np.array_equal(img[:40, :40], bg[:40, :40])      # far from the person: untouched
    assert (img != bg).any(axis=2).sum() > 5000             # a person-sized area is drawn


@pytest.mark.parametrize("make,kw", [
    (standing_pose, dict(yaw_deg=0)), (standing_pose, dict(yaw_deg=90)),
    (lambda: squat(0.7), dict(yaw_deg=45, pitch_deg=10)),
    (lambda: pushup(0.0), dict(yaw_deg=-90, target=(0, 0.3, 0))),
])
def test_figure_covers_its_projected_joints_and_little_else(make, kw):
    cam = Camera(distance_m=3.5, **kw)
    pose = make()
    img = render_frame(pose, cam, COLOURFUL, plain(cam)).astype(int)
    figure = img.max(axis=2) - img.min(axis=2) > 20      # coloured: not the grey floor shadow
    truth = cam.project(pose)[0]
    for x, y in np.round(truth[:15]).astype(int):
        assert figure[y - 2:y + 3, x - 2:x + 3].any()
    ys, xs = np.nonzero(figure)
    torso = float(torso_length(truth[None])[0])
    # the body ends within half a torso of its outermost joints (head, hands, feet)
    assert truth[:, 0].min() - 0.5 * torso < xs.min() and xs.max() < truth[:, 0].max() + 0.5 * torso
    assert truth[:, 1].min() - 0.5 * torso < ys.min() and ys.max() < truth[:, 1].max() + 0.5 * torso


def _forearm_across_body(z: float) -> np.ndarray:
    """Left forearm held horizontally across the body, z metres in front (+) or behind (-)."""
    pose = standing_pose()
    pose[6] = (0.20, 1.15, z)       # LElbow
    pose[7] = (-0.05, 1.17, z)      # LWrist, across the midline
    return pose


def test_near_arm_hides_the_torso_and_far_arm_is_hidden_by_it():
    cam = Camera(distance_m=3.0)
    in_front = render_frame(_forearm_across_body(0.22), cam, GREEN_SKIN, plain(cam))
    behind = render_frame(_forearm_across_body(-0.22), cam, GREEN_SKIN, plain(cam))
    b, g, _ = px(in_front, cam, (0.07, 1.16, 0.22))   # where the forearm's middle projects
    assert g > 2 * b           # skin (green) painted over the shirt (blue)
    b, g, _ = px(behind, cam, (0.07, 1.16, -0.22))
    assert b > 2 * g           # the shirt covers the arm behind the back


def test_face_is_seen_from_the_front_and_not_from_behind():
    pose = standing_pose()
    eyes = pose[[15, 16]]

    def white_near_eyes(yaw):
        cam = Camera(yaw_deg=yaw, distance_m=1.5, target=(0, 1.5, 0))
        img = render_frame(pose, cam, Appearance(), plain(cam, 60))
        found = 0
        for x, y in np.round(cam.project(eyes)[0]).astype(int):
            patch = img[y - 3:y + 4, x - 3:x + 4].astype(int)
            found += int((patch.min(axis=2) > 200).any())  # sclera white
        return found

    assert white_near_eyes(0) == 2
    assert white_near_eyes(180) == 0
    assert white_near_eyes(90) >= 1   # profile: the near eye only


@pytest.mark.parametrize("make", [standing_pose, lambda: squat(1.0), lambda: pushup(0.0),
                                  lambda: pushup(1.0)])
def test_feet_and_hands_rest_on_the_floor_and_never_sink_into_it(make):
    pose = make()
    for yaw in (0, 45, 90):
        # a camera at floor height sees the floor (y = 0) edge-on: the image's middle row
        cam = Camera(yaw_deg=yaw, target=(0, 0.0, 0), pitch_deg=0, distance_m=3.0)
        img = render_frame(pose, cam, COLOURFUL, plain(cam)).astype(int)
        lowest = np.nonzero((img.max(axis=2) - img.min(axis=2) > 20).any(axis=1))[0].max()
        assert cam.height / 2 - 2 <= lowest <= cam.height / 2 + 1   # touching, 1 px of AA


def test_random_looks_keep_neighbouring_garments_apart():
    looks = [random_appearance(np.random.default_rng(s)) for s in range(60)]
    for a in looks:
        assert np.abs(np.subtract(a.shirt, a.skin)).sum() >= 120
        assert np.abs(np.subtract(a.shirt, a.bottoms)).sum() >= 120
        assert 0.9 <= a.build <= 1.2 and 0.0 <= a.sleeve <= 1.0
    assert len({a.skin for a in looks}) >= 5 and len({a.shirt for a in looks}) >= 6
    assert 0.2 < np.mean([a.shorts for a in looks]) < 0.6


def test_rendering_is_deterministic_and_appearance_matters():
    cam = Camera(yaw_deg=30)
    bg = make_background("room", cam.width, cam.height, np.random.default_rng(3))
    a = random_appearance(np.random.default_rng(7))
    assert a == random_appearance(np.random.default_rng(7))
    first = render_frame(squat(0.5), cam, a, bg)
    assert np.array_equal(first, render_frame(squat(0.5), cam, a, bg))
    other = random_appearance(np.random.default_rng(8))
    assert other != a
    assert not np.array_equal(first, render_frame(squat(0.5), cam, other, bg))


def test_bad_joints_or_background_size_are_refused():
    cam = Camera()
    with pytest.raises(ValueError):
        render_frame(np.zeros((15, 3)), cam, Appearance(), plain(cam))
    with pytest.raises(ValueError):
        render_frame(standing_pose(), cam, Appearance(), np.zeros((10, 10, 3), np.uint8))


# ---------------------------------------------------------------------------- backgrounds

def test_background_kinds_differ_and_a_seed_repeats_its_scene():
    scenes = {k: make_background(k, 320, 240, np.random.default_rng(5)) for k in BACKGROUND_KINDS}
    for k, img in scenes.items():
        assert img.shape == (240, 320, 3) and img.dtype == np.uint8
        assert np.array_equal(img, make_background(k, 320, 240, np.random.default_rng(5)))
        assert not np.array_equal(img, make_background(k, 320, 240, np.random.default_rng(6)))
        assert img.std() > 3                             # not a flat colour
    kinds = list(scenes)
    for i, a in enumerate(kinds):
        for b in kinds[i + 1:]:
            diff = np.abs(scenes[a].astype(int) - scenes[b].astype(int)).mean()
            assert diff > 10, (a, b)


def test_unknown_background_is_a_clear_error():
    with pytest.raises(FitScoreError, match="gym"):
        make_background("beach", 64, 48, np.random.default_rng(0))


def test_floor_row_puts_the_feet_on_the_floor():
    for cam in (Camera(), Camera(pitch_deg=12, yaw_deg=45, distance_m=3.0),
                Camera(target=(0, 0.3, 0), pitch_deg=8, yaw_deg=90)):
        row = floor_row(cam)
        feet_y = cam.project(np.array([0.0, 0.0, 0.0]))[0][1]
        assert feet_y > row                           # the feet are below the wall line
        bg = make_background("gym", cam.width, cam.height, np.random.default_rng(0), floor_y=row)
        wall, floor = bg[row - 12:row - 4].mean(), bg[row + 4:row + 12].mean()
        assert abs(wall - floor) > 5                  # and that line is where the floor begins


# ---------------------------------------------------------------------------- video

def test_render_video_writes_a_readable_mp4_and_reports_progress(tmp_path):
    cam = Camera(width=320, height=240, focal_px=300, fps=15)
    bg = make_background("studio", 320, 240, np.random.default_rng(0))
    calls = []
    path = render_video(clip(curl, 5), cam, Appearance(), bg, tmp_path / "curl.mp4",
                        progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 5) for i in range(1, 6)]
    cap = cv2.VideoCapture(str(path))
    frames = []
    while (frame := cap.read()[1]) is not None:
        frames.append(frame)
    assert len(frames) == 5 and frames[0].shape == (240, 320, 3)
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(15, abs=0.5)


def test_unwritable_video_path_is_a_fitscore_error(tmp_path):
    cam = Camera(width=160, height=120, focal_px=150)
    with pytest.raises(FitScoreError, match="Cannot write"):
        render_video(clip(curl, 2), cam, Appearance(), plain(cam),
                     tmp_path / "no_such_folder" / "x.mp4")


# ---------------------------------------------------------------------------- metrics

def test_pck_counts_near_joints_and_misses():
    truth = np.zeros((2, 15, 2))
    truth[:, 8] = (0, 100)                              # torso 100 px
    pred = np.concatenate([truth.copy(), np.ones((2, 15, 1))], axis=-1)
    pred[0, 3, :2] += (0, 19.9)                         # inside 0.2 x 100
    pred[0, 4, :2] += (20.1, 0)                         # just outside
    pred[1, :, 2] = 0                                   # frame 2: nobody found
    assert pck(pred, truth, torso_length(truth)) == pytest.approx(14 / 30)
    assert pck(pred, truth, torso_length(truth), thresh=0.5) == pytest.approx(15 / 30)
    with pytest.raises(ValueError):
        pck(pred[:, :10], truth, torso_length(truth))


# ---------------------------------------------------------------------------- recognition

CLIPS = {  # name: (motion, camera, background)
    "arm_raise_front": (arm_raise, dict(yaw_deg=0, distance_m=3.6, target=(0, 1.0, 0)), "gym"),
    "squat_45": (squat, dict(yaw_deg=45, distance_m=3.4, target=(0, 0.8, 0)), "studio"),
    "curl_side": (curl, dict(yaw_deg=90, distance_m=3.2, target=(0, 0.95, 0)), "room"),
    "pushup_side": (pushup, dict(yaw_deg=-90, distance_m=3.2, target=(0, 0.3, 0), pitch_deg=8),
                    "outdoor"),
    "pushup_45": (pushup, dict(yaw_deg=45, distance_m=3.2, target=(0, 0.3, 0), pitch_deg=8),
                  "gym"),
}


def mediapipe_body25(path) -> np.ndarray:
    """The project's default pose backend, as the pipeline runs it: (T, 25, 3) BODY_25 pixels."""
    mp = pytest.importorskip("mediapipe")
    from fitscore_core.pose.skeletons import blazepose_to_body25
    cap, out = cv2.VideoCapture(str(path)), []
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        while (frame := cap.read()[1]) is not None:
            h, w = frame.shape[:2]
            found = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)).pose_landmarks
            kps = np.zeros((33, 3), np.float32)
            if found:
                kps[:] = [(lm.x * w, lm.y * h, lm.visibility) for lm in found.landmark]
            out.append(kps)
    return blazepose_to_body25(np.stack(out))


@pytest.mark.parametrize("name", list(CLIPS))
def test_mediapipe_finds_the_figure_and_its_joints(name, tmp_path):
    motion, cam_kw, kind = CLIPS[name]
    cam = Camera(**cam_kw)
    seed = list(CLIPS).index(name)
    bg = make_background(kind, cam.width, cam.height, np.random.default_rng(seed),
                         floor_y=floor_row(cam))
    joints = clip(motion, 36)
    path = render_video(joints, cam, random_appearance(np.random.default_rng(seed)), bg,
                        tmp_path / f"{name}.mp4")
    pred = mediapipe_body25(path)[:, :15]
    truth = cam.project(joints)[0][:, :15]
    detected = float((pred[..., 2] > 0).any(axis=1).mean())
    score = pck(pred, truth, torso_length(truth), thresh=0.2)
    print(f"{name}: detected {detected:.0%} of frames, PCK@0.2 {score:.3f}")
    assert detected >= 0.95
    assert score >= 0.90
