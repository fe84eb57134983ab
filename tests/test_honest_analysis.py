"""Honest answers: one exercise per analysis, faults only where the camera can see them, a
clip with too little of the body refused with what to film, and "unknown" answered without a
score. The scorers here are stand-ins whose answers are fixed (so a test knows what each
model says); the clips are the synthesizer's, filmed from a known side."""

import csv
import json
import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

import fitscore_core.analysis as analysis_module
from fitscore_core.analysis import analyze_sequence, with_attributions, with_reference, words
from fitscore_core.batch import run_batch
from fitscore_core.cli import format_analysis
from fitscore_core.compare.feedback import write_feedback
from fitscore_core.compare.reference import builtin_sequence
from fitscore_core.config import FEATURES
from fitscore_core.errors import FitScoreError
from fitscore_core.fault_views import ALL, FAULT_VIEWS, RECOMMENDED, judgeable, well_filmed
from fitscore_core.features import normalize
from fitscore_core.pose.openpose_json import write_openpose
from fitscore_core.pose.skeletons import BODY_25
from fitscore_core.scorers.checkpoints import Scorer
from fitscore_core.scorers.coverage import NEEDED, check_coverage
from fitscore_core.scorers.networks import ScorerOutput
from fitscore_core.scorers.scoring import UNKNOWN, ModelPrediction
from fitscore_core.synth.dataset import FAULT_COLUMNS
from fitscore_core.synth.exercises import EXERCISES
from fitscore_core.verdict import make_verdict

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SQUAT_FAULTS = set(EXERCISES["squat"].fault_names)


class FixedNet(torch.nn.Module):
    """A network that always gives the same answer: exercise probabilities (over `classes`),
    a score, fault probabilities (by "exercise.fault" column)."""

    def __init__(self, probs: dict[str, float], score: float, faults: dict[str, float],
                 classes: list[str]):
        super().__init__()
        p = np.array([probs.get(e, 1e-6) for e in classes], np.float64)
        self.logits = torch.tensor(np.log(p / p.sum()), dtype=torch.float32)
        self.score = float(score)
        f = np.array([faults.get(c, 0.02) for c in FAULT_COLUMNS])
        self.faults = torch.tensor(np.log(f / (1 - f)), dtype=torch.float32)

    def forward(self, x, mask):
        n = x.shape[0]
        return ScorerOutput(self.logits.expand(n, -1), torch.full((n,), self.score),
                            self.faults.expand(n, -1))


def fixed_scorer(name: str, probs: dict[str, float], score: float = 80.0,
                 faults: dict[str, float] | None = None, with_unknown: bool = False) -> Scorer:
    """with_unknown: the model learnt the "unknown" class too, as the shipped ones have."""
    classes = list(EXERCISES) + [UNKNOWN] * with_unknown
    return Scorer(name, FixedNet(probs, score, faults or {}, classes), classes,
                  list(FAULT_COLUMNS), FEATURES, {}, {})


ALL_FLAGGED = {c: 0.9 for c in FAULT_COLUMNS}   # every fault of every exercise at 90 %


def squat(yaw: float):
    return builtin_sequence("squat", yaw=yaw)


# ------------------------------------------------------------------ faults declare their views

