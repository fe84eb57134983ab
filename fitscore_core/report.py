"""Reports a trainer hands over: a one-page PDF per session, and CSVs of angles and reps.

    >>> from fitscore_core.history import History
    >>> from fitscore_core.report import angles_csv, report_data, reps_csv, session_pdf
    >>> with History() as h:                                       # doctest: +SKIP
    ...     data = report_data(h, session_id)
    >>> open("session.pdf", "wb").write(session_pdf(data))         # doctest: +SKIP
    >>> open("reps.csv", "w").write(reps_csv(data))                # doctest: +SKIP
    >>> open("angles.csv", "w").write(angles_csv(data.sequence))   # doctest: +SKIP

Built from a stored session (report_data: what history.py keeps, so a report can be made
months later) or straight from an Analysis (report_data_of). The PDF holds the client's
name, the date, the clip's name, the exercise, the score, the reps with their scores and
ranges of motion, key frames with the skeleton drawn (fitscore_core.annotate) on the
client's video when it was kept (`stored_session_pdf`), else on a blank canvas, and the
coaching cues of the verdict.

Why fpdf2 (pinned 2.8.9): pure Python, no system libraries (WeasyPrint needs Pango and
Cairo, which the machines here do not have), embeds PNGs directly, and writes a page in
tens of milliseconds; ReportLab would do as well but is larger and its open-source build
lags its commercial one.

Texts from users (client name, file name, notes) may hold any character. The PDF uses
DejaVu Sans, a Unicode TrueType font that matplotlib (a dependency of the pinned mediapipe)
ships; characters that font has no glyph for (e.g. Chinese) are replaced by "?" instead of
failing. Without the font, fpdf2's core Helvetica is used and the text is cut to latin-1
the same way: "Zoë 李" is written, never a crash.
"""

import csv
import importlib.util
import io
import math
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from fontTools.ttLib import TTFont   # fpdf2's own dependency
from fpdf import FPDF

from fitscore_core.analysis import Analysis
from fitscore_core.annotate import frame_image
from fitscore_core.compare.angles import joint_angles
from fitscore_core.features import normalize
from fitscore_core.history import RepRow, rep_rom
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.verdict import Cue, make_verdict, score_text

KEY_FRAMES = 3
MAX_REP_ROWS = 14       # more reps than this: the rest are in the CSV (one page)
FRAME_SIDE = 420        # key frames are drawn this tall (pixels) before embedding
_FONT = "DejaVu"


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, from the database or a fresh analysis."""

    client_name: str
    date: str
    source_name: str
    exercise: str            # in words ("push-up"), or "unknown"
    score: int | None
    headline: str
    cues: tuple[str, ...]    # said, with reps and times
    remarks: tuple[str, ...]  # disagreement, what the view cannot show, filming advice
    reps: tuple[RepRow, ...]
    angle: str | None        # the main angle the ranges of motion are of
    notes: str
    sequence: PoseSequence


def _cue_text(cue: dict) -> str:
    return Cue(cue["text"], cue["fault"], tuple(cue["reps"]), tuple(cue["times_s"]),
               cue["source"]).say()


def report_data(history, session_id: int) -> ReportData:
    """A stored session (history.History) as report data."""
    session = history.session(session_id)
    verdict = history.summary(session_id).get("verdict", {})
    remarks = [verdict.get("disagreement")] + list(verdict.get("unjudged", ())) \
        + [verdict.get("filming")]
    return ReportData(
        history.client(session.client_id).name, session.created, session.source_name,
        verdict.get("exercise_words", session.exercise), session.score,
        verdict.get("headline", ""), tuple(_cue_text(c) for c in verdict.get("cues", ())),
        tuple(r for r in remarks if r),
        tuple(history.reps(session_id)),
        session.angle, session.notes, history.skeleton(session_id))


def report_data_of(analysis: Analysis, client_name: str, source_name: str, notes: str = "",
                   date: str | None = None) -> ReportData:
    """A fresh analysis as report data (not saved anywhere)."""
    verdict = make_verdict(analysis)
    angle, roms = rep_rom(analysis) if verdict.reps else (None, [])
    remarks = [verdict.disagreement, *verdict.unjudged, verdict.filming]
    return ReportData(
        client_name, date or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        source_name, verdict.exercise_words, verdict.score, verdict.headline,
        tuple(c.say() for c in verdict.cues), tuple(r for r in remarks if r),
        tuple(RepRow(r.number, r.score, r.start_s, r.end_s,
                        round(m, 1) if math.isfinite(m) else None)
              for r, m in zip(verdict.reps, roms)),
        angle, notes, analysis.sequence)


# ------------------------------------------------------------------ safe text

@lru_cache(maxsize=1)
def unicode_font() -> Path | None:
    """matplotlib's DejaVuSans.ttf, found without importing matplotlib; None if absent."""
    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=1)
