"""The sidebar's model folder choice, run with Streamlit's AppTest: the shipped models, the
trained folders under FITSCORE_MODELS_HOME, or a typed path; every page uses the choice;
a folder missing a model or with an unreadable checkpoint leaves the choice where it was.

A "trained folder" is a copy of the shipped checkpoints with an edited model card and a
different calibration temperature (so its exercise confidences, and nothing else, differ
from the shipped models': the pages must show the folder's own numbers).
"""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import fitscore_core.pose.backends as backends
import ui.state
from fitscore_core.analysis import analyze, confidence, load_scorers
from fitscore_core.config import MODELS_DIR, ONE_CLIP_POSE_PARTS
from fitscore_core.pose.backends import DEFAULT_BACKEND_NAME
from fitscore_core.pose.cache import PoseCache
from fitscore_core.scorers.checkpoints import load_scorer, save_scorer
from ui.model_folders import (
    SHIPPED,
    card_lines,
    folder_label,
    folder_lines,
    folder_options,
    trained_folders,
)
from ui.plain import plain, unplain
from ui.state import DEFAULT_SAMPLE, SAMPLES

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PICK = "models_pick"
GYM_CARD = {
    "description": "Anna's gym: her clients' push-ups and squats, labelled good / bad",
    "kind": "labelled clips", "clips": 42, "train_clips": 34, "validation_clips": 4,
    "test_clips": 4, "clips_per_exercise": {"push_up": 22, "squat": 20}}
CV = {"folds": 5, "out_of_fold": {"accuracy": 0.875, "auc": 0.931},
      "baselines": {"dtw_1nn": {"accuracy": 0.81}}, "per_fold": [{"clips": 8}] * 5}


def trained_folder(folder: Path, description: str, temperature_factor: float = 1.0,
                   models=("cnn1d", "lstm")) -> Path:
    """The shipped checkpoints copied to `folder`, their cards saying `description` (and a
    cross-validation section), their temperature multiplied by `temperature_factor`."""
    folder.mkdir(parents=True)
    for name in models:     # saved as training saves them: the card names its checkpoint
        scorer = load_scorer(MODELS_DIR / f"{name}.pt")
        scorer.temperature *= temperature_factor
        scorer.card["training_data"] = GYM_CARD | {"description": description,
                                                   "cross_validation": CV}
        scorer.card["test_metrics"] = {"all": {"clips": 4, "exercise_accuracy": 0.75,
                                               "score_mae": 12.5}}
        save_scorer(scorer, folder / f"{name}.pt")
    return folder


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """FITSCORE_MODELS_HOME with a good trained folder, one with only cnn1d, one whose
    checkpoints are garbage, and a folder without any checkpoint (not listed)."""
    home = tmp_path_factory.mktemp("fitscore-models")
    trained_folder(home / "gym", GYM_CARD["description"], temperature_factor=2.5)
    trained_folder(home / "half", "only a 1D-CNN", models=("cnn1d",))
    (home / "junk").mkdir()
    for name in ("cnn1d", "lstm"):
        (home / "junk" / f"{name}.pt").write_bytes(b"not a checkpoint")
    (home / "notes").mkdir()
    (home / "notes" / "readme.txt").write_text("no models here")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FITSCORE_MODELS_HOME", str(home))
        yield home


def folder(home: Path, name: str) -> str:
    return str((home / name).resolve())


@pytest.fixture(scope="module")
def app(home):
    at = AppTest.from_file(APP, default_timeout=300).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sidebar_text(at: AppTest) -> str:
    return unplain("\n".join(c.value for c in at.sidebar.caption) + "\n" + "\n".join(
        e.value for e in at.sidebar.error))


def answers(at: AppTest) -> dict[str, list[str]]:
    shown = {}
    for m in at.main.metric:
        shown.setdefault(m.label, []).append((m.value, m.delta))
    return shown


