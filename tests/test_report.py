"""Reports: a one-page PDF of a stored session holding the client's name, the score and the
cues (read back with pdftotext, or pypdf where poppler is not installed), safe with any
name; CSVs of per-frame angles and per-rep metrics equal to what the database holds."""

import csv
import io
import shutil
import subprocess
from dataclasses import replace

import numpy as np
import pypdf
import pytest
from test_honest_analysis import fixed_scorer, squat

from fitscore_core.analysis import analyze_sequence
from fitscore_core.annotate import frame_size
from fitscore_core.bench.demo_clip import write_clip
from fitscore_core.history import History
from fitscore_core.report import (
    angles_csv,
    key_frames,
    printable,
    report_data,
    report_data_of,
    reps_csv,
    session_pdf,
    stored_session_pdf,
)


def pdf_text(pdf: bytes, tmp_path) -> tuple[str, int]:
    """(the text, the number of pages)."""
    if shutil.which("pdftotext"):
        path = tmp_path / "report.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
        return text, text.count("\f")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(p.extract_text() for p in reader.pages), len(reader.pages)


@pytest.fixture(scope="module")
def analysis():
    scorers = {"cnn1d": fixed_scorer("cnn1d", {"squat": 0.95}, 80.4,
                                     {"squat.knees_caving_in": 0.9,
                                      "squat.heels_lifting": 0.8}),
               "lstm": fixed_scorer("lstm", {"squat": 0.9}, 72.2)}
    return analyze_sequence(squat(45.0), scorers)


@pytest.fixture()
def stored(tmp_path, analysis):
    h = History(tmp_path / "db.sqlite3")
    client = h.create_client("Zoë 李 O'Brien")
    sid = h.save_session(client, analysis, source_name="Zoë's squat \u202e.mp4",
                         notes="Felt strong *today*\nnext time: 李 heavier")
    yield h, sid
    h.close()


def test_the_pdf_holds_client_score_and_cues(stored, tmp_path):
    h, sid = stored
    data = report_data(h, sid)
    text, pages = pdf_text(session_pdf(data), tmp_path)
    assert pages == 1
    flat = " ".join(text.split())
    assert "Client: Zoë ? O'Brien" in flat           # no CJK glyph: replaced, no crash
    assert "Squat: 76 / 100, 3 reps" in flat
    assert "Push your knees out so they track over your toes" in flat
    assert "Keep your heels on the floor" in flat
    assert "Zoë's squat .mp4" in flat and "Felt strong *today*" in flat
    assert "rep 1" in flat and "cnn1d" not in flat


def test_an_unknown_session_has_no_score_in_the_pdf(tmp_path, analysis):
    with History(tmp_path / "db.sqlite3") as h:
        sid = h.save_session(h.create_client("Ben"), replace(analysis, exercise="unknown"),
                             source_name="dance.mp4")
        text, _ = pdf_text(session_pdf(report_data(h, sid)), tmp_path)
    flat = " ".join(text.split())
    assert "no score" in flat and "/ 100" not in flat and "Client: Ben" in flat


def test_csvs_hold_the_reps_and_every_frames_angles(stored, analysis):
    h, sid = stored
    data = report_data(h, sid)
    rows = list(csv.DictReader(io.StringIO(reps_csv(data))))
    stored_reps = h.reps(sid)
    assert [int(r["rep"]) for r in rows] == [r.number for r in stored_reps]
    assert [float(r["rom_deg"]) for r in rows] == pytest.approx([r.rom_deg for r in stored_reps],
                                                                abs=0.06)
    assert {r["angle"] for r in rows} == {h.session(sid).angle}
    angles = list(csv.DictReader(io.StringIO(angles_csv(data.sequence))))
    assert len(angles) == analysis.sequence.n_frames
    knee = [float(r["right knee (deg)"]) for r in angles if r["right knee (deg)"]]
    assert len(knee) > 0.9 * len(angles) and 0 <= min(knee) < max(knee) <= 180
    assert max(knee) - min(knee) > 45                  # the squat bends the knee


def test_a_fresh_analysis_reports_the_same_as_its_stored_session(stored, analysis):
    h, sid = stored
    fresh = report_data_of(analysis, "Zoë 李 O'Brien", "x.mp4")
    kept = report_data(h, sid)
    assert (fresh.score, fresh.cues, fresh.angle) == (kept.score, kept.cues, kept.angle)
    assert [r.rom_deg for r in fresh.reps] == [r.rom_deg for r in kept.reps]
    frames = key_frames(kept)
    assert len(frames) == 3 and len({t for t, _ in frames}) == 3


def test_a_kept_video_is_the_background_of_the_key_frames(tmp_path, analysis):
    """Saved with "keep the video", the PDF's key frames are the client's own frames (here
    all pure red); without it, the skeleton on a blank canvas."""
    seq = analysis.sequence
    w, h = frame_size(seq)
    red = np.zeros((h, w, 3), np.uint8)
    red[..., 2] = 255
    clip = tmp_path / "red.mp4"
    write_clip(clip, [red] * seq.n_frames, fps=seq.fps)
    with History(tmp_path / "db.sqlite3") as history:
        client = history.create_client("Ana")
        kept = history.save_session(client, analysis, source_name="red.mp4",
                                    video_bytes=clip.read_bytes())
        not_kept = history.save_session(client, analysis, source_name="red.mp4")
        reddish = []
        for sid in (kept, not_kept):
            images = pypdf.PdfReader(io.BytesIO(stored_session_pdf(history, sid))).pages[0].images
            pixels = np.concatenate([np.asarray(i.image.convert("RGB")).reshape(-1, 3)
                                     for i in images])
            reddish.append(float(((pixels[:, 0] > 200) & (pixels[:, 1] < 60)).mean()))
    assert reddish[0] > 0.5 and reddish[1] < 0.05     # (the skeleton has a red limb or two)


def test_printable_never_fails_on_a_name():
    assert printable("Zoë 李\u202e\x07") == "Zoë ?"
    assert printable("tab\tand\nnewline") == "tab\tand\nnewline"
