"""The Skeletons and Compare pages, run with streamlit's AppTest on the default sample clip.

The first app run analyses sample_videos/squat_knees_caving_in.mp4 (MediaPipe + both models,
~10 s; instant when another test file already ran it in this process). What the pages show is
checked against the dashboard's Analysis (the keypoints) and against the comparison and
feedback the core computes again from the same pose sequence. The files the pages hand to the
browser (frame images, downloads) are caught on their way into Streamlit's media storage and
decoded: the OpenPose zip must read back as the clip's keypoints, the .mp4 must have every
frame.
"""

import base64
import json
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from fitscore_core.analysis import analyze_sequence, load_scorers, with_reference
from fitscore_core.annotate import CANVAS_BGR, comparison_frame, source_frame
from fitscore_core.pose.names import joint_name
from fitscore_core.pose.openpose_json import read_openpose_zip_bytes, write_openpose_zip
from fitscore_core.pose.skeletons import BODY_25
from fitscore_core.pose.video import probe_video
from ui.defaults import default_joints
from ui.draw import CLIENT, REFERENCE, joint_label
from ui.plain import unplain
from ui.state import Choice

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SKELETONS, COMPARE = "pages/skeletons.py", "pages/compare.py"
COMPARED_FRAME = 100          # a video frame inside the sample's aligned reps (3.3 s)


@pytest.fixture(scope="module")
def served():
    """Every file the app hands to the browser: (file name or None, mimetype, bytes)."""
    files: list[tuple[str | None, str, bytes]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        files.append((filename, mimetype, path_or_data))
        return original(self, path_or_data, mimetype, kind, filename)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
        yield files


@pytest.fixture(scope="module")
def app(served):
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def shown(app):
    """The Analysis the dashboard holds for the sample."""
    return app.session_state["analysis"]


@pytest.fixture(scope="module")
def core(shown):
    """Comparison and feedback computed again by the core from the same pose sequence."""
    scorers = load_scorers()
    return with_reference(analyze_sequence(shown.sequence, scorers), "builtin", scorers)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def images(served, mimetype: str = "image/jpeg") -> list[np.ndarray]:
    """The frame pictures served since the list was last cleared, RGB."""
    return [cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR),
                         cv2.COLOR_BGR2RGB)
            for name, kind, data in served if kind == mimetype and name is None]


def download(served, suffix: str) -> bytes:
    found = [data for name, _, data in served if name and name.endswith(suffix)]
    assert found, f"no download ending in {suffix} in {[n for n, _, _ in served]}"
    return found[-1]


def table_matches(at: AppTest, keypoints: np.ndarray) -> None:
    table = at.dataframe[0].value
    assert list(table["joint"]) == [joint_name(j) for j in BODY_25.joints]
    assert "left knee" in list(table["joint"]) and "LKnee" not in list(table["joint"])
    np.testing.assert_allclose(table["x (px)"], keypoints[:, 0], atol=1e-3)
    np.testing.assert_allclose(table["y (px)"], keypoints[:, 1], atol=1e-3)
    np.testing.assert_allclose(table["confidence"], keypoints[:, 2], atol=1e-6)


def array(data) -> np.ndarray:
    """A Plotly JSON array: a list (None = NaN), or Plotly 6's base64 typed array."""
    if isinstance(data, dict) and "bdata" in data:
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
    return np.array([np.nan if v is None else v for v in data], dtype=float)


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def close_to(pixel: np.ndarray, rgb, tolerance: int = 60) -> bool:
    return bool(np.abs(pixel.astype(int) - np.array(rgb)).max() < tolerance)