def test_every_synthetic_fault_declares_the_views_it_can_be_judged_from():
    assert set(FAULT_VIEWS) == set(EXERCISES) == set(RECOMMENDED) == set(NEEDED)
    for exercise, model in EXERCISES.items():
        assert set(FAULT_VIEWS[exercise]) == set(model.fault_names), exercise
        for fault, views in FAULT_VIEWS[exercise].items():
            assert views and set(views) <= set(ALL), (exercise, fault)
        # the recommended view judges every fault of the exercise but those it names
        rec = RECOMMENDED[exercise]
        for view in rec.views:
            hidden = {f for f in model.fault_names if not judgeable(exercise, f, view)}
            assert hidden == set(rec.not_shown), exercise
            assert well_filmed(exercise, view)
        assert all(words(f) in rec.purpose for f in rec.not_shown)   # and says so
    assert not judgeable("squat", "knees_caving_in", "side")
    assert judgeable("squat", "knees_caving_in", "front")
    assert not judgeable("push_up", "sagging_hips", "front")
    assert judgeable("push_up", "sagging_hips", "side")
    assert not judgeable("bicep_curl", "elbows_flaring", "side")
    assert not well_filmed("bicep_curl", "side")
    # push-ups: from the side (the pose holds there on real clips), not from a diagonal
    assert well_filmed("push_up", "side") and not well_filmed("push_up", "diagonal")
    # a fault or exercise the table does not know, or an unknown view: judgeable
    assert judgeable("squat", "my_new_fault", "side")
    assert judgeable("kettlebell_swing", "hips_too_low", "front")
    assert judgeable("squat", "knees_caving_in", "unknown")


# ------------------------------------------------------------------ one exercise per analysis

@pytest.fixture(scope="module")
def disagreeing():
    return {"cnn1d": fixed_scorer("cnn1d", {"squat": 0.9, "lunge": 0.1}, 82, ALL_FLAGGED),
            "lstm": fixed_scorer("lstm", {"lunge": 0.62, "squat": 0.38}, 60, ALL_FLAGGED)}


def test_models_that_disagree_are_shown_for_one_exercise_and_the_disagreement_is_said(
        disagreeing):
    result = analyze_sequence(squat(45.0), disagreeing)      # diagonal: every fault visible
    assert result.view.view == "diagonal"
    assert result.exercise == "squat" and result.chosen_by == "models" and not result.agree
    assert result.own_exercise == {"cnn1d": "squat", "lstm": "lunge"}
    for p in result.predictions.values():
        assert p.exercise == "squat" and set(p.faults) == SQUAT_FAULTS   # never a lunge fault
    assert result.unjudged == {"cnn1d": (), "lstm": ()}
    (note,) = [n for n in result.notes if "disagree" in n]
    assert "the lstm model thought it was a lunge (62%)" in note and "for a squat" in note
    data = json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert data["exercise"] == "squat" and data["models_agree"] is False
    assert data["models"]["lstm"]["own_exercise"] == "lunge"
    assert data["models"]["lstm"]["exercise"] == "squat"
    assert set(data["models"]["lstm"]["faults"]) == SQUAT_FAULTS
    assert data["view"]["view"] == "diagonal"
    compared = with_reference(result, "builtin", disagreeing)
    assert compared.comparison.reference_exercise == "squat"
    assert {f.fault for f in compared.feedback if f.fault} <= SQUAT_FAULTS
    assert not any("lunge" in f.text.lower() for f in compared.feedback)


def test_two_sure_models_naming_different_exercises_give_unknown():
    sure_of_each = {
        "cnn1d": fixed_scorer("cnn1d", {"squat": 0.9, "lunge": 0.05, UNKNOWN: 0.05}, 82,
                              ALL_FLAGGED, with_unknown=True),
        "lstm": fixed_scorer("lstm", {"lunge": 0.88, "squat": 0.07, UNKNOWN: 0.05}, 60,
                             ALL_FLAGGED, with_unknown=True)}
    result = analyze_sequence(squat(45.0), sure_of_each)   # squat 0.485, lunge 0.465 together
    assert result.exercise == UNKNOWN and result.undecided and not result.known
    assert all(math.isnan(p.score) and not p.faults for p in result.predictions.values())
    (note,) = [n for n in result.notes if "disagree" in n]
    assert ("the cnn1d model thought it was a squat (90%), the lstm model thought it was a "
            "lunge (88%)") in note and "not 50% sure of any" in note
    data = result.to_json()
    assert data["exercise"] == UNKNOWN and data["exercise_confidence"] == pytest.approx(
        1 - 0.485, abs=1e-3)
    verdict = make_verdict(result)
    assert verdict.score is None and "do not agree on the exercise" in verdict.disagreement
    # the user can still say which it is
    assert analyze_sequence(squat(45.0), sure_of_each, exercise="squat").exercise == "squat"


