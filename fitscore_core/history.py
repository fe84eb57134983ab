"""Clients and their sessions in one SQLite file: what a trainer keeps between visits.

    >>> from fitscore_core.history import History
    >>> with History(":memory:") as h:
    ...     anna = h.create_client("Anna")
    ...     [c.name for c in h.clients()], len(h.progress(anna))
    (['Anna'], 0)

    >>> sid = h.save_session(anna, analysis, source_name="squat.mp4", notes="")  # doctest: +SKIP
    >>> h.progress(anna)            # date, exercise, score, reps, rom per session  # doctest: +SKIP
    >>> h.delete_client(anna)       # {'clients': 1, 'sessions': 1, ...}   # doctest: +SKIP

Where: `$FITSCORE_DATA_HOME/fitscore.sqlite3`, by default `~/fitscore-data/fitscore.sqlite3`
(default_path); the folder is made private (0700) and the file 0600 — it holds people's
names and movement. Kept per session: the summary of the analysis (Analysis.to_json and the
verdict, as JSON), the score, rep count, per-rep scores and ranges of motion, the camera
view, the notes, the skeleton sequence (np.savez_compressed of the keypoints: a 10 s clip
is ~30 kB) and the video only when the caller passes video_bytes (the "keep the video" box).
Deleting a client deletes all of it (ON DELETE CASCADE, foreign keys on).

Schema: created and migrated by the app. `PRAGMA user_version` is the number of migrations
applied; MIGRATIONS runs the missing ones in order, each in one transaction, so a database
of any earlier version opens into the current one. Every write is one transaction (`with
conn:`): a failure mid-save rolls the whole session back, and nothing saved before is lost.
"""

import io
import json
import math
import os
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from fitscore_core.analysis import Analysis
from fitscore_core.compare.angles import joint_angles, rep_ranges
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.verdict import make_verdict

DATA_HOME_ENV = "FITSCORE_DATA_HOME"
FILE_NAME = "fitscore.sqlite3"
MAX_NAME = 120   # characters in a client's name


def default_path() -> Path:
    """$FITSCORE_DATA_HOME/fitscore.sqlite3, else ~/fitscore-data/fitscore.sqlite3."""
    home = os.environ.get(DATA_HOME_ENV)
    return (Path(home).expanduser() if home else Path.home() / "fitscore-data") / FILE_NAME


