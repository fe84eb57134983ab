"""The dashboard's Analyze page and shared state, driven with Streamlit's AppTest: a first
visit shows both models' answers for the default sample, equal to what the core returns;
bad input is a friendly message, not a traceback."""

from functools import lru_cache

from streamlit.testing.v1 import AppTest

from fitscore_core.analysis import analyze, load_scorers
from ui.state import DEFAULT_SAMPLE, SAMPLES

TIMEOUT = 300   # the first run finds the pose in a 10 s sample with MediaPipe


@lru_cache(maxsize=None)
def core_answer():
    return analyze(SAMPLES / DEFAULT_SAMPLE, load_scorers()).predictions


def test_first_visit_shows_both_models_for_the_default_sample():
    at = AppTest.from_file("app.py", default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "Analyze a clip"
    assert [b.label for b in at.button] == ["Analyze"]
    metrics = {m.label: [] for m in at.metric}
    for m in at.metric:
        metrics[m.label].append(m.value)
    core = core_answer()
    assert metrics["Score"] == [f"{core[n].score:.0f} / 100" for n in ("cnn1d", "lstm")]
    assert metrics["Exercise"] == [core[n].exercise.replace("_", " ")
                                   for n in ("cnn1d", "lstm")]
    assert any("Both models see a" in s.value for s in at.success)
    assert at.selectbox[0].value == DEFAULT_SAMPLE


def test_a_file_that_is_not_a_video_is_a_friendly_error(tmp_path):
    broken = tmp_path / "notes.mp4"
    broken.write_text("this is not a video")

    def script(path: str):
        import streamlit as st
        from ui import state
        choice = state.Choice(path, "notes.mp4", state.digest_of(open(path, "rb").read()))
        if state.run(choice) is None:
            st.error(st.session_state["error"])

    at = AppTest.from_function(script, args=(str(broken),), default_timeout=60).run()
    assert not at.exception
    assert len(at.error) == 1 and "not a video" in at.error[0].value