def _font_chars() -> frozenset[int] | None:
    path = unicode_font()
    if path is None:
        return None
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def printable(text: str) -> str:
    """`text` with every character the PDF font cannot draw replaced by '?'; control and
    format characters (a right-to-left override in a file name) dropped, newlines and tabs
    kept."""
    chars = _font_chars()
    out = []
    for ch in str(text):
        if ch in "\n\t":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        elif chars is not None:
            out.append(ch if ord(ch) in chars else "?")
        else:
            out.append(ch if ord(ch) < 256 else "?")
    return "".join(out)


# ------------------------------------------------------------------ pictures

def key_frames(data: ReportData, n: int = KEY_FRAMES) -> list[tuple[int, str]]:
    """(frame, caption) of n moments: the middle of the lowest-scored rep, of the best one,
    then of the others in order; with fewer reps than n, moments a quarter, half and three
    quarters into the clip fill the row."""
    seq, fps = data.sequence, data.sequence.fps
    last = max(seq.n_frames - 1, 0)
    scored = [r for r in data.reps if r.score is not None]
    picks: list[tuple[RepRow, str]] = []
    if scored:
        picks.append((min(scored, key=lambda r: (r.score, r.number)), "lowest score"))
        picks.append((max(scored, key=lambda r: (r.score, -r.number)), "best"))
    picks += [(r, "") for r in data.reps]
    out, seen = [], set()
    for rep, why in picks:
        if rep.number in seen or len(out) == n:
            continue
        seen.add(rep.number)
        label = f"rep {rep.number}" + (f" ({why})" if why else "")
        out.append((min(last, round((rep.start_s + rep.end_s) / 2 * fps)),
                    f"{label}: {score_text(rep.score)}"))
    for q in (0.25, 0.5, 0.75):
        if len(out) < n and seq.n_frames:
            out.append((round(last * q), f"{last * q / fps:.1f} s into the clip"))
    return sorted(out)


def frame_png(seq: PoseSequence, t: int, video: str | Path | None = None) -> bytes:
    """Frame t with its skeleton (the person cropped, 3:4), as PNG bytes."""
    image = frame_image(seq, t, video, max_side=FRAME_SIDE, crop=3 / 4)
    ok, png = cv2.imencode(".png", image)
    return png.tobytes()


def stored_session_pdf(history, session_id: int) -> bytes:
    """A stored session's PDF: the key frames on the kept video's own frames when the
    trainer kept it, else on a blank canvas. The video is read from a private temporary
    folder, removed at once (it is a client's)."""
    data = report_data(history, session_id)
    kept = history.video(session_id)
    if kept is None:
        return session_pdf(data)
    with tempfile.TemporaryDirectory(prefix="fitscore-report-") as folder:
        path = Path(folder) / ("clip" + (Path(data.source_name).suffix or ".mp4"))
        path.write_bytes(kept)
        return session_pdf(data, path)


# ------------------------------------------------------------------ the PDF

class _Page(FPDF):
    def __init__(self):
        super().__init__(format="A4")
        self.set_auto_page_break(False)
        self.set_margins(15, 15, 15)
        font = unicode_font()
        if font is not None:
            self.add_font(_FONT, "", str(font))
            bold = font.with_name("DejaVuSans-Bold.ttf")
            self.add_font(_FONT, "B", str(bold if bold.is_file() else font))
            self.family = _FONT
        else:
            self.family = "helvetica"

    def text_line(self, text: str, size: float = 10, style: str = "", h: float = 5.5):
        self.set_font(self.family, style, size)
        self.multi_cell(0, h, printable(text), new_x="LMARGIN", new_y="NEXT")


