"""Uploads are private, named as the user named them, and deleted after KEEP_HOURS; text a
user controls is shown as text, not Markdown (issue: hostile input, cases 7 and 8)."""

import os
import re
import stat
import string
import time

import pytest

from ui import state
from ui.plain import JOINER, plain, unplain
from ui.uploads import KEEP_HOURS, safe_name, save_upload, sweep, upload_root

HOSTILE = "../![p](http://127.0.0.1:8799/p.png) [click me](http://127.0.0.1:8799/) <b>x</b> $x$"


@pytest.fixture()
def uploads(tmp_path, monkeypatch):
    root = tmp_path / "uploads"
    monkeypatch.setenv("FITSCORE_UPLOAD_DIR", str(root))
    return root


def test_an_upload_is_private_and_keeps_the_users_file_name(uploads):
    choice = state.saved_upload("Client Zoë.MP4", b"not really a video")
    path = uploads / choice.digest / "Client Zoë.MP4"
    assert choice.path == str(path) and path.read_bytes() == b"not really a video"
    assert stat.S_IMODE(uploads.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".part-")]


def test_a_world_readable_upload_folder_is_made_private(uploads):
    uploads.mkdir(mode=0o755)
    uploads.chmod(0o755)
    upload_root()
    assert stat.S_IMODE(uploads.stat().st_mode) == 0o700


def test_a_symlinked_upload_folder_is_refused(tmp_path, monkeypatch):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    monkeypatch.setenv("FITSCORE_UPLOAD_DIR", str(tmp_path / "link"))
    with pytest.raises(PermissionError):
        upload_root()


def test_a_file_name_cannot_leave_the_upload_folder(uploads):
    for hostile in ("../../etc/passwd", "..\\..\\x.mp4", ".hidden.mp4", "a\x00b\nc.mp4", ""):
        path = save_upload(hostile, b"x", "d1")
        assert path.parent == uploads / "d1" and not path.name.startswith(".")
        assert "/" not in path.name and "\n" not in path.name and "\x00" not in path.name
    assert safe_name("x" * 500 + ".mp4").endswith(".mp4")
    assert len(safe_name("x" * 500 + ".mp4")) <= 120


def test_uploads_older_than_the_retention_are_deleted_and_recent_ones_kept(uploads):
    old = save_upload("old.mp4", b"old", "old")
    new = save_upload("new.mp4", b"new", "new")
    past = time.time() - KEEP_HOURS * 3600 - 60
    os.utime(old.parent, (past, past))
    assert sweep() == ["old"]
    assert not old.exists() and new.exists()


def test_plain_text_renders_to_itself_with_no_markdown_left():
    escaped = plain(HOSTILE)
    # every ASCII punctuation mark is escaped, so nothing can open a link, an image, HTML,
    # emphasis or maths; removing the escapes gives the text back
    assert re.search(r"(?<!\\)[" + re.escape(string.punctuation.replace("\\", "")) + "]",
                     escaped) is None
    assert unplain(escaped) == HOSTILE
    assert JOINER + "http" in escaped                  # no bare-URL autolink either
    assert plain("two\n\nparagraphs") == "two paragraphs"


def test_a_hostile_model_folder_name_is_shown_as_text_in_the_sidebar():
    from streamlit.testing.v1 import AppTest
    app = AppTest.from_file("app.py", default_timeout=120).run()
    app.sidebar.text_input[0].set_value("/nowhere/" + HOSTILE).run()
    errors = [e.value for e in app.sidebar.error]
    assert errors == [plain(f"/nowhere/{HOSTILE} is not a folder.")]
