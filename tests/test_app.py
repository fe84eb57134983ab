"""The dashboard's Analyze page and shared state, driven with Streamlit's AppTest: a first
visit shows both models' answers for the default sample, equal to what the core returns;
bad input is a friendly message, not a traceback."""

from functools import lru_cache

from streamlit.testing.v1 import AppTest

from fitscore_core.analysis import analyze, load_scorers, with_reference
from fitscore_core.config import ONE_CLIP_POSE_PARTS
from fitscore_core.timeline import timeline
from fitscore_core.verdict import make_verdict
from ui.plain import unplain
from ui.state import DEFAULT_SAMPLE, SAMPLES

TIMEOUT = 300   # the first run finds the pose in a 10 s sample with MediaPipe


@lru_cache(maxsize=None)
def core_analysis():
    scorers = load_scorers()
    return with_reference(analyze(SAMPLES / DEFAULT_SAMPLE, scorers, parts=ONE_CLIP_POSE_PARTS),
                          "builtin", scorers)          # posed as the dashboard poses


def core_answer():
    return core_analysis().predictions


def test_first_visit_shows_both_models_for_the_default_sample():
    at = AppTest.from_file("app.py", default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "Analyze a clip"
    marks = timeline(core_analysis())
    assert [m.kind for m in marks].count("rep") == len(core_answer()["cnn1d"].reps) > 0
    assert [b.label for b in at.button] == ["Analyze"] + [
        m.label + (f" (rep {m.rep})" if m.kind == "fault" else "") for m in marks]
    assert [e.label for e in at.expander][-1] == "Save this session to a client"  # closed
    verdict = make_verdict(core_analysis())               # the headline a trainer reads out
    assert unplain(at.subheader[0].value) == verdict.headline
    assert [unplain(m.value) for m in at.markdown if m.value.startswith("- **")][:1] == [
        f"- **{c.say()}**" for c in verdict.cues][:1]
    assert len(at.get("video")) == 1                      # the clip, with its skeleton
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


def test_widgets_show_only_for_their_choice_and_analyze_waits_for_an_upload():
    at = AppTest.from_file("app.py", default_timeout=TIMEOUT).run()
    assert [s.label for s in at.selectbox][:2] == ["Sample video", "Exercise"]
    assert len(at.get("file_uploader")) == 0              # sample chosen: no upload box
    at.radio(key="analyze_source").set_value("Upload").run()
    assert [u.label for u in at.get("file_uploader")] == [
        "Upload a video or an OpenPose JSON zip"]
    assert "Sample video" not in [s.label for s in at.selectbox]
    at.radio(key="analyze_ref_kind").set_value("Upload").run()
    assert [u.label for u in at.get("file_uploader")] == [
        "Upload a video or an OpenPose JSON zip", "Reference clip"]

    at.button[0].click().run()                            # Analyze, no file (yet)
    assert not at.exception and not at.error
    assert any("as soon as the clip and the reference clip have finished uploading" in i.value
               for i in at.info)
    at.radio(key="analyze_source").set_value("Sample video").run()   # a new choice
    at.radio(key="analyze_ref_kind").set_value("Built-in").run()
    assert not [i for i in at.info if "finished uploading" in i.value]
    assert "analyze_pending" not in at.session_state


def test_analysing_another_clip_first_pauses_the_one_on_screen():
    at = AppTest.from_file("app.py", default_timeout=TIMEOUT).run()
    at.selectbox(key="analyze_sample").select("push_up_good.mp4").run()
    assert not [h for h in at.get("html") if "v.pause()" in h.proto.body]   # chosen, not run
    at.button[0].click().run()                                             # Analyze
    bodies = [h.proto.body for h in at.get("html")]
    assert [b.startswith("<script>/* pause") for b in bodies] == [True, False]   # then play
    assert "v.pause()" in bodies[0]


def test_a_timeline_click_seeks_the_video_to_the_second_of_the_rep():
    at = AppTest.from_file("app.py", default_timeout=TIMEOUT).run()
    rep = [m for m in timeline(core_analysis()) if m.kind == "rep"][1]
    assert [h.proto.body.startswith("<script>/* play") for h in at.get("html")] == [True]
    at.run()
    assert not at.get("html")                             # it was started once
    at.button(key="analyze_mark_1").click().run()
    (script,) = [h.proto.body for h in at.get("html")]
    assert f"v.currentTime = {round(rep.seek_s, 3)}" in script
    at.button(key="analyze_mark_1").click().run()         # the same rep again: a new script
    (again,) = [h.proto.body for h in at.get("html")]
    assert again != script and f"v.currentTime = {round(rep.seek_s, 3)}" in again
    at.run()                                              # any other rerun: no seek
    assert not at.get("html")


def test_the_analysis_is_saved_to_a_client_created_on_the_analyze_page(tmp_path, monkeypatch):
    from fitscore_core.history import History
    monkeypatch.setenv("FITSCORE_DATA_HOME", str(tmp_path))
    at = AppTest.from_file("app.py", default_timeout=TIMEOUT)
    at.session_state["analyze_save_open"] = True                  # the trainer opens the box
    at.run()
    name_box = next(t for t in at.text_input if t.label == "New client's name")
    name_box.input("Ana <b>Silva</b>")
    next(b for b in at.button if b.label == "Create client").click().run()
    assert at.selectbox(key="analyze_client").value != -1           # the new client, chosen
    next(b for b in at.button if b.label == "Save session").click().run()
    assert [unplain(s.value) for s in at.success][-1] == (
        f"Saved {DEFAULT_SAMPLE} for Ana <b>Silva</b>.")
    with History(tmp_path / "fitscore.sqlite3") as h:
        (client,) = h.clients()
        (session,) = h.sessions(client.id)
    assert client.name == "Ana <b>Silva</b>" and session.source_name == DEFAULT_SAMPLE
    assert session.score == make_verdict(core_analysis()).score and not session.has_video
