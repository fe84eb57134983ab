"""The camera-setup check says what to change — feet cut off, hands cut off, too dark, the
wrong angle — and never blocks: built-in synthetic executions with joints taken away, and a
sample video's frames for the light."""

import numpy as np
from test_honest_analysis import ROOT

from fitscore_core.compare.reference import builtin_sequence
from fitscore_core.pose.skeletons import BODY_25
from fitscore_core.setup_check import check_setup, sample_frames


def without(seq, parts: tuple[str, ...]):
    """The sequence with every joint whose name ends with one of `parts` not found."""
    kps = seq.keypoints.copy()
    for j, name in enumerate(BODY_25.joints):
        if name.endswith(parts):
            kps[:, j] = 0.0
    return seq.with_keypoints(kps)


def test_a_well_filmed_squat_in_good_light_passes():
    frames = sample_frames(ROOT / "sample_videos" / "squat_good.mp4")
    assert len(frames) == 5
    check = check_setup(builtin_sequence("squat", yaw=45.0), "squat", frames=frames)
    assert check.ok, check.problems
    assert check.in_frame == 1.0 and 60 < check.luma < 225


def test_feet_cut_off_says_step_back():
    seq = without(builtin_sequence("squat", yaw=45.0), ("Ankle", "Knee", "Toe", "Heel"))
    check = check_setup(seq, "squat")
    assert [p.check for p in check.problems] == ["in_frame"]
    assert check.problems[0].instruction.startswith("Step back, or tilt the camera down, so "
                                                    "your feet are in the picture")
    assert check.luma is None                       # no frames given: no light check


def test_a_curl_without_hands_asks_for_them():
    seq = without(builtin_sequence("bicep_curl", yaw=45.0), ("Wrist",))
    problems = check_setup(seq, "bicep_curl").problems
    assert any("both hands are in the picture" in p.instruction for p in problems)


def test_too_dark_and_washed_out():
    seq = builtin_sequence("squat", yaw=45.0)
    dark = check_setup(seq, "squat", frames=[np.full((48, 64, 3), 20, np.uint8)] * 3)
    assert [p.check for p in dark.problems] == ["light"]
    assert "more light" in dark.problems[0].instruction
    bright = check_setup(seq, "squat", frames=[np.full((48, 64, 3), 250, np.uint8)])
    assert "washed out" in bright.problems[0].instruction


def test_the_wrong_angle_gets_the_filming_advice_and_nobody_is_no_crash():
    check = check_setup(builtin_sequence("squat", yaw=90.0), "squat")
    view = [p for p in check.problems if p.check == "view"]
    assert view and view[0].instruction.startswith("Film from about 45° between the front "
                                                   "and the side")
    assert "side view" in view[0].measured
    empty = builtin_sequence("squat").with_keypoints(
        np.zeros_like(builtin_sequence("squat").keypoints))
    assert "Nobody was found" in check_setup(empty, "squat").problems[0].instruction
