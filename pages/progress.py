"""Progress: a client's sessions over time — score, rep count and range of motion per
exercise — with a PDF and CSVs per session, saving the clip just analysed, and deleting a
client with everything kept about them. Reads and writes fitscore_core.history only; every
name, file name and note is shown as plain text (ui/plain.py)."""

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from fitscore_core.analysis import words
from fitscore_core.errors import FitScoreError
from fitscore_core.history import History, default_path
from fitscore_core.report import angles_csv, report_data, reps_csv, stored_session_pdf
from fitscore_core.verdict import score_text
from ui.clients import open_history, save_form
from ui.draw import file_stem
from ui.plain import plain
from ui.plots import OKABE_ITO, layout

st.title("Progress")
PATH = default_path()
st.caption(f"Clients and sessions are kept on this computer in {plain(PATH)}; the video only "
           "when you tick “keep the video” when saving.")


def pdf_of(session_id: int) -> bytes:
    """A session's PDF, made when its button is pressed (its own connection: downloads are
    made on another thread)."""
    with History(PATH) as h:
        return stored_session_pdf(h, session_id)


def reps_csv_of(session_id: int) -> str:
    with History(PATH) as h:
        return reps_csv(report_data(h, session_id))


def angles_csv_of(session_id: int) -> str:
    with History(PATH) as h:
        return angles_csv(h.skeleton(session_id))


def counted(n: int, word: str) -> str:
    """'1 session', '2 sessions'."""
    return f"{n} {word}{'s' * (n != 1)}"


def progress_figure(frame, exercise: str) -> go.Figure:
    """Score, reps and range of motion of one exercise's sessions, one panel each."""
    rows = frame[frame["exercise"] == exercise]
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=("score (0–100)", "reps", "range of motion (°)"))
    for k, (column, colour) in enumerate((("score", OKABE_ITO[0]), ("reps", OKABE_ITO[2]),
                                          ("rom", OKABE_ITO[1])), start=1):
        fig.add_trace(go.Scatter(x=rows["date"], y=rows[column].astype(float),
                                 mode="lines+markers", name=column, showlegend=False,
                                 line=dict(color=colour, width=2)), row=k, col=1)
    fig.update_yaxes(range=[0, 100], row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=2, col=1)
    fig.update_yaxes(rangemode="tozero", row=3, col=1)
    return layout(fig, height=520)


h = open_history()
if h is None:
    st.stop()
notice = st.session_state.pop("progress_notice", None)
if notice:
    st.success(notice)

clients = {c.id: c.name for c in h.clients()}
with st.expander("New client", expanded=not clients):
    with st.form("new_client", clear_on_submit=True):
        name = st.text_input("Name", max_chars=120)
        if st.form_submit_button("Create client"):
            try:
                new = h.create_client(name)
            except FitScoreError as error:
                st.error(plain(error))
            else:
                st.session_state["progress_client"] = new
                clients = {c.id: c.name for c in h.clients()}
if not clients:
    st.info("No clients yet: create one above.")
    st.stop()
if st.session_state.get("progress_client") not in clients:
    st.session_state["progress_client"] = next(iter(clients))
client = st.selectbox("Client", list(clients), key="progress_client",
                      format_func=lambda cid: clients.get(cid, "?"))
client_name = clients[client]

analysis = st.session_state.get("analysis")
choice = st.session_state.get("choice")
if analysis is not None and choice is not None:
    # Keyed, its state on the server: the save's rerun cannot close it again. The form is
    # drawn only once the server knows it is open, so its Save button cannot be pressed
    # while the opening's own rerun is still under way (a press then was lost 1 run in 15).
    box = st.expander("Save the clip analysed on the Analyze page to this client",
                      key="progress_save_open", on_change="rerun")
    with box:
        if box.open:
            save_form(h, client, client_name, analysis, choice, key="progress")

frame = h.progress(client)
sessions = list(reversed(h.sessions(client)))
if frame.empty:
    st.info(f"No sessions for {plain(client_name)} yet: analyse a clip, then save it here.")
else:
    exercises = list(dict.fromkeys(frame["exercise"]))
    for exercise in exercises:
        count = int((frame["exercise"] == exercise).sum())
        st.subheader(f"{plain(words(exercise))} · {counted(count, 'session')}")
        st.plotly_chart(progress_figure(frame, exercise), key=f"progress_{exercise}")
    st.subheader("Sessions")
    for s in sessions:
        left, pdf_col, reps_col, angles_col = st.columns([4, 1, 1, 1])
        notes = f" · {s.notes}" if s.notes else ""
        left.text(f"{s.created[:16]} · {s.source_name} · {words(s.exercise)} · score "
                  f"{score_text(s.score)} · {counted(s.reps, 'rep')}{notes}")
        stem = f"{file_stem(client_name)}_{s.created[:10]}_{s.id}"
        pdf_col.download_button("PDF", data=lambda sid=s.id: pdf_of(sid),
                                file_name=f"{stem}.pdf", mime="application/pdf",
                                key=f"pdf_{s.id}", on_click="ignore")
        reps_col.download_button("Reps CSV", data=lambda sid=s.id: reps_csv_of(sid),
                                 file_name=f"{stem}_reps.csv", mime="text/csv",
                                 key=f"reps_{s.id}", on_click="ignore")
        angles_col.download_button("Angles CSV", data=lambda sid=s.id: angles_csv_of(sid),
                                   file_name=f"{stem}_angles.csv", mime="text/csv",
                                   key=f"angles_{s.id}", on_click="ignore")
    st.download_button("All sessions (CSV)", frame.to_csv(index=False),
                       file_name=f"{file_stem(client_name)}_progress.csv", mime="text/csv",
                       key="progress_csv", on_click="ignore")

st.divider()
if st.session_state.get("confirm_delete") != client:
    if st.button(f"Delete client {plain(client_name)}…" if len(client_name) < 40 else
                 "Delete client…",
                 key="delete_client"):
        st.session_state["confirm_delete"] = client
        st.rerun()
else:
    videos = sum(s.has_video for s in sessions)
    reps = sum(s.reps for s in sessions)
    st.warning(f"Delete {plain(client_name)} and everything kept about them: "
               f"{counted(len(sessions), 'session')}, {counted(reps, 'rep')} with their "
               f"scores and ranges of motion, the skeletons, the notes"
               + (f" and {counted(videos, 'kept video')}" if videos else "")
               + ". This cannot be undone.")
    yes, no = st.columns(2)
    if yes.button("Yes, delete for good", type="primary", key="delete_yes"):
        gone = h.delete_client(client)
        st.session_state.pop("confirm_delete", None)
        st.session_state.pop("progress_client", None)
        st.session_state["progress_notice"] = (
            f"Deleted {plain(client_name)}: {counted(gone['sessions'], 'session')}, "
            f"{counted(gone['reps'], 'rep')}"
            + (f", {counted(gone['videos'], 'video')}" if gone["videos"] else "")
            + ". They are gone from the database.")
        st.rerun()
    if no.button("Cancel", key="delete_no"):
        st.session_state.pop("confirm_delete", None)
        st.rerun()
h.close()
