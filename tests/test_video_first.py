"""Posing at the models' rate (pose/rate.py), joint names in words (pose/names.py), the
per-exercise defaults of Compare (ui/defaults.py), the timeline's rounding and seek."""

import doctest

import numpy as np

from fitscore_core.pose import names, rate
from fitscore_core.pose.rate import pose_every, upsample
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.verdict import rounded
from ui import defaults
from ui.timeline import clicked_second, seek_script


def test_doctests():
    for module in (rate, names, defaults):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_pose_every_keeps_the_posed_rate_at_or_above_the_models():
    for fps in (12.0, 15.0, 24.0, 25.0, 29.97, 30.0, 50.0, 59.94, 60.0, 120.0):
        k = pose_every(fps)
        assert fps / k >= 0.99 * 15.0 or k == 1               # at or above the models rate
        assert k == 1 or fps / (k + 1) < 0.99 * 15.0         # and as few frames as that
    assert pose_every(29.97) == 2 and pose_every(59.94) == 4


def test_upsample_interpolates_between_posed_frames_and_keeps_unfound_joints_unfound():
    kps = np.zeros((3, 25, 3), np.float32)
    kps[..., 2] = 0.9
    kps[1, :, :2] = 20.0
    kps[2, 4, 2] = 0.0                                    # right wrist lost at posed frame 2
    up = upsample(PoseSequence(kps, 15.0, (64, 48)), 2, 5)
    assert (up.n_frames, up.fps, up.size) == (5, 30.0, (64, 48))
    np.testing.assert_allclose(up.keypoints[:, 0, 0], [0, 10, 20, 10, 0])
    np.testing.assert_allclose(up.keypoints[0::2, 0, :2], kps[:, 0, :2])  # posed: as posed
    assert up.keypoints[3, 4, 2] == 0 and up.keypoints[4, 4, 2] == 0      # not invented
    assert up.keypoints[2, 4, 2] == np.float32(0.9)


def test_scores_are_integers_and_a_click_reads_the_second_it_asks_for():
    assert (rounded(75.9), rounded(75.4), rounded(float("nan"))) == (76, 75, None)
    event = {"selection": {"points": [{"customdata": [3.27, 5.5], "x": 1.0}]}}
    assert clicked_second(event) == 3.27 and clicked_second({}) is None
    assert "v.currentTime = 3.27" in seek_script(3.2712, 1) != seek_script(3.2712, 2)


def test_the_progress_bar_is_redrawn_a_few_times_a_second_and_always_at_the_end(monkeypatch):
    import ui.state
    drawn = []

    class Bar:
        def progress(self, share, text):
            drawn.append(share)
    now = [100.0]
    monkeypatch.setattr(ui.state.st, "progress", lambda *a, **k: Bar())
    monkeypatch.setattr(ui.state.time, "time", lambda: now[0])
    bar = ui.state.ProgressBar("Finding the pose")
    for done in range(1, 139):            # 138 frames in 3.45 s: one every 25 ms
        now[0] += 0.025
        bar(done, 138)
    assert 12 <= len(drawn) <= 15 and drawn[-1] == 1.0   # ~one per 0.25 s, and the last