def test_a_sure_model_beside_one_that_sees_no_exercise_is_not_enough():
    models = {"cnn1d": fixed_scorer("cnn1d", {"squat": 0.8, UNKNOWN: 0.1, "lunge": 0.1},
                                    with_unknown=True),
              "lstm": fixed_scorer("lstm", {UNKNOWN: 0.6, "squat": 0.15, "lunge": 0.25},
                                   with_unknown=True)}
    result = analyze_sequence(squat(45.0), models)         # squat 0.475 together
    assert result.exercise == UNKNOWN and result.undecided
    assert any("the lstm model thought it was none of the exercises it knows (60%)" in n
               for n in result.notes)
    models["lstm"] = fixed_scorer("lstm", {UNKNOWN: 0.6, "squat": 0.3, "lunge": 0.1},
                                  with_unknown=True)
    result = analyze_sequence(squat(45.0), models)         # squat 0.55 together: named
    assert result.exercise == "squat" and not result.undecided
    assert result.to_json()["exercise_confidence"] == pytest.approx(0.55, abs=1e-3)


def test_models_that_never_learnt_unknown_always_name_an_exercise():
    never_unknown = {"cnn1d": fixed_scorer("cnn1d", {"squat": 0.9, "push_up": 0.1}),
                     "lstm": fixed_scorer("lstm", {"lunge": 0.85, "push_up": 0.15})}
    result = analyze_sequence(squat(45.0), never_unknown)   # squat only 0.45 together
    assert result.exercise == "squat" and not result.undecided


def test_the_users_choice_is_the_one_exercise(disagreeing):
    result = analyze_sequence(squat(45.0), disagreeing, exercise="lunge")
    assert result.exercise == "lunge" and result.chosen_by == "user"
    assert all(p.exercise == "lunge" for p in result.predictions.values())
    assert all(set(p.faults) == set(EXERCISES["lunge"].fault_names)
               for p in result.predictions.values())
    assert any("You chose lunge; on its own the cnn1d model thought it was a squat (90%)" in n
               for n in result.notes)


# ------------------------------------------------------------------ faults per camera view

@pytest.fixture(scope="module")
def agreeing():
    return {name: fixed_scorer(name, {"squat": 0.95}, 75, ALL_FLAGGED)
            for name in ("cnn1d", "lstm")}


def test_a_side_view_sets_side_blind_faults_apart_and_feedback_never_mentions_them(agreeing):
    result = analyze_sequence(squat(90.0), agreeing)
    assert result.view.view == "side" and result.view.facing == "left"
    for name, p in result.predictions.items():
        assert set(result.unjudged[name]) == {"knees_caving_in", "asymmetric_descent"}
        assert not set(p.faults) & set(result.unjudged[name])
        assert "insufficient_depth" in p.faults
    assert any("Knees caving in and asymmetric descent cannot be judged from this camera "
               "angle (side view)" in n for n in result.notes)
    assert any(n.startswith("This clip was filmed from the side; film from about 45°")
               and n.endswith(", to judge every fault.") for n in result.notes)
    data = result.to_json()
    assert data["models"]["cnn1d"]["unjudged_faults"] == ["knees_caving_in",
                                                          "asymmetric_descent"]
    assert "knees_caving_in" not in data["models"]["cnn1d"]["faults"]
    reps = data["models"]["cnn1d"]["reps"]      # each rep's own faults, the view's only
    assert reps and all("insufficient_depth" in r["faults"] and "knees_caving_in" not in
                        r["faults"] for r in reps)
    text = format_analysis(result)
    assert "camera: side view (left side toward the camera" in text
    assert "cannot be judged from this camera angle (side view)" in text
    compared = with_reference(result, "builtin", agreeing)
    spoken = " ".join(f.text.lower() for f in compared.feedback)
    assert "knees caving in" not in spoken and "asymmetric descent" not in spoken
    assert "insufficient depth (cnn1d 90%, lstm 90%)" in spoken
    assert {f.fault for f in compared.feedback} & {"knees_caving_in",
                                                    "asymmetric_descent"} == set()
    # handed the raw probabilities, write_feedback still leaves an unjudged fault out
    flagged = {n: replace(p, faults={"knees_caving_in": 0.95}) for n, p in
               result.predictions.items()}
    lines = write_feedback(compared.comparison, flagged, "squat",
                           unjudged={"knees_caving_in"})
    assert not any(f.fault == "knees_caving_in" or "caving" in f.text.lower() for f in lines)