def test_skeletons_page_shows_the_frame_its_keypoints_and_the_matched_reference(
        app, shown, served):
    seq, comparison = shown.sequence, shown.comparison
    served.clear()
    app.switch_page(SKELETONS).run()
    no_exception(app)
    slider = app.slider(key="skel_frame")
    worst = source_frame(comparison.worst[0].frame, comparison.fps, seq.fps, seq.n_frames)
    assert worst > 0                                   # it opens at the worst moment
    assert (slider.min, slider.max, slider.value) == (0, seq.n_frames - 1, worst)
    assert len(app.get("image")) == 2                  # with the reference beside it
    assert [t.label for t in app.toggle] == ["▶ Play"] and app.toggle[0].value is False
    table_matches(app, seq.keypoints[worst])

    # frame 0 is before the first aligned rep: the client only, and a word why
    served.clear()
    slider.set_value(0).run()
    no_exception(app)
    table_matches(app, seq.keypoints[0])
    assert np.isnan(comparison.aligned_reference[:, 0]).all()
    assert len(app.get("image")) == 1
    assert any("Not compared at this frame" in i.value for i in app.info)
    (client,) = images(served)
    assert client.shape == (seq.size[1], seq.size[0], 3)
    x, y = np.round(seq.keypoints[0, [1, 8], :2].mean(axis=0)).astype(int)  # mid-torso
    assert close_to(client[y, x], BODY_25.limb_color((1, 8)))  # OpenPose's red torso line

    served.clear()
    slider.set_value(COMPARED_FRAME).run()
    no_exception(app)
    k = comparison_frame(COMPARED_FRAME, seq.fps, comparison.fps,
                         comparison.aligned_reference.shape[1])
    assert np.isfinite(comparison.aligned_reference[:, k]).all()
    assert len(app.get("image")) == 2
    assert not any("Not compared" in i.value for i in app.info)
    assert any(c.value.startswith(f"Frame {COMPARED_FRAME} of {seq.n_frames - 1}")
               for c in app.caption)
    table_matches(app, seq.keypoints[COMPARED_FRAME])
    _, reference = images(served)
    colours = reference.reshape(-1, 3).astype(int)
    for hex_colour in (REFERENCE, CLIENT):  # the reference in orange, the client in blue
        rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(colours - rgb).max(axis=1) < 30).sum() > 50, hex_colour


def test_skeletons_page_downloads_the_keypoints_and_the_annotated_video(
        app, shown, served, tmp_path):
    seq = shown.sequence
    served.clear()
    app.switch_page(SKELETONS).run()
    no_exception(app)
    assert [d.proto.label for d in app.get("download_button")] == [
        "Download OpenPose JSON (.zip)"]
    frames = read_openpose_zip_bytes(download(served, "_openpose.zip"))
    assert len(frames.people) == seq.n_frames and frames.fps == seq.fps
    for t in (0, COMPARED_FRAME, seq.n_frames - 1):
        np.testing.assert_allclose(frames.people[t][0], seq.keypoints[t], atol=1e-3)

    app.button(key="skel_make_mp4").click().run()
    no_exception(app)
    assert [d.proto.label for d in app.get("download_button")] == [
        "Download OpenPose JSON (.zip)", "Download the annotated video (.mp4)"]
    video = tmp_path / "annotated.mp4"
    video.write_bytes(download(served, "_skeleton.mp4"))
    info = probe_video(video)
    assert (info.width, info.height) == seq.size
    assert (info.frame_count, info.fps) == (seq.n_frames, seq.fps)


def test_compare_page_charts_and_feedback_are_the_cores(app, shown, core):
    app.switch_page(COMPARE).run()
    no_exception(app)
    expected = core.comparison
    top = next(m for m in app.metric if m.label == "Most different joint")
    assert top.value == joint_label(expected.joints[0].joint)

    bars, over_time, angle = figures(app)
    trace = bars["data"][0]
    assert trace["type"] == "bar" and trace["orientation"] == "h"
    assert list(trace["y"]) == [joint_label(r.joint) for r in expected.joints]
    np.testing.assert_allclose(array(trace["x"]), [r.p90 for r in expected.joints], rtol=1e-6)
    assert bars["layout"]["xaxis"]["title"]["text"] == "deviation (torso lengths)"

    main = default_joints(shown.exercise, expected.top_joints(3))   # the exercise's joints
    assert shown.exercise == "squat" and main == ["RKnee", "LKnee"]
    assert app.multiselect(key="compare_joints").value == main
    assert [t["name"] for t in over_time["data"]] == [joint_label(j) for j in main]
    assert [t["name"] for t in over_time["data"]] == ["right knee", "left knee"]
    j = list(BODY_25.joints).index(main[0])
    np.testing.assert_allclose(array(over_time["data"][0]["y"]), expected.local_deviation[j],
                               rtol=1e-5, equal_nan=True)
    assert over_time["layout"]["xaxis"]["title"]["text"] == "time (s)"
    assert "torso lengths" in over_time["layout"]["yaxis"]["title"]["text"]

    name = app.selectbox(key="compare_angle").value
    assert name.endswith("knee")                      # a squat opens on a knee angle
    assert set(app.selectbox(key="compare_angle").options) == set(expected.angles)
    client, reference = angle["data"]
    assert (client["name"], client["line"]["color"]) == ("client", CLIENT)
    assert (reference["name"], reference["line"]["color"]) == ("reference", REFERENCE)
    np.testing.assert_allclose(array(reference["y"]), expected.angles[name].reference,
                               rtol=1e-6, equal_nan=True)
    assert angle["layout"]["yaxis"]["title"]["text"] == f"{name} angle (degrees)"
    assert angle["layout"]["xaxis"]["title"]["text"] == "time (s)"

    app.selectbox(key="compare_angle").set_value("trunk lean").run()
    no_exception(app)
    angle = figures(app)[2]
    np.testing.assert_allclose(array(angle["data"][0]["y"]),
                               expected.angles["trunk lean"].client, rtol=1e-6,
                               equal_nan=True)

    shown_lines = [m.value for m in app.markdown if m.value.startswith("- ")]
    assert core.feedback and len(shown_lines) == len(core.feedback)
    for line, feedback in zip(shown_lines, core.feedback):
        assert unplain(line).startswith(f"- {feedback.text}")
    assert [f.text for f in shown.feedback] == [f.text for f in core.feedback]

    assert len(app.get("image")) == len(expected.worst) > 0
    assert [b.label for b in app.button] == ["Show in Skeletons"] * len(expected.worst)


