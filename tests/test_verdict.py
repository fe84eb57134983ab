"""The verdict a trainer says aloud: one rounding rule, cues in coaching words placed in the
reps where the models flag them, what the camera cannot see said with where to film from,
"unknown" without a score, a disagreement in one sentence, the models' numbers kept out of
the headline. Analyses come from the fixed stand-in scorers of test_honest_analysis on the
synthesizer's built-in squat (no video, no trained network)."""

import re
from dataclasses import replace

import pytest
from test_honest_analysis import fixed_scorer, squat

from fitscore_core.analysis import _no_answer, analyze_sequence
from fitscore_core.compare.angles import default_joints, main_angle, main_angle_names
from fitscore_core.pose.names import joint_name, joint_words
from fitscore_core.pose.skeletons import BODY_25
from fitscore_core.synth.exercises import EXERCISES
from fitscore_core.verdict import CUES, fault_cue, make_verdict, rounded, score_text


def test_one_rounding_rule_for_every_score():
    assert [score_text(x) for x in (75.5, 76.49, 75.9, 0.2, 100.4)] == ["76", "76", "76", "0",
                                                                       "100"]
    assert score_text(float("nan")) == score_text(None) == "—"
    assert rounded(104.0) == 100 and rounded(-3.0) == 0 and isinstance(rounded(50.2), int)


def test_joint_names_are_plain_words():
    assert joint_name("LKnee") == "left knee" and joint_name("RWrist") == "right wrist"
    assert joint_name("MidHip") == "hip centre" and joint_name("LBigToe") == "left big toe"
    for j in BODY_25.joints:
        assert not re.search(r"[A-Z]", joint_name(j)), j
    assert joint_words(("RKnee", "LKnee", "RAnkle")) == "knees and right ankle"


def test_every_synthetic_fault_has_a_second_person_cue():
    for exercise, model in EXERCISES.items():
        assert set(CUES[exercise]) == set(model.fault_names), exercise
        for fault in model.fault_names:
            cue = fault_cue(exercise, fault)
            assert "your" in cue.cue.lower() or cue.cue.split()[0] in ("Stop", "Go", "Take",
                                                                        "Press", "Use"), cue
            assert "_" not in cue.cue and cue.check
    assert fault_cue("squat", "my_own_fault").cue == "Work on this: my own fault"


def test_the_main_angle_per_exercise():
    assert main_angle_names("squat") == ("right knee", "left knee")
    assert default_joints("bicep_curl") == ("RElbow", "LElbow")
    assert set(default_joints(e) and e for e in EXERCISES) == set(EXERCISES)
    import numpy as np
    angles = {"right knee": np.array([170.0, 90, 170]), "left knee": np.array([170.0, 150, 170])}
    assert main_angle("squat", angles)[0] == "right knee"     # the side that moves more
    angles["right knee"] = np.array([np.nan, np.nan, 90.0])    # seen in a third of the frames
    assert main_angle("squat", angles)[0] == "left knee"
    assert main_angle("unknown", angles) is None


@pytest.fixture(scope="module")
def agreeing():
    return {"cnn1d": fixed_scorer("cnn1d", {"squat": 0.95}, 80.4,
                                  {"squat.knees_caving_in": 0.9, "squat.heels_lifting": 0.7}),
            "lstm": fixed_scorer("lstm", {"squat": 0.9}, 72.2, {"squat.knees_caving_in": 0.8})}


def _only_in(result, fault: str, reps: set[int]):
    """The analysis with `fault` flagged only in the given reps (1-based), in every model."""
    preds = {}
    for name, p in result.predictions.items():
        new = [replace(r, faults=r.faults | {fault: 0.9 if k + 1 in reps else 0.1})
               for k, r in enumerate(p.reps)]
        preds[name] = replace(p, reps=new)
    return replace(result, predictions=preds)


def test_a_verdict_says_exercise_score_reps_and_the_cue_with_its_reps(agreeing):
    result = analyze_sequence(squat(45.0), agreeing)       # diagonal: every fault visible
    result = _only_in(result, "knees_caving_in", {2})
    v = make_verdict(result)
    assert v.known and v.exercise_words == "squat"
    assert v.score == round((80.4 + 72.2) / 2) == 76
    assert v.rep_count == len(result.predictions["cnn1d"].reps) >= 2
    assert v.headline == f"Squat: 76 / 100, {v.rep_count} reps."
    assert [r.number for r in v.reps] == list(range(1, v.rep_count + 1))
    assert all(r.score == 76 and r.end_s > r.start_s for r in v.reps)
    first = v.cues[0]
    assert first.fault == "knees_caving_in" and first.reps == (2,)
    assert first.times_s == (v.reps[1].start_s,)
    assert first.say() == (f"Push your knees out so they track over your toes (rep 2, at "
                           f"{v.reps[1].start_s:.1f} s).")
    assert v.cues[1].fault == "heels_lifting" and len(v.cues) == 2
    # the models' numbers are one click away, never in what is said
    said = v.text()
    assert "cnn1d" not in said and "lstm" not in said and "%" not in said and "80.4" not in said
    assert {d.model: round(d.score, 1) for d in v.details} == {"cnn1d": 80.4, "lstm": 72.2}
    assert v.details[0].faults["knees_caving_in"] == pytest.approx(0.9, abs=1e-3)
    assert v.disagreement is None and v.unjudged == () and v.filming is None


def test_what_the_side_view_cannot_show_is_said_with_where_to_film(agreeing):
    v = make_verdict(analyze_sequence(squat(90.0), agreeing))
    assert "knees_caving_in" not in [c.fault for c in v.cues]    # flagged at 90 %, but hidden
    assert ("From the side you cannot see whether your knees cave in; film from the front or "
            "about 45° to check.") in v.unjudged
    assert v.filming.startswith("Film from about 45°")
    assert all(line in v.lines() for line in v.unjudged)


def test_models_that_disagree_are_said_in_one_sentence():
    disagreeing = {"cnn1d": fixed_scorer("cnn1d", {"squat": 0.9, "lunge": 0.1}, 82),
                   "lstm": fixed_scorer("lstm", {"lunge": 0.62, "squat": 0.38}, 60)}
    v = make_verdict(analyze_sequence(squat(45.0), disagreeing))
    assert v.disagreement.startswith("The two models did not agree on the exercise; FitScore "
                                     "went with squat")
    apart = {"cnn1d": fixed_scorer("cnn1d", {"squat": 0.9}, 90),
             "lstm": fixed_scorer("lstm", {"squat": 0.9}, 60)}
    v = make_verdict(analyze_sequence(squat(45.0), apart))
    assert v.disagreement == ("The two models are 30 points apart on the score, so take it as "
                              "a rough guide and watch the reps yourself.")
    assert v.score == 75 and v.cues == ()
    assert "Nothing to fix" in v.text()


def test_unknown_has_no_score_and_says_so(agreeing):
    base = analyze_sequence(squat(45.0), agreeing)
    result = replace(base, exercise="unknown", predictions={
        n: _no_answer(p, "unknown", "") for n, p in base.predictions.items()})
    assert not result.known
    v = make_verdict(result)
    assert v.score is None and v.cues == () and v.reps == () and not v.known
    assert "does not look like one of the exercises FitScore knows" in v.headline
    assert "no score" in v.headline