def test_the_same_squat_from_the_front_judges_the_knees_but_not_the_depth(agreeing):
    result = analyze_sequence(squat(0.0), agreeing)
    assert result.view.view == "front" and result.view.facing is None
    assert "knees_caving_in" in result.predictions["lstm"].faults
    assert set(result.unjudged["lstm"]) == {"insufficient_depth", "heels_lifting",
                                            "excessive_forward_lean"}


# ------------------------------------------------------------------ too little to judge

LEGS = [BODY_25.index(j) for j in BODY_25.joints
        if any(p in j for p in ("Knee", "Ankle", "Heel", "Toe"))]


def test_a_clip_with_the_legs_cut_off_is_refused_for_a_squat_saying_what_to_film(agreeing):
    seq = squat(0.0)
    kps = seq.keypoints.copy()
    kps[:, LEGS, 2] = 0.0                       # knees, ankles and feet never found
    cut = seq.with_keypoints(kps)
    with pytest.raises(FitScoreError, match=r"^The knees and ankles are out of view in most "
                       r"of the clip .*film from about 45° .*whole body in frame") as error:
        analyze_sequence(cut, agreeing, exercise="squat")
    assert "choose it" not in str(error.value)      # the user chose the squat
    with pytest.raises(FitScoreError, match="The models took the clip for a squat; if it is "
                       "another exercise, choose it"):
        analyze_sequence(cut, agreeing)
    with pytest.raises(FitScoreError, match="knees and ankles"):
        check_coverage(normalize(cut), "squat")   # from the features' found mask too
    assert check_coverage(cut, "bicep_curl") == 1.0   # the upper body is all there
    with pytest.raises(FitScoreError, match="jumping jack .*both arms and both legs"):
        check_coverage(cut, "jumping_jack")


