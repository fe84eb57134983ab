"""Hands still, the body and the feet travelling: hanging from a bar or on dip bars is no
exercise FitScore knows, whatever the networks guess (pose/hanging.py, analysis)."""

import numpy as np
import pytest
from test_honest_analysis import fixed_scorer
from test_measured import clip

from fitscore_core.analysis import analyze_sequence
from fitscore_core.bench.hanging import format_hanging, hanging_on_synthetic, precision
from fitscore_core.pose.hanging import (
    HANG_CONFIDENCE,
    MAX_HANDS_SHARE,
    MIN_FEET_SHARE,
    MIN_TRUNK,
    MIN_UPRIGHT,
    read_hanging,
    shoulder_height,
)
from fitscore_core.pose.skeletons import BODY_25
from fitscore_core.verdict import make_verdict


@pytest.mark.parametrize("yaw", [0.0, 90.0, 180.0])
def test_a_pull_up_hangs_from_the_front_the_side_and_behind(yaw):
    reading = read_hanging(clip("hang_pull", {}, yaw))
    assert reading.hangs, reading
    assert reading.hands_share < MAX_HANDS_SHARE and reading.feet_share >= MIN_FEET_SHARE


@pytest.mark.parametrize("exercise", ["squat", "lunge", "push_up", "shoulder_press",
                                      "bicep_curl", "jumping_jack"])
@pytest.mark.parametrize("yaw", [0.0, 45.0, 90.0, 180.0])
def test_no_known_exercise_hangs(exercise, yaw):
    assert not read_hanging(clip(exercise, {}, yaw)).hangs


def test_each_condition_is_needed():
    # a squat from behind: the arms held forward keep the hands still, but the feet stay put
    squat = read_hanging(clip("squat", {}, 180.0))
    assert squat.hands_share < MAX_HANDS_SHARE and squat.feet_share < MIN_FEET_SHARE
    # a push-up filmed from the feet: "upright" in 2D, but the trunk is seen end-on
    push_up = read_hanging(clip("push_up", {}, 180.0))
    assert push_up.upright >= MIN_UPRIGHT and push_up.trunk < MIN_TRUNK
    # a press: the hands travel, the shoulders hardly
    assert read_hanging(clip("shoulder_press", {}, 0.0)).hands_share > 1


def test_legs_out_of_frame_do_not_stop_it_but_too_few_frames_do():
    seq = clip("hang_pull", {}, 0.0)
    legless = seq.keypoints.copy()
    legs = [BODY_25.joints.index(n) for n in ("RKnee", "LKnee", "RAnkle", "LAnkle")]
    legless[:, legs, 2] = 0.0
    reading = read_hanging(seq.with_keypoints(legless))
    assert np.isnan(reading.feet_share) and reading.hangs
    short = read_hanging(seq.with_keypoints(seq.keypoints[:5]))
    assert np.isnan(short.upright) and not short.hangs


@pytest.fixture(scope="module")
def squat_sure():
    """Both models sure the clip is a squat (as they were of real pull-ups)."""
    return {n: fixed_scorer(n, {"squat": 0.95}, 80.0, {}) for n in ("cnn1d", "lstm")}


def test_a_hanging_clip_is_unknown_whatever_the_models_say(squat_sure):
    a = analyze_sequence(clip("hang_pull", {}, 0.0), squat_sure)
    assert a.exercise == "unknown" and a.chosen_by == "skeleton" and not a.known
    assert np.isnan(a.score) and a.measured == ()
    assert all(p.exercise == "squat" for p in a.own_predictions.values())
    note = next(n for n in a.notes if "hands held still" in n)
    assert "dip bars" in note and "the cnn1d model thought it was a squat (" in note
    assert not a.undecided
    said = make_verdict(a).disagreement
    assert said and "hanging from a bar" in said


def test_the_users_choice_is_not_overruled(squat_sure):
    a = analyze_sequence(clip("hang_pull", {}, 0.0), squat_sure, exercise="squat")
    assert a.exercise == "squat" and a.chosen_by == "user"


def test_the_json_says_who_decided_and_with_what_confidence(squat_sure):
    data = analyze_sequence(clip("hang_pull", {}, 0.0), squat_sure).to_json()
    assert data["exercise"] == "unknown" and data["exercise_chosen_by"] == "skeleton"
    assert data["exercise_confidence"] == HANG_CONFIDENCE


def test_the_bench_counts_clips_read_as_hanging_and_the_precision():
    table = hanging_on_synthetic(n=40, seed=3)
    assert sum(c for c, _ in table.values()) == 40
    assert all(0 <= h <= c for c, h in table.values())
    assert precision({"squat": (10, 1), "unknown": (10, 3)}) == pytest.approx(0.75)
    assert np.isnan(precision({"squat": (10, 0)}))
    text = format_hanging({"squat": (10, 1), "unknown": (10, 3)})
    assert "| squat | 10 | 1 (10%) |" in text and "precision" in text and "0.750" in text


def test_the_reps_of_a_hanging_clip_are_counted_without_a_score(squat_sure):
    seq = clip("hang_pull", {}, 0.0)                 # three pull-ups
    a = analyze_sequence(seq, squat_sure)
    assert len(a.counted_reps) == 3 and a.reps == []
    assert all(0 <= s < e <= seq.n_frames for s, e in a.counted_reps)
    assert [s for s, _ in a.counted_reps] == sorted(s for s, _ in a.counted_reps)
    v = make_verdict(a)
    assert v.rep_count == 3 and v.score is None
    assert v.headline == ("This looks like pull-ups or dips, which FitScore does not score "
                          "(3 reps counted). If it is one of FitScore's exercises, choose it "
                          "and analyse again.")
    assert [r["rep"] for r in a.to_json()["counted_reps"]] == [1, 2, 3]
    chosen = analyze_sequence(seq, squat_sure, exercise="squat")
    assert chosen.counted_reps == ()                 # scored as the user's squat instead


def test_no_rep_signal_without_the_shoulders():
    seq = clip("hang_pull", {}, 0.0)
    blind = seq.keypoints.copy()
    blind[:, [BODY_25.joints.index("RShoulder"), BODY_25.joints.index("LShoulder")], 2] = 0.0
    assert not shoulder_height(seq.with_keypoints(blind)).any()
    height = shoulder_height(seq)
    assert np.ptp(height) > 0.5                             # the shoulders travel, in trunks


def test_a_batch_row_of_a_hanging_clip_is_unknown_with_its_reps(squat_sure, tmp_path):
    from fitscore_core.batch_clip import score_clip
    from fitscore_core.pose.openpose_json import write_openpose
    write_openpose(clip("hang_pull", {}, 0.0), tmp_path / "pull_ups", "pull_ups")
    row = score_clip("pull_ups", tmp_path / "pull_ups", squat_sure).row
    assert row["exercise"] == "unknown" and row["unknown"] == "yes" and row["score"] == ""
    assert row["reps"] == 3 and row["error"] == ""
