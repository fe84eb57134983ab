"""Where the dashboard keeps uploaded clips: a private folder of this user's, each upload
under its content digest and the file name the user gave, deleted a day after its last use.

    >>> from ui.uploads import save_upload
    >>> path = save_upload("client.mp4", data)           # doctest: +SKIP
    PosixPath('/tmp/fitscore-dashboard-1000/2d17ede69ad956c855ce/client.mp4')

The Skeletons and Compare pages read frames from the file after the analysis, so it stays
on disk while it may be shown; `sweep()` (run on every save) deletes uploads untouched for
KEEP_HOURS. Folders are 0700 and files 0600: no other account on the machine reads a
client's video. The file keeps the user's name (made safe) so every message names the file
the user knows, not a digest. FITSCORE_UPLOAD_DIR moves the folder (tests use it).
"""

import os
import re
import shutil
import tempfile
import time
import unicodedata
from pathlib import Path

KEEP_HOURS = 24
MAX_NAME = 120          # characters of the user's file name kept


def upload_root() -> Path:
    """This user's private upload folder, created 0700; one that another account owns or
    that is a symlink is never used (someone else could read or redirect the uploads)."""
    env = os.environ.get("FITSCORE_UPLOAD_DIR")
    root = Path(env) if env else Path(tempfile.gettempdir()) / f"fitscore-dashboard-{os.getuid()}"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = root.lstat()
    if root.is_symlink() or info.st_uid != os.getuid():
        raise PermissionError(f"{root} is not a private folder of this user")
    if info.st_mode & 0o077:
        root.chmod(0o700)
    return root


def safe_name(name: str) -> str:
    """The user's file name without folders, control characters or a leading dot, shortened;
    'upload' when nothing is left."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    stem, dot, suffix = name.rpartition(".")
    if dot and len(suffix) <= 8:
        name = stem[:MAX_NAME - len(suffix) - 1] + "." + suffix
    return re.sub(r"\s+", " ", name[:MAX_NAME]) or "upload"


def save_upload(name: str, data: bytes, digest: str) -> Path:
    """Write the upload as <root>/<digest>/<safe name> (0700 folder, 0600 file, written whole
    or not at all) and return its path; an upload saved before is only touched."""
    sweep()
    folder = upload_root() / digest
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / safe_name(name)
    if path.is_file() and path.stat().st_size == len(data):
        os.utime(folder)
        return path
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")   # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    os.utime(folder)
    return path


def sweep(keep_hours: float = KEEP_HOURS, now: float | None = None) -> list[str]:
    """Delete the upload folders not used for `keep_hours`; return their digests."""
    now = time.time() if now is None else now
    gone = []
    for folder in upload_root().iterdir():
        try:
            if folder.is_dir() and not folder.is_symlink() \
                    and now - folder.stat().st_mtime > keep_hours * 3600:
                shutil.rmtree(folder)
                gone.append(folder.name)
        except OSError:
            continue                       # another session deleted it first
    return gone