def test_joints_outside_the_frame_are_not_seen():
    seq = squat(0.0)
    knee_y = np.median(seq.keypoints[:, BODY_25.index("RKnee"), 1])
    hip_y = np.median(seq.keypoints[:, BODY_25.index("RHip"), 1])
    framed = replace(seq, size=(seq.size[0], int((knee_y + hip_y) / 2)))   # cut above the knees
    assert (framed.keypoints[:, LEGS, 2] == 1).all()                # confident, but outside
    with pytest.raises(FitScoreError, match="knees and ankles"):
        check_coverage(framed, "squat")
    assert check_coverage(seq, "squat") == 1.0
    half = seq.keypoints.copy()
    half[: len(half) * 2 // 3, LEGS, 2] = 0.0       # legs found in only a third of the frames
    with pytest.raises(FitScoreError, match="seen in 3[34]% of the frames"):
        check_coverage(seq.with_keypoints(half), "squat")


def test_push_ups_need_the_legs_except_head_on_where_the_body_hides_them():
    ankles = [BODY_25.index(j) for j in BODY_25.joints if any(p in j for p in ("Ankle", "Heel",
                                                                                 "Toe"))]
    side = builtin_sequence("push_up", yaw=90.0)
    kps = side.keypoints.copy()
    kps[:, ankles, 2] = 0.0                     # feet past the frame: the knees draw the line
    assert check_coverage(side.with_keypoints(kps), "push_up", view="side") == 1.0
    kps[:, LEGS, 2] = 0.0
    with pytest.raises(FitScoreError, match="knees and ankles"):
        check_coverage(side.with_keypoints(kps), "push_up", view="side")
    head_on = builtin_sequence("push_up", yaw=0.0)
    kps = head_on.keypoints.copy()
    kps[:, LEGS, 2] = 0.0                       # behind the trunk, as a detector sees it
    assert check_coverage(head_on.with_keypoints(kps), "push_up", view="front") == 1.0
    with pytest.raises(FitScoreError, match="knees and ankles"):
        check_coverage(head_on.with_keypoints(kps), "push_up")


def test_a_hand_touching_the_frame_edge_still_counts():
    seq = squat(0.0)
    w, h = seq.size
    kps = seq.keypoints.copy()
    wrists = [BODY_25.index("RWrist"), BODY_25.index("LWrist")]
    kps[:, wrists, 1] = h + 0.02 * h           # placed 2 % below the bottom edge
    assert check_coverage(seq.with_keypoints(kps), "bicep_curl") == 1.0
    kps[:, wrists, 1] = h + 0.2 * h            # well outside: not seen
    with pytest.raises(FitScoreError, match="^The wrists are out of view"):
        check_coverage(seq.with_keypoints(kps), "bicep_curl")


# ------------------------------------------------------------------ "unknown"

def _unknown(p: ModelPrediction) -> ModelPrediction:
    """What a scorer that knows "unknown" answers (the contract: no score, faults, reps)."""
    return replace(p, exercise="unknown", score=float("nan"), faults={}, reps=[],
                   low_confidence=True, reasons=("none of the known exercises",))


@pytest.fixture
def says_unknown(monkeypatch):
    """Make the named models answer "unknown" when asked without an exercise."""
    real = analysis_module.predict
    names: set[str] = set()

    def predict(scorer, features, exercise=None, source_fps=None):
        p = real(scorer, features, exercise, source_fps=source_fps)
        return _unknown(p) if exercise is None and scorer.name in names else p

    monkeypatch.setattr(analysis_module, "predict", predict)
    return names


def test_an_unknown_answer_has_no_score_no_faults_and_no_comparison(agreeing, says_unknown):
    says_unknown.update({"cnn1d", "lstm"})
    result = analyze_sequence(squat(90.0), agreeing)
    assert result.exercise == "unknown" and not result.known and result.agree
    for p in result.predictions.values():
        assert p.exercise == "unknown" and math.isnan(p.score) and p.faults == {}
    assert any(n.startswith("This does not look like one of the exercises FitScore knows "
                            "(squat, push-up, lunge, bicep curl") for n in result.notes)
    compared = with_reference(result, "builtin", agreeing)     # skipped, not raised
    assert compared.comparison is None and compared.feedback == ()
    assert any(n.startswith("No comparison with a reference") for n in compared.notes)
    assert with_attributions(compared, agreeing).attributions == {}
    data = json.loads(json.dumps(compared.to_json(), allow_nan=False))
    assert data["exercise"] == "unknown" and "comparison" not in data
    assert data["models"]["cnn1d"]["score"] is None
    assert data["models"]["cnn1d"]["own_exercise"] == "unknown"
    assert "exercise: unknown" in format_analysis(compared)
    assert compared.sequence.n_frames > 0                      # the skeleton is still there


def test_the_more_confident_unknown_wins_and_the_other_answer_is_kept(says_unknown):
    says_unknown.add("cnn1d")   # cnn1d: unknown, 1 - 0.2 = 80 % sure; lstm: squat at 60 %
    scorers = {"cnn1d": fixed_scorer("cnn1d", {"squat": 0.2, "lunge": 0.2, "push_up": 0.2,
                                               "bicep_curl": 0.2, "jumping_jack": 0.2}),
               "lstm": fixed_scorer("lstm", {"squat": 0.6, "lunge": 0.4}, 70, ALL_FLAGGED)}
    result = analyze_sequence(squat(90.0), scorers)
    assert result.exercise == "unknown" and not result.agree
    assert result.own_exercise == {"cnn1d": "unknown", "lstm": "squat"}
    assert math.isnan(result.predictions["lstm"].score)
    assert result.predictions["lstm"].faults == {}
    assert any("the lstm model thought it was a squat (60%)" in n for n in result.notes)
    # the other way round: the squat is surer, so the unknown model is asked about a squat
    scorers["lstm"] = fixed_scorer("lstm", {"squat": 0.95}, 70, ALL_FLAGGED)
    result = analyze_sequence(squat(90.0), scorers)
    assert result.exercise == "squat"
    assert result.own_exercise["cnn1d"] == "unknown"
    assert result.predictions["cnn1d"].exercise == "squat"
    assert math.isfinite(result.predictions["cnn1d"].score)


def test_the_batch_csv_has_the_one_exercise_and_the_view(agreeing, says_unknown, monkeypatch,
                                                         tmp_path):
    folder = tmp_path / "clips"
    write_openpose(squat(90.0), folder / "side_squat", "side_squat")
    monkeypatch.setattr("fitscore_core.batch.load_scorers", lambda models_dir=None: agreeing)
    out = tmp_path / "results.csv"
    run_batch(folder, out)
    says_unknown.update({"cnn1d", "lstm"})
    run_batch(folder, tmp_path / "unknown.csv")
    (row,) = csv.DictReader(out.open())
    assert (row["exercise"], row["view"], row["cnn1d_exercise"]) == ("squat", "side", "squat")
    assert float(row["lstm_score"]) == pytest.approx(75, abs=0.5)
    # the verdict's columns: integer score, unknown, agreement, confidence, flagged faults
    # (all of them at 90 %, but the side view cannot judge the knees or the asymmetry)
    assert (row["score"], row["unknown"], row["models_agree"]) == ("75", "no", "yes")
    assert row["cnn1d_confidence"] == row["lstm_confidence"] == "1.00"   # squat, all but sure
    assert row["faults"] == "excessive_forward_lean;heels_lifting;insufficient_depth"
    (row,) = csv.DictReader((tmp_path / "unknown.csv").open())
    assert (row["exercise"], row["lstm_exercise"], row["lstm_score"]) == ("unknown", "unknown",
                                                                           "")
    assert (row["score"], row["unknown"], row["faults"]) == ("", "yes", "")


# ------------------------------------------------------------------ the dashboard shows them

def _page(result, page: str) -> AppTest:
    from ui.state import Choice
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["analysis"] = result
    at.session_state["choice"] = Choice("none.zip", "client.zip", "test-digest")
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_analyze_page_shows_one_exercise_the_disagreement_and_the_unjudged_faults(
        disagreeing):
    result = analyze_sequence(squat(90.0), disagreeing)
    at = _page(result, "pages/analyze.py")
    assert any("The models disagree on the exercise; everything below is for a **squat**"
               in w.value and "lstm says lunge (62%)" in w.value for w in at.warning)
    assert [m.value for m in at.metric if m.label == "Exercise"] == ["squat", "lunge"]
    assert any("Cannot be judged from this camera angle (side view): knees caving in, "
               "asymmetric descent" in c.value for c in at.caption)
    assert any("camera: side view" in c.value for c in at.caption)


def test_the_pages_show_an_unknown_answer_without_crashing(agreeing, says_unknown):
    says_unknown.update({"cnn1d", "lstm"})
    result = with_reference(analyze_sequence(squat(90.0), agreeing), "builtin", agreeing)
    at = _page(result, "pages/analyze.py")
    assert any("does not look like one of the exercises FitScore knows" in w.value
               for w in at.warning)
    assert [m.value for m in at.metric if m.label == "Score"] == ["—", "—"]
    at = _page(result, "pages/compare.py")
    assert any("does not look like one of the exercises FitScore knows" in i.value
               for i in at.info)
