"""Feedback sentences: tied to the flagged faults and the worst joints, and the models and the
comparison never overrule each other silently."""

from types import SimpleNamespace

import pytest
from test_comparison import client

from fitscore_core.compare.comparison import compare
from fitscore_core.compare.feedback import joint_words, model_joints, write_feedback
from fitscore_core.compare.reference import builtin_reference


def predictions(cnn: float, lstm: float) -> dict:
    return {"cnn1d": SimpleNamespace(faults={"knees_caving_in": cnn, "heels_lifting": 0.1}),
            "lstm": SimpleNamespace(faults={"knees_caving_in": lstm, "heels_lifting": 0.1})}


@pytest.fixture(scope="module")
def caving():
    return compare(client("squat", "knees_caving_in", 1, 0.0), builtin_reference("squat"),
                   "squat")


@pytest.fixture(scope="module")
def correct():
    return compare(client("squat", None, 1, 0.0), builtin_reference("squat"), "squat")


def test_a_flagged_fault_the_comparison_shows_names_joints_reps_and_time(caving):
    (line,) = write_feedback(caving, predictions(0.9, 0.8), "squat")
    assert line.source == "models and comparison" and line.fault == "knees_caving_in"
    assert line.text.startswith("Knees caving in (cnn1d 90%, lstm 80%): knees collapse inward")
    assert "The knees differ most from the reference in reps 1, 2 and 3 (up to 0." in line.text
    assert "torso lengths at " in line.text and "does not flag" not in line.text


def test_models_that_disagree_are_both_shown(caving):
    (line,) = write_feedback(caving, predictions(0.9, 0.3), "squat")
    assert "cnn1d 90%, lstm 30%" in line.text and "The lstm model does not flag it." in line.text


def test_a_fault_the_comparison_does_not_show_says_so(correct):
    (line,) = write_feedback(correct, predictions(0.7, 0.7), "squat")
    assert line.source == "models only"
    assert "The comparison with the reference does not single it out" in line.text


def test_a_difference_no_model_flags_says_so(caving):
    (line,) = write_feedback(caving, predictions(0.1, 0.1), "squat")
    assert line.source == "comparison only" and line.joints == ("RKnee", "LKnee")
    assert line.text.endswith("Neither model flags a fault there.")


def test_nothing_to_say_is_said_plainly(correct):
    (line,) = write_feedback(correct, predictions(0.1, 0.1), "squat")
    assert line.text.startswith("Neither model flags a fault")


def test_joint_words():
    assert joint_words(("RKnee", "LKnee")) == "knees"
    assert joint_words(("LElbow",)) == "left elbow"
    assert joint_words(("MidHip", "RHip", "LHip")) == "hips and hip centre"
    assert model_joints(("LHeel", "RHeel", "REye")) == ("LAnkle", "RAnkle", "Nose")
