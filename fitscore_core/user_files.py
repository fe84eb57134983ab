"""The files a trainer hands FitScore or gets back: CSVs read with clear errors, output paths
checked before the work, CSV cells that are safe to open in a spreadsheet.

    >>> from fitscore_core.user_files import readable, safe_cell
    >>> safe_cell('=HYPERLINK("http://x")'), safe_cell("-3.5"), safe_cell(-3.5)
    ('\\'=HYPERLINK("http://x")', '-3.5', -3.5)
    >>> readable("client\\udce9.mp4")       # a file name that is not UTF-8
    'client\\\\xe9.mp4'

Why here, below every stage: the batch, the trainers' out-of-fold files and the evaluation
all write CSVs from user text (paths, folder names, labels) and must neutralise it the same
way; a spreadsheet runs a cell starting with = + - @ tab or CR as a formula, so such text gets
a leading single quote (OWASP's rule for CSV injection). Numbers are never touched.
"""

import csv
import os
import re
from pathlib import Path

from fitscore_core.errors import FitScoreError

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
SAVE_AS_UTF8 = ("save it as UTF-8 (in a spreadsheet: Save as > 'CSV UTF-8'; in a text "
                "editor: encoding UTF-8) and try again")


def readable(text: str) -> str:
    """Text as valid UTF-8: the bytes of a file name that is not UTF-8 (Python keeps them as
    lone surrogates) become \\xNN, so printing or writing it cannot fail."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def safe_cell(value):
    """A CSV cell a spreadsheet shows as it is: text starting like a formula gets a leading
    quote (a plain number such as "-3.5" stays a number); non-text values are unchanged."""
    if not isinstance(value, str):
        return value
    text = readable(value)
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(row):
    """safe_cell on every cell of a list row or a dict row (keys kept)."""
    if isinstance(row, dict):
        return {k: safe_cell(v) for k, v in row.items()}
    return [safe_cell(v) for v in row]


def read_rows(csv_path: Path) -> list[list[str]]:
    """Every row of a UTF-8 CSV (a BOM is fine); another encoding, a cell past the csv
    module's limit or a file that cannot be read raises FitScoreError naming the file."""
    name, rows = csv_path.name, []
    try:
        with csv_path.open(newline="", encoding="utf-8-sig") as f:
            for row in csv.reader(f):
                rows.append(row)
    except UnicodeDecodeError as error:
        line, byte = _first_bad_line(csv_path)
        raise FitScoreError(f"{name} is not UTF-8 text (line {line} holds the byte "
                            f"0x{byte if byte is not None else error.object[error.start]:02x}, "
                            f"of another encoding such as Latin-1): {SAVE_AS_UTF8}.") from None
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise FitScoreError(f"{name} row {len(rows) + 1}: a cell is longer than "
                                f"{csv.field_size_limit():,} characters, which no clip list "
                                "needs; check that this is the right file.") from None
        raise FitScoreError(f"{name} row {len(rows) + 1} cannot be read as CSV ({error}); "
                            f"{SAVE_AS_UTF8}.") from None
    except OSError as error:
        raise FitScoreError(f"{name} cannot be read: {error.strerror or error}.") from None
    return rows


def _first_bad_line(path: Path) -> tuple[int, int | None]:
    """The first line (1-based) that is not UTF-8 and its first odd byte, read line by line
    (the decoder reads ahead, so its own position says little)."""
    number = 1
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as error:
                return number, line[error.start]
    return number, None


def _existing_folder(folder: Path, make_parents: bool) -> Path:
    """The folder an output goes in, or (make_parents) its nearest existing ancestor."""
    while make_parents and not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    return folder


def check_output(path: str | Path, option: str, folder: bool = False,
                 make_parents: bool = False) -> Path:
    """Refuse, before any work, an output that could not be written: a folder where a file
    is wanted (or the reverse), a missing or unwritable parent folder (missing ones are fine
    with make_parents: the writer creates them). option: the flag, named in the message."""
    out = Path(path)
    where = f"{option} {readable(str(path))}"
    try:
        if folder and out.exists() and not out.is_dir():
            raise FitScoreError(f"{where}: that is a file; give a folder.")
        if not folder and out.is_dir():
            raise FitScoreError(f"{where}: that is a folder; give a file name.")
        parent = out if folder and out.is_dir() else out.parent
        base = _existing_folder(parent, make_parents or folder)
        if not base.exists():
            raise FitScoreError(f"{where}: the folder {readable(str(base))} does not exist; "
                                "create it first or choose another place.")
        if not base.is_dir():
            raise FitScoreError(f"{where}: {readable(str(base))} is a file, not a folder.")
        if not os.access(base, os.W_OK | os.X_OK):
            raise FitScoreError(f"{where}: the folder {readable(str(base))} is not writable.")
        if out.is_file() and not os.access(out, os.W_OK):
            raise FitScoreError(f"{where}: the file exists and is read-only.")
    except OSError as error:
        raise FitScoreError(f"{where}: {error.strerror or error}.") from None
    return out