def test_a_worst_moment_opens_the_skeletons_page_at_its_frame(app, shown):
    seq, moment = shown.sequence, shown.comparison.worst[1]
    frame = source_frame(moment.frame, shown.comparison.fps, seq.fps, seq.n_frames)
    assert frame == round(moment.seconds * seq.fps)
    app.switch_page(COMPARE).run()
    app.button(key="compare_jump_1").click().run()
    no_exception(app)
    assert app.title[0].value == "Skeletons"
    assert app.slider(key="skel_frame").value == frame
    table_matches(app, seq.keypoints[frame])
    assert "frame" not in app.session_state   # a one-shot request: the slider is free again
    app.switch_page(SKELETONS)   # AppTest stays on the page it was told, not where it jumped
    app.slider(key="skel_frame").set_value(frame + 3).run()
    no_exception(app)
    assert app.slider(key="skel_frame").value == frame + 3


def test_pages_explain_a_missing_comparison_or_a_failed_analysis(shown, served):
    for page, message in ((COMPARE, "not compared with a reference"),
                          (SKELETONS, "not compared with a reference")):
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["analysis"] = replace(shown, comparison=None, feedback=())
        at.switch_page(page).run()
        no_exception(at)
        assert any(message in i.value for i in at.info), [i.value for i in at.info]
        assert not at.get("plotly_chart")
    for page in (SKELETONS, COMPARE):
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["error"] = "No person was found in this video."
        at.switch_page(page).run()
        no_exception(at)
        assert [unplain(w.value) for w in at.warning] == ["No person was found in this video."]
        assert not at.get("image") and not at.get("plotly_chart")


def test_an_openpose_json_import_is_drawn_on_a_canvas(shown, served, tmp_path):
    keypoints = write_openpose_zip(shown.sequence, tmp_path / "client.zip")
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["analysis"] = shown
    at.session_state["choice"] = Choice(str(keypoints), "client.zip", "test-digest")
    served.clear()
    at.switch_page(SKELETONS).run()
    no_exception(at)
    assert "keypoints only" in at.get("image")[0].captions[0]
    client = images(served)[0]
    assert close_to(client[2, 2], CANVAS_BGR[::-1], tolerance=8)  # no video: the grey canvas
    at.switch_page(COMPARE).run()
    no_exception(at)
    assert len(at.get("image")) == len(shown.comparison.worst)


def test_play_steps_through_the_clip_at_about_real_speed_and_loops(app, shown):
    n, step = shown.sequence.n_frames, max(1, round(shown.sequence.fps * 0.25))  # 4 pictures/s
    app.switch_page(SKELETONS).run()
    app.slider(key="skel_frame").set_value(n - 2).run()
    app.toggle(key="skel_play").set_value(True).run()      # each (timed) rerun: one step
    no_exception(app)
    assert app.slider(key="skel_frame").value == (n - 2 + step) % n   # looped to the start
    app.run()
    assert app.slider(key="skel_frame").value == (n - 2 + 2 * step) % n
    app.toggle(key="skel_play").set_value(False).run()
    stopped = app.slider(key="skel_frame").value
    app.run()
    assert app.slider(key="skel_frame").value == stopped
    table_matches(app, shown.sequence.keypoints[stopped])