def core_answers(models_dir: str) -> dict[str, list]:
    """What the Analyze page must show for the default sample, from the core directly."""
    result = analyze(SAMPLES / DEFAULT_SAMPLE, load_scorers(models_dir),
                     parts=ONE_CLIP_POSE_PARTS)       # posed as the dashboard poses
    own = result.own_predictions
    return {"Exercise": [(own[n].exercise.replace("_", " "), f"{confidence(own[n]):.0%} "
                          "confidence") for n in ("cnn1d", "lstm")],
            "Score": [(f"{result.predictions[n].score:.0f} / 100", "")
                      for n in ("cnn1d", "lstm")]}


# --------------------------------------------------------------------- the folders offered

def test_the_shipped_models_and_every_trained_folder_under_the_home_are_offered(home):
    assert trained_folders(home) == [folder(home, n) for n in ("gym", "half", "junk")]
    assert folder_options(["/elsewhere/mine"], home) == [
        SHIPPED, *trained_folders(home), "/elsewhere/mine"]
    assert folder_label(SHIPPED, home) == "shipped models (models/)"
    assert folder_label(folder(home, "gym"), home) == "gym"
    assert folder_label("/elsewhere/mine", home) == "/elsewhere/mine"
    assert trained_folders(home / "missing") == []


def test_a_card_says_what_the_models_were_trained_on_and_their_figures():
    card = {"training_data": GYM_CARD | {"cross_validation": CV},
            "test_metrics": {"all": {"clips": 4, "exercise_accuracy": 0.75, "score_mae": 12.5}},
            "small_data": {"learner": "logistic regression", "C": 0.1, "beats_dtw": True,
                           "oof_auc_per_fold": [0.9, 0.95]}}
    lines = [unplain(line) for line in card_lines("lstm", card)]
    assert lines[0] == ("**LSTM** trained on: Anna's gym: her clients' push-ups and squats, "
                        "labelled good / bad (labelled clips)")
    assert lines[1] == ("42 clips (34 training, 4 validation, 4 test) — push up 22, "
                        "squat 20")
    assert lines[2] == "test: exercise accuracy 75.0%, score MAE 12.5 points on 4 test clips"
    assert lines[3] == ("cross validation: folds: 5 · out of fold › accuracy: 0.875 · "
                        "out of fold › auc: 0.931 · baselines › dtw 1nn › accuracy: 0.81 · "
                        "per fold: 5 entries (in the model card)")
    assert lines[4] == ("small data: learner: logistic regression · C: 0.1 · beats dtw: yes · "
                        "oof auc per fold: 0.9, 0.95")
    shipped = json.loads((MODELS_DIR / "cnn1d.json").read_text())
    first = [unplain(line) for line in card_lines("cnn1d", shipped)]
    assert "(synthetic)" in first[0] and f"{shipped['training_data']['clips']:,} clips" in first[1]
    accuracy = shipped["test_metrics"]["all"]["exercise_accuracy"]
    assert f"exercise accuracy {accuracy:.1%}" in first[2]
    assert card_lines("cnn1d", {}) == ["**1D-CNN**: no model card beside the checkpoint"]
    hostile = card_lines("cnn1d", {"training_data": {"description": "![x](http://h/p.png)"}})
    assert hostile[0] == "**1D-CNN** trained on: " + plain("![x](http://h/p.png)")
    both = folder_lines({"cnn1d": card, "lstm": card | {"test_metrics": {}}})
    assert both[0] == card_lines("cnn1d", card)
    assert both[1][:2] == ["**LSTM**: trained on the same clips", "no held-out test figures"]
    other = folder_lines({"cnn1d": card, "lstm": {"training_data": {"description": "x"}}})
    assert other[1][0] == "**LSTM** trained on: x"
    assert card_lines("cnn1d", {"test_metrics": {}})[-1] == "no held-out test figures"


# --------------------------------------------------------------------- switching

