"""Saving the analysed clip to a client's history (fitscore_core/history.py): the same form
on Analyze (with a client picker that can create one) and on Progress, and the one way
pages open the history.

    >>> from ui.clients import open_history, save_form
    >>> h = open_history()                                               # doctest: +SKIP
    >>> save_form(h, client_id, "Anna", analysis, choice, key="analyze")   # doctest: +SKIP
"""

from pathlib import Path

import streamlit as st

from fitscore_core.analysis import Analysis, words
from fitscore_core.errors import FitScoreError
from fitscore_core.history import History, default_path
from ui.plain import plain


def open_history() -> History | None:
    """The history database (its folder documented in README), or None with the reason
    shown on the page (a folder that cannot be written, a file from a newer FitScore)."""
    try:
        return History(default_path())
    except FitScoreError as error:
        st.error(plain(error))
        return None


def save_form(h: History, client_id: int, client_name: str, analysis: Analysis, choice,
              key: str) -> None:
    """Notes, "keep the video" and a Save button; the session is saved when pressed (the
    video only when ticked), the boxes are emptied and the page says so.

    A plain button, not an st.form: a form's submit button is wired up in the browser only
    after it is drawn, so a quick click could be lost (seen 1 run in 10 of the browser
    test); a button's click always reaches the server."""
    st.text(f"Clip: {choice.label} · {words(analysis.exercise)} · client: {client_name}")
    notes = st.text_area("Notes (optional)", max_chars=2000, key=f"{key}_notes")
    keep = st.checkbox("Keep the video", key=f"{key}_keep",
                       help="Off: only the skeleton, the scores and the notes are kept, "
                            "not the video itself.")
    saved = st.session_state.pop(f"{key}_saved", None)
    if saved:
        st.success(saved)
    if not st.button("Save session", key=f"{key}_save"):
        return
    video = Path(choice.path).read_bytes() if keep and Path(choice.path).is_file() else None
    try:
        h.save_session(client_id, analysis, source_name=choice.label, notes=notes,
                       video_bytes=video)
    except FitScoreError as error:
        st.error(plain(error))
        return
    st.session_state[f"{key}_saved"] = f"Saved {plain(choice.label)} for {plain(client_name)}."
    for box in (f"{key}_notes", f"{key}_keep"):      # empty, as after a form's submit
        del st.session_state[box]
    st.rerun()


NEW_CLIENT = -1   # the "new client" entry of the picker


def client_form(choice) -> None:
    """On Analyze: pick a client (or create one), then save the current analysis to them."""
    analysis = st.session_state.get("analysis")
    if analysis is None:
        return
    h = open_history()
    if h is None:
        return
    with h:
        clients = {c.id: c.name for c in h.clients()}
        made = st.session_state.pop("analyze_client_made", None)
        if made in clients:                          # just created: chosen
            st.session_state["analyze_client"] = made
        if st.session_state.get("analyze_client") not in [NEW_CLIENT, *clients]:
            st.session_state["analyze_client"] = next(iter(clients), NEW_CLIENT)
        picked = st.selectbox("Client", [*clients, NEW_CLIENT], key="analyze_client",
                              format_func=lambda cid: clients.get(cid, "New client…"))
        if picked == NEW_CLIENT:
            with st.form("analyze_new_client", clear_on_submit=True):
                name = st.text_input("New client's name", max_chars=120)
                if st.form_submit_button("Create client"):
                    try:
                        st.session_state["analyze_client_made"] = h.create_client(name)
                    except FitScoreError as error:
                        st.error(plain(error))
                    else:
                        st.rerun()
            return
        save_form(h, picked, clients[picked], analysis, choice, key="analyze")
