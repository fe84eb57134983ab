"""The Progress page, driven with AppTest: create a client, save the analysed clip to them,
a chart per exercise and the session list with its downloads, user text shown as text, and
a delete that says what it deletes and leaves nothing in the database. Each test has its own
data folder; analyses come from the fixed stand-in scorers (test_honest_analysis)."""

import sqlite3

import pytest
from streamlit.testing.v1 import AppTest
from test_honest_analysis import APP, fixed_scorer, squat

from fitscore_core.analysis import analyze_sequence
from fitscore_core.history import History, default_path
from ui.plain import plain


@pytest.fixture(scope="module")
def analysis():
    scorers = {"cnn1d": fixed_scorer("cnn1d", {"squat": 0.95}, 80.4),
               "lstm": fixed_scorer("lstm", {"squat": 0.9}, 72.2)}
    return analyze_sequence(squat(45.0), scorers)


@pytest.fixture()
def data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("FITSCORE_DATA_HOME", str(tmp_path))
    return tmp_path


def page(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in state.items():
        at.session_state[k] = v
    at.switch_page("pages/progress.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_plain_escapes_markdown():
    assert plain("**Zoë** _x_ [a](b)") == r"\*\*Zoë\*\* \_x\_ \[a\]\(b\)"
    assert plain("two\nlines") == "two lines"


def test_a_first_visit_creates_a_client(data_home):
    at = page()
    assert any("No clients yet" in i.value for i in at.info)
    at.text_input[0].input("Zoë **Bold**")
    at.button[0].click().run()           # the form's "Create client"
    assert not at.exception
    assert at.selectbox[0].value is not None
    with History(default_path()) as h:
        assert [c.name for c in h.clients()] == ["Zoë **Bold**"]
    assert any("No sessions for Zoë \\*\\*Bold\\*\\* yet" in i.value for i in at.info)


def test_saving_the_analysed_clip_shows_its_chart_and_downloads(data_home, analysis):
    from ui.state import Choice
    with History(default_path()) as h:
        anna = h.create_client("Anna")
        h.save_session(anna, analysis, source_name="first *squat*.mp4", notes="start",
                       created="2025-01-01 10:00:00")
    at = page(analysis=analysis, choice=Choice("/nonexistent/x.mp4", "second.mp4", "digest"))
    assert len(at.get("plotly_chart")) == 1
    assert not [b for b in at.button if b.label == "Save session"]   # its box still closed
    at.session_state["progress_save_open"] = True                     # the trainer opens it
    at.run()
    assert any("squat · 1 session" in s.value for s in at.subheader)
    assert any("first *squat*.mp4 · squat · score 76 · 3 reps · start" in t.value
               for t in at.text)                    # user text as plain text
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["PDF", "Reps CSV", "Angles CSV", "All sessions (CSV)"]
    save = next(b for b in at.button if b.label == "Save session")
    at.text_area[0].input("felt heavy")
    save.click()
    at.session_state["progress_save_open"] = True   # AppTest sends no expander state back
    at.run()
    assert not at.exception
    assert any("Saved second.mp4 for Anna" in s.value.replace("\\", "") for s in at.success)
    assert at.text_area[0].value == ""                    # the notes box emptied for the next
    with History(default_path()) as h:
        saved = h.sessions(anna)
        assert [s.source_name for s in saved] == ["first *squat*.mp4", "second.mp4"]
        assert saved[1].notes == "felt heavy" and not saved[1].has_video
    at.run()
    assert any("squat · 2 sessions" in s.value for s in at.subheader)
    assert len([t for t in at.text if "· squat · score" in t.value]) == 2


def test_deleting_a_client_says_what_goes_and_removes_it(data_home, analysis):
    with History(default_path()) as h:
        anna = h.create_client("Anna")
        for k in range(2):
            h.save_session(anna, analysis, source_name=f"{k}.mp4",
                           video_bytes=b"v" if k else None)
        h.create_client("Ben")
    at = page(progress_client=anna)
    next(b for b in at.button if b.label.startswith("Delete client Anna")).click().run()
    warning = " ".join(w.value for w in at.warning)
    assert "Delete Anna and everything kept about them: 2 sessions, 6 reps" in warning
    assert "1 kept video" in warning and "cannot be undone" in warning
    next(b for b in at.button if b.label == "Yes, delete for good").click().run()
    assert not at.exception
    assert any("Deleted Anna: 2 sessions, 6 reps, 1 video. They are gone from the database."
               in s.value for s in at.success)
    assert at.selectbox[0].value != anna
    with sqlite3.connect(default_path()) as conn:
        assert conn.execute("SELECT name FROM clients").fetchall() == [("Ben",)]
        assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM reps").fetchone()[0] == 0
