"""The Tensor and Models pages, run with streamlit's AppTest on the default sample clip.

The first app run analyses sample_videos/squat_knees_caving_in.mp4 (MediaPipe + both models,
~10 s); the scores shown are checked against an Analysis computed independently through
fitscore_core, and the what-if scores against the core's what_if.
"""

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from fitscore_core.analysis import analyze, load_scorers
from fitscore_core.config import FEATURES, ONE_CLIP_POSE_PARTS
from fitscore_core.features import ROW_LABELS
from fitscore_core.pose.names import joint_name, row_name
from fitscore_core.scorers.attribution import what_if
from fitscore_core.verdict import score_text
from ui.plain import unplain

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "sample_videos" / "squat_knees_caving_in.mp4"
TENSOR, MODELS = "pages/tensor.py", "pages/models.py"
LABELS = {"cnn1d": "1D-CNN", "lstm": "LSTM"}


@pytest.fixture(scope="module")
def scorers():
    return load_scorers()


@pytest.fixture(scope="module")
def core(scorers):
    """The sample's Analysis straight from the core, without the dashboard."""
    return analyze(SAMPLE, scorers, parts=ONE_CLIP_POSE_PARTS)   # posed as the dashboard poses


@pytest.fixture(scope="module")
def app():
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    assert len(found) == 1, f"no single metric {label!r} in {[m.label for m in at.metric]}"
    return found[0]


def number(value: str) -> float:
    return float(re.match(r"\s*(-?[\d.]+)", value).group(1))


def array(data) -> np.ndarray:
    """A Plotly JSON array: a list, or Plotly 6's typed-array encoding (base64 + dtype)."""
    if isinstance(data, dict) and "bdata" in data:
        flat = np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
        return flat.reshape([int(n) for n in str(data.get("shape", len(flat))).split(",")])
    return np.asarray(data)


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_tensor_page_shows_the_padded_tensor_and_its_mask(app, core):
    app.switch_page(TENSOR).run()
    assert not app.exception, [e.value for e in app.exception]
    assert [t.label for t in app.toggle] == ["Raw pixels"]
    assert app.multiselect(key="tensor_joints").value, "no joints chosen by default"
    real = core.model_features.n_frames
    assert real < FEATURES.n_frames  # the sample is shorter than one window: padded
    assert metric(app, "Tensor").value == f"30 × {FEATURES.n_frames}"
    assert int(metric(app, "Real frames").value) == real
    assert number(metric(app, "Padding").value) == FEATURES.n_frames - real

    heatmap, trajectories = figures(app)
    tensor, mask = heatmap["data"][0], heatmap["data"][1]
    assert tensor["type"] == "heatmap"
    assert tuple(tensor["y"]) == tuple(row_name(r) for r in ROW_LABELS)
    assert "left knee x" in tensor["y"]   # plain words, not OpenPose's LKnee
    z = array(tensor["z"])
    assert z.shape == (30, FEATURES.n_frames)
    np.testing.assert_allclose(z[:, :real], core.model_features.values, atol=1e-6)
    assert not z[:, real:].any()  # zero padding
    assert array(mask["z"]).ravel().tolist() == [1] * real + [0] * (FEATURES.n_frames - real)
    layout = heatmap["layout"]
    assert layout["shapes"][0]["x0"] == pytest.approx(real - 0.5)
    assert any("padding" in a["text"] for a in layout["annotations"])
    assert "torso lengths" in tensor["colorbar"]["title"]["text"]
    assert "frame" in tensor["hovertemplate"] and " s " in tensor["hovertemplate"]
    assert {t["name"] for t in trajectories["data"]} == {
        joint_name(j) for j in app.multiselect(key="tensor_joints").value}

    app.toggle(key="tensor_raw").set_value(True).run()
    assert not app.exception, [e.value for e in app.exception]
    assert number(metric(app, "Frame rate").value) == pytest.approx(core.sequence.fps)
    raw = figures(app)[0]
    assert len(raw["data"]) == 1  # no mask: raw pixels are not padded
    pixels = raw["data"][0]
    z = array(pixels["z"])
    assert z.shape == (30, core.sequence.n_frames)
    assert pixels["colorbar"]["title"]["text"] == "pixels"
    np.testing.assert_allclose(z[:2], core.sequence.keypoints[:, 0, :2].T, atol=1e-3)  # Nose
    app.toggle(key="tensor_raw").set_value(False).run()


def test_models_page_shows_both_models_scores_as_the_core_computes_them(app, core):
    app.switch_page(MODELS).run()
    assert not app.exception, [e.value for e in app.exception]
    shown = app.session_state["analysis"]
    for name, label in LABELS.items():
        value = metric(app, f"{label} score").value
        assert value == f"{score_text(core.predictions[name].score)} / 100"
        assert value == f"{score_text(shown.predictions[name].score)} / 100"
    assert not shown.attributions      # worked out for this page, not before the verdict
    charts = figures(app)
    kinds = [c["data"][0]["type"] for c in charts]
    assert kinds == ["heatmap", "heatmap", "bar", "bar"] or sorted(kinds) == [
        "bar", "bar", "heatmap", "heatmap"]
    heat = next(c for c in charts if c["data"][0]["type"] == "heatmap")
    assert array(heat["data"][0]["z"]).shape == (15, core.model_features.n_frames)
    assert heat["data"][0]["colorbar"]["title"]["text"] == "score points"
    assert [e.label for e in app.expander] == ["Model card: 1D-CNN", "Model card: LSTM"]
    assert app.selectbox(key="whatif_joint").value
    assert {s.key for s in app.slider} >= {"whatif_dx", "whatif_dy", "whatif_range",
                                           "whatif_span"}


def test_what_if_slider_rescoring_matches_the_core(app, core, scorers):
    app.switch_page(MODELS).run()
    for name, label in LABELS.items():  # untouched controls: the filmed score
        assert metric(app, f"{label} what-if score").value == \
            f"{score_text(core.predictions[name].score)} / 100"
    joint = app.selectbox(key="whatif_joint").value
    app.slider(key="whatif_dx").set_value(0.5).run()
    assert not app.exception, [e.value for e in app.exception]
    changed = False
    for name, label in LABELS.items():
        p = core.predictions[name]
        expected = what_if(scorers[name], core.model_features, joint, (0.5, 0.0),
                           exercise=p.exercise).score
        shown = metric(app, f"{label} what-if score")
        assert shown.value == f"{score_text(expected)} / 100"
        moved = abs(expected - p.score) >= 0.05
        assert (shown.delta == f"{expected - p.score:+.1f} points") if moved else not shown.delta
        changed |= moved
    assert changed, "moving the top joint by half a torso length changed no score"
    app.slider(key="whatif_dx").set_value(0.0).run()


def test_pages_explain_a_failed_analysis_without_a_traceback():
    for page in (TENSOR, MODELS):
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["error"] = "No person was found in this video."
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        assert [unplain(w.value) for w in at.warning] == ["No person was found in this video."]
        assert not at.get("plotly_chart")


def test_a_new_session_reuses_the_cached_analysis(app, core):
    """A second visitor (or a reload) gets the cached Analysis: no re-extraction, no error."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(MODELS).run()
    assert not at.exception, [e.value for e in at.exception]
    assert metric(at, "LSTM score").value == f"{score_text(core.predictions['lstm'].score)} / 100"
