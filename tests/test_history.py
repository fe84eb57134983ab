"""Clients and history in SQLite: a private file in the data folder, a schema migrated from
older versions, sessions with per-rep scores and ranges of motion, the video only when
asked, a crash mid-save that leaves no half session, and a delete that removes everything.
Analyses: the fixed stand-in scorers on the built-in squat (test_honest_analysis)."""

import sqlite3
import stat
from dataclasses import replace

import numpy as np
import pytest
from test_honest_analysis import fixed_scorer, squat

import fitscore_core.history as history
from fitscore_core.analysis import analyze_sequence
from fitscore_core.errors import FitScoreError
from fitscore_core.history import History, default_path, migrate


@pytest.fixture(scope="module")
def analysis():
    scorers = {"cnn1d": fixed_scorer("cnn1d", {"squat": 0.95}, 80.4,
                                     {"squat.knees_caving_in": 0.9}),
               "lstm": fixed_scorer("lstm", {"squat": 0.9}, 72.2)}
    return analyze_sequence(squat(45.0), scorers)


def count(path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_the_file_is_private_in_the_data_folder(own_data_home, monkeypatch):
    assert default_path() == own_data_home / "fitscore.sqlite3"
    monkeypatch.setenv("FITSCORE_DATA_HOME", str(own_data_home / "new" / "folder"))
    with History() as h:
        h.create_client("Anna")
    path = own_data_home / "new" / "folder" / "fitscore.sqlite3"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.delenv("FITSCORE_DATA_HOME")
    assert str(default_path()).endswith("fitscore-data/fitscore.sqlite3")


def test_a_session_keeps_score_reps_rom_and_skeleton_not_the_video(tmp_path, analysis):
    path = tmp_path / "db.sqlite3"
    with History(path) as h:
        anna = h.create_client("  Anna   Smith ")
        assert [c.name for c in h.clients()] == ["Anna Smith"]
        with pytest.raises(FitScoreError, match="already a client called Anna Smith"):
            h.create_client("anna smith")
        sid = h.save_session(anna, analysis, source_name="My squat (1).mp4", notes="left knee")
        s = h.session(sid)
        assert (s.source_name, s.exercise, s.score, s.view, s.notes) == (
            "My squat (1).mp4", "squat", 76, "diagonal", "left knee")
        assert s.reps == len(analysis.predictions["cnn1d"].reps) >= 2 and not s.has_video
        assert h.video(sid) is None
        reps = h.reps(sid)
        assert [r.number for r in reps] == list(range(1, s.reps + 1))
        assert s.angle in ("right knee", "left knee")
        # the built-in squat goes deep: the knee opens and closes by far more than 45°
        assert all(r.rom_deg > 45 and r.end_s > r.start_s and r.score == 76 for r in reps)
        skeleton = h.skeleton(sid)
        assert np.array_equal(skeleton.keypoints, analysis.sequence.keypoints)
        assert (skeleton.fps, skeleton.size) == (analysis.sequence.fps, analysis.sequence.size)
        summary = h.summary(sid)
        assert summary["analysis"]["exercise"] == "squat"
        assert summary["verdict"]["score"] == 76
        assert summary["verdict"]["cues"][0]["fault"] == "knees_caving_in"
        kept = h.save_session(anna, analysis, source_name="b.mp4", video_bytes=b"\x00mp4")
        assert h.video(kept) == b"\x00mp4" and h.session(kept).has_video
        progress = h.progress(anna)
        assert list(progress.columns) == ["session", "date", "exercise", "score", "reps", "rom"]
        assert list(progress["session"]) == [sid, kept]
        assert progress["rom"].iloc[0] == pytest.approx(np.mean([r.rom_deg for r in reps]))


def test_a_crash_mid_save_leaves_no_half_session(tmp_path, analysis, monkeypatch):
    path = tmp_path / "db.sqlite3"
    with History(path) as h:
        anna = h.create_client("Anna")
        first = h.save_session(anna, analysis, source_name="first.mp4")
        n_reps = count(path, "reps")
        calls = []
        real = history._insert_rep

        def flaky(conn, session_id, rep):
            calls.append(rep.number)
            if len(calls) == 2:
                raise RuntimeError("disk pulled out")
            real(conn, session_id, rep)

        monkeypatch.setattr(history, "_insert_rep", flaky)
        with pytest.raises(RuntimeError):
            h.save_session(anna, analysis, source_name="second.mp4")
        assert calls == [1, 2]
    assert count(path, "sessions") == 1 and count(path, "reps") == n_reps
    with History(path) as h:
        assert [s.id for s in h.sessions(anna)] == [first]


def test_deleting_a_client_deletes_all_their_data(tmp_path, analysis):
    path = tmp_path / "db.sqlite3"
    with History(path) as h:
        anna, ben = h.create_client("Anna"), h.create_client("Ben")
        for k in range(2):
            h.save_session(anna, analysis, source_name=f"{k}.mp4", video_bytes=b"v" if k else None)
        h.save_session(ben, analysis, source_name="ben.mp4")
        per_session = len(h.reps(h.sessions(ben)[0].id))
        gone = h.delete_client(anna)
        assert gone == {"clients": 1, "sessions": 2, "reps": 2 * per_session, "videos": 1}
        assert [c.name for c in h.clients()] == ["Ben"]
        with pytest.raises(FitScoreError, match="not in the database"):
            h.sessions(anna) or h.client(anna)
    assert count(path, "sessions") == 1 and count(path, "reps") == per_session


def test_a_version_1_database_is_migrated_and_keeps_its_data(tmp_path, analysis):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, upto=1) == 1
    conn.execute("INSERT INTO clients (id, name, created) VALUES (1, 'Old', '2024-01-02')")
    conn.execute("INSERT INTO sessions (id, client_id, created, source_name, exercise, score, "
                 "reps, view, notes, summary, skeleton) VALUES (7, 1, '2024-01-02 10:00:00', "
                 "'old.mp4', 'squat', 70, 1, 'side', '', '{}', ?)",
                 (history.skeleton_bytes(analysis.sequence),))
    conn.execute("INSERT INTO reps VALUES (7, 1, 70, 0.5, 2.5)")
    conn.close()
    with History(path) as h:
        assert h.conn.execute("PRAGMA user_version").fetchone()[0] == history.VERSION == 2
        s = h.sessions(1)[0]
        assert (s.id, s.score, s.has_video, s.angle) == (7, 70, False, None)
        assert h.reps(7)[0].rom_deg is None
        row = h.progress(1).iloc[0]
        assert (row["score"], row["reps"]) == (70, 1) and np.isnan(row["rom"])
        h.save_session(1, analysis, source_name="new.mp4")       # the new columns work
        assert h.reps(h.sessions(1)[1].id)[0].rom_deg > 0
        # foreign keys are on in a migrated database too
        h.delete_client(1)
    assert count(path, "reps") == 0


def test_bad_files_are_a_clear_error(tmp_path, analysis):
    bad = tmp_path / "notes.sqlite3"
    bad.write_text("not a database at all " * 100)
    with pytest.raises(FitScoreError, match="not a FitScore client database"):
        History(bad)
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(FitScoreError, match="newer FitScore"):
        History(newer)
    with History(tmp_path / "ok.sqlite3") as h:
        with pytest.raises(FitScoreError, match="Give the client a name"):
            h.create_client("   ")
        with pytest.raises(FitScoreError, match="not in the database"):
            h.save_session(12345, analysis, source_name="x.mp4")
        unknown = replace(analysis, exercise="unknown")
        c = h.create_client("Zoë 李")
        sid = h.save_session(c, unknown, source_name="Zoë's clip.mp4")
        assert h.session(sid).score is None and h.clients()[0].name == "Zoë 李"