def test_a_trained_folder_is_used_by_every_page_and_switching_back_is_cached(
        app, home, monkeypatch):
    gym = folder(home, "gym")
    box = app.sidebar.selectbox(key=PICK)
    assert box.value == SHIPPED and box.options == [
        "shipped models (models/)", "gym", "half", "junk"]
    assert "FitScore's kinematic exercise synthesizer" in sidebar_text(app)
    shipped, expected = core_answers(SHIPPED), core_answers(gym)
    assert expected["Exercise"] != shipped["Exercise"]   # the fixture really differs
    assert answers(app)["Exercise"] == shipped["Exercise"]
    cache = PoseCache()
    # posed at the models' rate (every=None) in parts, as the dashboard poses
    key = cache.key(SAMPLES / DEFAULT_SAMPLE, DEFAULT_BACKEND_NAME, None, ONE_CLIP_POSE_PARTS)
    entry = cache.folder / f"{key}.npz"
    assert entry.is_file()            # the dashboard's analysis filled the pose cache

    poses, analyses = [], []
    real_estimate, real_analyze = backends.estimate_poses, ui.state.analyze
    monkeypatch.setattr(backends, "estimate_poses",
                        lambda *a, **k: poses.append(a) or real_estimate(*a, **k))
    monkeypatch.setattr(ui.state, "analyze",
                        lambda *a, **k: analyses.append(a) or real_analyze(*a, **k))
    app.sidebar.selectbox(key=PICK).select(gym).run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.session_state["models_dir"] == gym and not app.sidebar.error
    text = sidebar_text(app)
    assert "Anna's gym" in text and "out of fold › accuracy: 0.875" in text
    assert "test: exercise accuracy 75.0%, score MAE 12.5 points" in text
    assert answers(app)["Exercise"] == expected["Exercise"]
    assert answers(app)["Score"] == expected["Score"]
    assert len(analyses) == 1 and poses == []            # new models, poses from the cache
    assert "models: gym" in sidebar_text(app)

    app.switch_page("pages/models.py").run()
    assert not app.exception, [e.value for e in app.exception]
    cards = unplain("\n".join(m.value for m in app.main.markdown))
    assert "**Trained on:** Anna's gym" in cards and "out of fold › auc: 0.931" in cards

    app.switch_page("app.py").run()      # AppTest runs a switched-to page without app.py
    app.sidebar.selectbox(key=PICK).select(SHIPPED).run()
    assert answers(app)["Exercise"] == shipped["Exercise"]
    app.sidebar.selectbox(key=PICK).select(gym).run()
    assert answers(app)["Exercise"] == expected["Exercise"]
    assert len(analyses) == 1 and poses == []            # both results were kept


@pytest.mark.parametrize("bad, message", [
    ("half", "No trained model lstm in"),
    ("junk", "is not a FitScore checkpoint"),
])
def test_a_folder_that_cannot_be_used_leaves_the_choice_where_it_was(app, home, bad, message):
    gym = folder(home, "gym")
    app.sidebar.selectbox(key=PICK).select(gym).run()
    before = answers(app)
    app.sidebar.selectbox(key=PICK).select(folder(home, bad)).run()
    assert not app.exception, [e.value for e in app.exception]
    (error,) = app.sidebar.error
    assert message in error.value and "Still using the previous models" in error.value
    assert app.sidebar.selectbox(key=PICK).value == gym
    assert app.session_state["models_dir"] == gym
    assert answers(app) == before and "Anna's gym" in sidebar_text(app)


def test_a_typed_folder_is_added_and_chosen(app, home, tmp_path):
    mine = trained_folder(tmp_path / "elsewhere", "clips from the Tuesday class")
    app.sidebar.text_input(key="models_typed").input(str(tmp_path / "no such folder")).run()
    assert not app.exception, [e.value for e in app.exception]
    assert "is not a folder" in app.sidebar.error[0].value
    assert app.sidebar.selectbox(key=PICK).value == app.session_state["models_dir"]
    app.sidebar.text_input(key="models_typed").input(str(mine)).run()
    assert not app.exception, [e.value for e in app.exception]
    box = app.sidebar.selectbox(key=PICK)
    assert box.value == str(mine.resolve()) and box.options[-1] == str(mine.resolve())
    assert app.session_state["models_dir"] == str(mine.resolve()) and not app.sidebar.error
    assert "clips from the Tuesday class" in sidebar_text(app)
    assert answers(app)["Exercise"] == core_answers(str(mine))["Exercise"]
