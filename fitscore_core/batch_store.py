"""The results store of a batch: one SQLite row per finished clip, so a stopped batch resumes.

    >>> from fitscore_core.batch_store import ResultsStore
    >>> with ResultsStore("/tmp/.results.csv.results.sqlite") as store:      # doctest: +SKIP
    ...     store.put(("clip-sha", "models-sha", "", "a.mp4"), {"path": "a.mp4"}, transient=False)
    ...     store.get(("clip-sha", "models-sha", "", "a.mp4"))

Why SQLite (stdlib sqlite3): each row is committed as its clip finishes, and a commit survives
Ctrl-C, SIGKILL and a power cut (rollback journal, synchronous=FULL), so a batch started again
with the same --out skips every committed clip. A row is keyed by (clip content digest, models
digest, --exercise, label): a renamed or edited clip, other models or another --exercise is
scored again; rows of other models stay in the file (switching back reuses them). A row marked
`transient` (its worker process died, an unexpected error) counts for this run's CSV but is
scored again by the next run.
"""

import hashlib
import json
import pickle
import sqlite3
from pathlib import Path

from fitscore_core.errors import FitScoreError

SCHEMA = 1          # bump when the table changes: an older file is then refused, not misread
ROW_FORMAT = 2      # bump when what a row holds changes: older rows are then scored again

Key = tuple[str, str, str, str]   # (clip digest, models digest, exercise or "", label)


def store_path(out: str | Path) -> Path:
    """`.<out>.results.sqlite` beside --out."""
    out = Path(out)
    return out.with_name(f".{out.name}.results.sqlite")


def clip_digest(path: str | Path) -> str | None:
    """SHA-256 of a clip's content: a file's bytes, or a folder's file names and bytes (an
    OpenPose JSON folder). None when it cannot be read (its row then says why, not cached)."""
    path = Path(path)
    digest = hashlib.sha256()
    try:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            digest.update(f"{f.relative_to(path) if path.is_dir() else ''}\0".encode())
            with open(f, "rb") as handle:
                while block := handle.read(1 << 20):
                    digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def models_digest(scorers: dict) -> str:
    """SHA-256 of what the models answer with: weights, cards, calibration, learner, plus the
    row format. Computed from the loaded scorers, so it is exactly the models that ran."""
    digest = hashlib.sha256(f"row-format {ROW_FORMAT}\0".encode())
    for name in sorted(scorers):
        s = scorers[name]
        digest.update(f"{name}\0{s.temperature!r}\0".encode())
        digest.update(json.dumps(s.card, sort_keys=True, default=str).encode())
        for key, tensor in sorted(s.net.state_dict().items()):
            digest.update(f"{key}\0{tuple(tensor.shape)}\0".encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        if s.learner is not None:
            digest.update(pickle.dumps(s.learner, protocol=4))
    return digest.hexdigest()[:32]


def _cells(key: Key) -> tuple[str, str, str, str]:
    """The key as stored: exercise and label as JSON text, so a file name that is not UTF-8
    (kept by Python as surrogate escapes) is stored and found again exactly."""
    clip, models, exercise, label = key
    return clip, models, json.dumps(exercise), json.dumps(label)


class ResultsStore:
    """The SQLite file holding every finished row; only the batch's driver writes it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
            self.db.execute("CREATE TABLE IF NOT EXISTS rows (clip TEXT, models TEXT, "
                            "exercise TEXT, label TEXT, row TEXT, transient INTEGER, "
                            "PRIMARY KEY (clip, models, exercise, label))")
            (schema,), = self.db.execute("SELECT value FROM meta WHERE key = 'schema'")
        except sqlite3.Error as error:
            raise FitScoreError(f"the results store {self.path} cannot be used ({error}); "
                                "delete it (the batch then scores every clip again) or choose "
                                "another --out.") from None
        if schema != str(SCHEMA):
            self.db.close()
            raise FitScoreError(f"the results store {self.path} was written by another FitScore "
                                f"version (store format {schema}, this one reads {SCHEMA}); "
                                "delete it or choose another --out.")

    def done(self, keys: list[Key]) -> dict[Key, dict]:
        """The stored, final (not transient) rows among keys."""
        found = {}
        for key in keys:
            got = self.db.execute("SELECT row FROM rows WHERE clip=? AND models=? AND "
                                  "exercise=? AND label=? AND transient=0", _cells(key)).fetchone()
            if got:
                found[key] = json.loads(got[0])
        return found

    def get(self, key: Key) -> dict | None:
        got = self.db.execute("SELECT row FROM rows WHERE clip=? AND models=? AND exercise=? "
                              "AND label=?", _cells(key)).fetchone()
        return json.loads(got[0]) if got else None

    def put(self, key: Key, row: dict, transient: bool) -> None:
        """Commit one row (durable when this returns)."""
        try:
            self.db.execute("INSERT OR REPLACE INTO rows VALUES (?, ?, ?, ?, ?, ?)",
                            (*_cells(key), json.dumps(row), int(transient)))
        except sqlite3.Error as error:
            raise FitScoreError(f"cannot write the results store {self.path} ({error}).") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
