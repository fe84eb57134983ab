"""Camera view from the skeleton: checked on synthetic clips whose camera yaw is known (0 =
front, ±90 = side, +90 = the subject's left toward the camera)."""

import numpy as np
import pytest

from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.pose.skeletons import BODY_25
from fitscore_core.pose.view import SEEN, estimate_view, view_of_yaw
from fitscore_core.synth.dataset import generate_dataset


@pytest.fixture(scope="module")
def estimated():
    """300 synthetic clips of every exercise, views front / 45° / 60° / side, with noise:
    (exercise, true camera yaw, estimated CameraView)."""
    ds = generate_dataset(300, seed=2024, workers=2)
    return [(str(ds.exercise[i]), float(ds.yaw_deg[i]), estimate_view(ds.pose_sequence(i)))
            for i in range(len(ds))]


def test_front_and_side_clips_are_told_apart(estimated):
    clear = [(view_of_yaw(yaw), v.view) for _, yaw, v in estimated
             if abs(yaw) < 15 or abs(yaw) > 75]
    assert len(clear) > 100
    right = np.mean([truth == guess for truth, guess in clear])
    assert right >= 0.88, right        # measured 0.94 (0.92-0.94 over three seeds)
    # a front clip is never taken for a side one, nor a side one for a front one
    assert not [1 for truth, guess in clear if {truth, guess} == {"front", "side"}]


def test_the_three_views_and_the_yaw(estimated):
    right = np.mean([view_of_yaw(yaw) == v.view for _, yaw, v in estimated])
    assert right >= 0.78, right        # measured 0.85; the camera's yaw is not quite the
    # view of the body: a subject off the image centre is seen up to ~25° more or less turned
    err = np.median([abs(abs(v.yaw_deg) - abs(yaw)) for _, yaw, v in estimated
                     if abs(yaw) <= 90])
    assert err < 12, err


def test_lying_push_ups_from_the_side_are_side_views(estimated):
    side = [v.view for ex, yaw, v in estimated if ex == "push_up" and abs(yaw) > 80]
    assert len(side) >= 8 and side.count("side") / len(side) >= 0.85


def test_the_side_toward_the_camera(estimated):
    turned = [(v.facing, "left" if yaw > 0 else "right") for _, yaw, v in estimated
              if abs(yaw) > 45]
    assert len(turned) > 100
    assert not [1 for guess, truth in turned if guess is not None and guess != truth]
    assert np.mean([guess == truth for guess, truth in turned]) >= 0.9


def _mirrored(seq: PoseSequence) -> PoseSequence:
    """The same clip filmed from the other side: x flipped, left and right swapped."""
    kps = seq.keypoints[:, list(BODY_25.mirror)].copy()
    kps[..., 0] = np.where(kps[..., 2] > 0, seq.size[0] - kps[..., 0], 0)
    return PoseSequence(kps, seq.fps, seq.size)


def test_a_mirrored_clip_has_the_same_view_and_the_other_side_facing():
    ds = generate_dataset(40, seed=5)
    checked = 0
    for i in range(len(ds)):
        seq = ds.pose_sequence(i)
        view, mirror = estimate_view(seq), estimate_view(_mirrored(seq))
        assert mirror.view == view.view
        assert mirror.yaw_deg == pytest.approx(-view.yaw_deg, abs=1e-3) or view.view == "front"
        if view.facing is not None:
            assert mirror.facing == {"left": "right", "right": "left"}[view.facing]
            checked += 1
    assert checked >= 10


def test_no_torso_no_view():
    ds = generate_dataset(1, seed=3)
    kps = ds.sequence(0).copy()
    kps[:, BODY_25.index("MidHip"), 2] = SEEN / 2        # the hips never clearly seen
    view = estimate_view(PoseSequence(kps, float(ds.fps[0]), tuple(ds.image_size[0])))
    assert view.view == "unknown" and view.facing is None and np.isnan(view.yaw_deg)
    assert "neck and hips" in view.why and view.describe() == "unknown camera angle"


def test_view_of_yaw_bins():
    assert [view_of_yaw(y) for y in (0, -20, 30, -60, 80, -95, 170, float("nan"))] == [
        "front", "front", "diagonal", "diagonal", "side", "side", "front", "unknown"]