def session_pdf(data: ReportData, video: str | Path | None = None) -> bytes:
    """The one-page PDF of a session (see the module docstring), as bytes."""
    pdf = _Page()
    pdf.add_page()
    pdf.set_title(printable(f"FitScore report: {data.client_name}"))
    pdf.text_line("FitScore session report", 18, "B", 9)
    pdf.text_line(f"Client: {data.client_name}", 11)
    pdf.text_line(f"Date: {data.date[:16]} (UTC)    Clip: {data.source_name}", 9)
    pdf.ln(2)
    reps_text = {0: "no complete rep", 1: "1 rep"}.get(len(data.reps), f"{len(data.reps)} reps")
    if data.score is not None:
        pdf.text_line(f"{data.exercise.capitalize()}: {data.score} / 100, {reps_text}", 16,
                      "B", 8)
    else:
        pdf.text_line(data.headline or "No score.", 12, "B", 6)
    pdf.ln(1)
    if data.score is not None:
        pdf.text_line("What to work on", 12, "B", 7)
        for cue in data.cues or ("Nothing to fix: keep it up.",):
            pdf.text_line(f"•  {cue}", 10.5)
    for remark in data.remarks:
        pdf.text_line(remark, 8.5, "", 4.5)
    pdf.ln(2)
    frames = key_frames(data)
    if frames and data.sequence.n_frames:
        y = pdf.get_y()
        w = 50.0
        for k, (t, caption) in enumerate(frames):
            x = 15 + k * (w + 8)
            pdf.image(io.BytesIO(frame_png(data.sequence, t, video)), x=x, y=y, w=w)
            pdf.set_xy(x, y + w * 4 / 3 + 1)
            pdf.set_font(pdf.family, "", 8)
            pdf.cell(w, 4, printable(caption), align="C")
        pdf.set_xy(15, y + w * 4 / 3 + 7)
    if data.reps:
        angle = f"range of motion, {data.angle} (°)" if data.angle else "range of motion (°)"
        pdf.set_font(pdf.family, "B", 9)
        widths = (16, 20, 24, 24, 70)
        for w, head in zip(widths, ("Rep", "Score", "Start (s)", "End (s)", angle)):
            pdf.cell(w, 5.5, head, border="B")
        pdf.ln(5.5)
        pdf.set_font(pdf.family, "", 9)
        for r in data.reps[:MAX_REP_ROWS]:
            row = (str(r.number), score_text(r.score), f"{r.start_s:.1f}", f"{r.end_s:.1f}",
                   "—" if r.rom_deg is None else f"{r.rom_deg:.0f}")
            for w, cell in zip(widths, row):
                pdf.cell(w, 5, cell)
            pdf.ln(5)
        if len(data.reps) > MAX_REP_ROWS:
            pdf.text_line(f"… and {len(data.reps) - MAX_REP_ROWS} more reps in the reps CSV.", 8)
    if data.notes:
        pdf.ln(2)
        pdf.text_line("Notes", 10, "B", 6)
        pdf.text_line(data.notes[:1500], 9, "", 4.5)
    return bytes(pdf.output())


# ------------------------------------------------------------------ CSVs

def angles_csv(seq: PoseSequence) -> str:
    """Per frame: frame, time (s), every joint angle (compare/angles.py) in degrees, empty
    where a joint was not seen."""
    features = normalize(seq)
    angles = joint_angles(features.values, features.found)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["frame", "time_s"] + [f"{name} (deg)" for name in angles])
    columns = list(angles.values())
    for t in range(features.n_frames):
        writer.writerow([t, f"{t / seq.fps:.3f}"]
                        + ["" if not np.isfinite(c[t]) else f"{c[t]:.1f}" for c in columns])
    return out.getvalue()


def reps_csv(data: ReportData) -> str:
    """Per rep: number, score, start and end (s), range of motion of the main angle."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["rep", "score", "start_s", "end_s", "rom_deg", "angle"])
    for r in data.reps:
        writer.writerow([r.number, "" if r.score is None else r.score, f"{r.start_s:.2f}",
                         f"{r.end_s:.2f}", "" if r.rom_deg is None else f"{r.rom_deg:.1f}",
                         data.angle or ""])
    return out.getvalue()