def _run(conn: sqlite3.Connection, script: str) -> None:
    """Statements one by one (executescript would commit the migration's transaction)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v1(conn: sqlite3.Connection) -> None:
    _run(conn, """
        CREATE TABLE clients (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            created TEXT NOT NULL);
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
            created TEXT NOT NULL,
            source_name TEXT NOT NULL,
            exercise TEXT NOT NULL,
            score INTEGER,
            reps INTEGER NOT NULL,
            view TEXT NOT NULL,
            notes TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL,
            skeleton BLOB NOT NULL);
        CREATE TABLE reps (
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            score INTEGER,
            start_s REAL NOT NULL,
            end_s REAL NOT NULL,
            PRIMARY KEY (session_id, number))
    """)


def _v2(conn: sqlite3.Connection) -> None:
    """Range of motion per rep (and which angle), the optional video, and the index the
    Progress page reads by."""
    _run(conn, """
        ALTER TABLE reps ADD COLUMN rom_deg REAL;
        ALTER TABLE sessions ADD COLUMN angle TEXT;
        ALTER TABLE sessions ADD COLUMN video BLOB;
        CREATE INDEX sessions_by_client ON sessions(client_id, created)
    """)


MIGRATIONS = (_v1, _v2)   # append only: user_version = how many have run
VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, upto: int = VERSION) -> int:
    """Run the migrations the database has not had (up to `upto`), each in its own
    transaction; the version it ends at. A database from a newer FitScore is refused, not
    damaged. conn must be in autocommit mode (isolation_level=None)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > VERSION:
        raise FitScoreError(f"The client database was written by a newer FitScore (schema "
                            f"{version}, this one knows {VERSION}); update FitScore to open it.")
    for k in range(version, upto):
        conn.execute("BEGIN")
        try:
            MIGRATIONS[k](conn)
            conn.execute(f"PRAGMA user_version = {k + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return max(version, upto)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def skeleton_bytes(seq: PoseSequence) -> bytes:
    """The keypoints, fps and frame size as np.savez_compressed bytes."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, keypoints=seq.keypoints.astype(np.float32),
                        fps=np.float64(seq.fps),
                        size=np.array(seq.size if seq.size else (0, 0), np.int64))
    return buffer.getvalue()


def skeleton_of(blob: bytes, source: str = "") -> PoseSequence:
    """skeleton_bytes back into a PoseSequence."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        size = tuple(int(v) for v in z["size"])
        return PoseSequence(z["keypoints"], float(z["fps"]), size if any(size) else None,
                            source=source, backend="stored")


def rep_rom(analysis: Analysis) -> tuple[str | None, list[float]]:
    """The main angle's name and its range of motion (degrees) in each of the verdict's
    reps (compare/angles.MAIN_ANGLE)."""
    fps = analysis.sequence.fps
    reps = make_verdict(analysis).reps
    angles = joint_angles(analysis.features.values, analysis.features.found)
    return rep_ranges(analysis.exercise, angles,
                      [(round(r.start_s * fps), round(r.end_s * fps)) for r in reps])


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    created: str


@dataclass(frozen=True)
class RepRow:
    number: int
    score: int | None
    start_s: float
    end_s: float
    rom_deg: float | None


@dataclass(frozen=True)
class Session:
    """One saved analysis as the database holds it (the video only through video())."""

    id: int
    client_id: int
    created: str
    source_name: str
    exercise: str
    score: int | None
    reps: int
    view: str
    notes: str
    angle: str | None
    has_video: bool


def _clean_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise FitScoreError("Give the client a name.")
    if len(name) > MAX_NAME:
        raise FitScoreError(f"A client's name can be at most {MAX_NAME} characters.")
    return name


def _private_file(path: Path) -> None:
    """The folder 0700 and the file 0600, made before SQLite opens it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


_SESSION_COLUMNS = ("id, client_id, created, source_name, exercise, score, reps, view, notes, "
                    "angle, video IS NOT NULL")


class History:
    """The clients database (see the module docstring). Use as a context manager, or
    close() it."""

    def __init__(self, path: str | Path | None = None):
        self.path = default_path() if path is None else path
        if str(self.path) != ":memory:":
            self.path = Path(self.path)
            try:
                _private_file(self.path)
            except OSError as error:
                raise FitScoreError(f"The client database {self.path} cannot be created: "
                                    f"{error.strerror}.") from None
        try:
            self.conn = sqlite3.connect(str(self.path), isolation_level=None)
            self.conn.execute("PRAGMA foreign_keys = ON")
            migrate(self.conn)
        except sqlite3.DatabaseError as error:
            raise FitScoreError(f"{self.path} is not a FitScore client database ({error}).") \
                from None
        self.conn.isolation_level = ""    # back to implicit transactions for `with conn:`

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------------ clients
    def create_client(self, name: str) -> int:
        """A new client's id; FitScoreError if one of that name (any case) exists."""
        name = _clean_name(name)
        try:
            with self.conn:
                return self.conn.execute("INSERT INTO clients (name, created) VALUES (?, ?)",
                                         (name, _now())).lastrowid
        except sqlite3.IntegrityError:
            same = self.conn.execute("SELECT name FROM clients WHERE name = ?",
                                     (name,)).fetchone()
            raise FitScoreError(f"There is already a client called {same[0] if same else name}."
                                ) from None

    def clients(self) -> list[Client]:
        """Every client, by name."""
        return [Client(*row) for row in self.conn.execute(
            "SELECT id, name, created FROM clients ORDER BY name COLLATE NOCASE")]

    def client(self, client_id: int) -> Client:
        row = self.conn.execute("SELECT id, name, created FROM clients WHERE id = ?",
                                (client_id,)).fetchone()
        if row is None:
            raise FitScoreError("That client is not in the database (deleted?).")
        return Client(*row)

    def delete_client(self, client_id: int) -> dict[str, int]:
        """Delete the client and everything kept about them; how many clients, sessions,
        reps and kept videos went."""
        self.client(client_id)
        with self.conn:
            sessions, videos = self.conn.execute(
                "SELECT COUNT(*), COUNT(video) FROM sessions WHERE client_id = ?",
                (client_id,)).fetchone()
            reps = self.conn.execute(
                "SELECT COUNT(*) FROM reps JOIN sessions ON sessions.id = reps.session_id "
                "WHERE sessions.client_id = ?", (client_id,)).fetchone()[0]
            gone = self.conn.execute("DELETE FROM clients WHERE id = ?", (client_id,)).rowcount
        return {"clients": gone, "sessions": sessions, "reps": reps, "videos": videos}

    # ------------------------------------------------------------------ sessions
    def save_session(self, client_id: int, analysis: Analysis, *, source_name: str,
                     notes: str = "", video_bytes: bytes | None = None,
                     created: str | None = None) -> int:
        """Save an analysis for a client, in one transaction: the session and all its reps,
        or nothing. video_bytes only when the trainer chose to keep the video."""
        self.client(client_id)
        verdict = make_verdict(analysis)
        angle, roms = rep_rom(analysis)
        summary = json.dumps(_json_safe({"analysis": analysis.to_json(),
                                         "verdict": asdict(verdict)}), allow_nan=False)
        with self.conn:
            sid = self.conn.execute(
                "INSERT INTO sessions (client_id, created, source_name, exercise, score, reps, "
                "view, notes, summary, skeleton, angle, video) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (client_id, created or _now(), str(source_name), analysis.exercise,
                 verdict.score, verdict.rep_count, analysis.view.view, str(notes or ""),
                 summary, skeleton_bytes(analysis.sequence), angle,
                 sqlite3.Binary(video_bytes) if video_bytes is not None else None)).lastrowid
            for rep, rom in zip(verdict.reps, roms):
                _insert_rep(self.conn, sid, RepRow(rep.number, rep.score, rep.start_s,
                                                   rep.end_s, _finite(rom)))
        return sid

    def sessions(self, client_id: int) -> list[Session]:
        """The client's sessions, oldest first."""
        return [Session(*row[:-1], bool(row[-1])) for row in self.conn.execute(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE client_id = ? "
            "ORDER BY created, id", (client_id,))]

    def session(self, session_id: int) -> Session:
        row = self.conn.execute(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?",
                                (session_id,)).fetchone()
        if row is None:
            raise FitScoreError("That session is not in the database (deleted?).")
        return Session(*row[:-1], bool(row[-1]))

    def reps(self, session_id: int) -> list[RepRow]:
        return [RepRow(*row) for row in self.conn.execute(
            "SELECT number, score, start_s, end_s, rom_deg FROM reps WHERE session_id = ? "
            "ORDER BY number", (session_id,))]

    def summary(self, session_id: int) -> dict:
        """The stored analysis summary and verdict ({'analysis': ..., 'verdict': ...})."""
        row = self.conn.execute("SELECT summary FROM sessions WHERE id = ?",
                                (session_id,)).fetchone()
        if row is None:
            raise FitScoreError("That session is not in the database (deleted?).")
        return json.loads(row[0])

    def skeleton(self, session_id: int) -> PoseSequence:
        row = self.conn.execute("SELECT skeleton, source_name FROM sessions WHERE id = ?",
                                (session_id,)).fetchone()
        if row is None:
            raise FitScoreError("That session is not in the database (deleted?).")
        return skeleton_of(row[0], row[1])

    def video(self, session_id: int) -> bytes | None:
        row = self.conn.execute("SELECT video FROM sessions WHERE id = ?",
                                (session_id,)).fetchone()
        return bytes(row[0]) if row and row[0] is not None else None

    def progress(self, client_id: int) -> pd.DataFrame:
        """One row per session, oldest first: session, date, exercise, score, reps, rom (the
        mean range of motion of its reps, degrees) — what the Progress page charts."""
        rows = self.conn.execute(
            "SELECT s.id, s.created, s.exercise, s.score, s.reps, AVG(r.rom_deg) "
            "FROM sessions s LEFT JOIN reps r ON r.session_id = s.id "
            "WHERE s.client_id = ? GROUP BY s.id ORDER BY s.created, s.id",
            (client_id,)).fetchall()
        frame = pd.DataFrame(rows, columns=["session", "date", "exercise", "score", "reps",
                                            "rom"])
        frame["date"] = pd.to_datetime(frame["date"])
        frame["score"] = frame["score"].astype("Float64")
        frame["rom"] = frame["rom"].astype(float)
        return frame


def _insert_rep(conn: sqlite3.Connection, session_id: int, rep: RepRow) -> None:
    conn.execute("INSERT INTO reps (session_id, number, score, start_s, end_s, rom_deg) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (session_id, rep.number, rep.score, rep.start_s,
                                               rep.end_s, rep.rom_deg))


def _finite(x: float) -> float | None:
    return round(float(x), 1) if x is not None and math.isfinite(x) else None


def _json_safe(value):
    """The summary as strict JSON: NaN / infinity -> None, numpy scalars -> numbers."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
