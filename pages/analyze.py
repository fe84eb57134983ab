"""Analyze: choose a clip (a sample, an upload), the exercise and the reference; the clip
plays with its skeleton drawn on it, over a timeline of its reps (number, score) and fault
moments (a click seeks the video there); both models' answers side by side, for one
exercise, with the camera view and the faults it cannot show."""

import math

import pandas as pd
import streamlit as st

from fitscore_core.analysis import confidence, words
from fitscore_core.annotate import has_video
from fitscore_core.errors import FitScoreError
from fitscore_core.synth.exercises import EXERCISES
from fitscore_core.timeline import timeline
from fitscore_core.verdict import rounded, score_text
from ui import state
from ui.clients import client_form
from ui.plain import plain
from ui.timeline import clicked_second, pause_script, play_script, seek_script, timeline_figure
from ui.verdict_view import show_feedback, show_verdict

PENDING = "analyze_pending"       # Analyze was pressed; waiting for an upload to finish
FOLLOW = "analyze_follow_upload"  # Analyze was pressed for an upload: analyse the box's file,
                                  # also one that arrives later, until the choice changes
ANALYSED = "analyze_analysed_upload"  # the file_id of the upload last analysed
SEEK = "analyze_seek"             # (second, nonce) a timeline click asked for
OPENED = "analyze_opened"         # the clip whose video was last opened (and started)
VIDEO_WIDTH = 760                 # px: large, yet the verdict below is in view


def forget_pending() -> None:
    for name in (PENDING, FOLLOW):
        st.session_state.pop(name, None)


def seek(seconds: float) -> None:
    nonce = st.session_state.get(SEEK + "_nonce", 0) + 1
    st.session_state[SEEK + "_nonce"] = nonce
    st.session_state[SEEK] = (float(seconds), nonce)


def on_timeline() -> None:
    second = clicked_second(st.session_state.get("analyze_timeline"))
    if second is not None:
        seek(second)


st.title("Analyze a clip")
# No st.form: inside one, the radios would not rerun the page, so the sample picker and the
# upload boxes could not appear only for the choice made.
left, mid, right = st.columns([2, 1, 1])
source = left.radio("Clip", ["Sample video", "Upload"], horizontal=True, key="analyze_source",
                    on_change=forget_pending)
sample = upload = ref_upload = None
if source == "Sample video":
    sample = left.selectbox("Sample video", state.sample_names(), key="analyze_sample",
                            index=state.sample_names().index(state.DEFAULT_SAMPLE))
else:
    upload = left.file_uploader(
        "Upload a video or an OpenPose JSON zip", type=state.UPLOAD_TYPES, key="analyze_upload",
        help="mp4, mov, avi, webm or mkv, or a .zip of OpenPose --write_json output. Up to "
             "500 MB and 120 s; longer clips are refused with a message.")
exercise = mid.selectbox("Exercise", ["Auto-detect"] + list(EXERCISES), key="analyze_exercise",
                         help="Auto-detect lets the models say which exercise it is; "
                              "choose one to override them.")
ref_kind = right.radio("Reference", ["Built-in", "Upload"], key="analyze_ref_kind",
                       on_change=forget_pending,
                       help="The correct execution the client is compared with: the "
                            "built-in one for the exercise, or a clip of your own.")
if ref_kind == "Upload":
    ref_upload = right.file_uploader("Reference clip", type=state.UPLOAD_TYPES,
                                     key="analyze_ref_upload")
if st.button("Analyze", type="primary"):
    st.session_state[PENDING] = True
    st.session_state[FOLLOW] = source == "Upload"
elif (st.session_state.get(FOLLOW) and upload is not None
      and upload.file_id != st.session_state.get(ANALYSED)):
    # A file that arrived after Analyze was pressed (pressed while it was still uploading,
    # the press saw the box's previous file): the file in the box is the one to analyse.
    st.session_state[PENDING] = True

# Progress bars and messages of the analysis in one container: what follows stays at the
# same place on every rerun, so the video is not re-created (and restarted) by a click.
work = st.container()
with work:
    if st.session_state.get(PENDING):
        # An upload still on its way is not in the widget yet: wait for it (its arrival reruns
        # the page) instead of saying no file was chosen.
        waiting = [what for what, missing in (("clip", source == "Upload" and upload is None),
                                              ("reference clip",
                                               ref_kind == "Upload" and ref_upload is None))
                   if missing]
        if waiting:
            st.info(f"The analysis starts as soon as the {' and the '.join(waiting)} "
                    f"{'has' if len(waiting) == 1 else 'have'} finished uploading. If no file is "
                    "chosen yet, choose one above.")
        else:
            # FOLLOW stays: a file still on its way when Analyze was pressed replaces the one
            # analysed now, and is analysed when it arrives (the elif above)
            st.session_state.pop(PENDING, None)
            choice = (state.saved_upload(upload.name, upload.getvalue()) if upload is not None
                      else state.sample_choice(sample))
            st.session_state[ANALYSED] = upload.file_id if upload is not None else None
            if ref_upload is not None:
                ref = state.saved_upload(ref_upload.name, ref_upload.getvalue())
                choice = state.Choice(choice.path, choice.label, choice.digest, reference=ref.path,
                                      reference_label=ref.label)
            if exercise != "Auto-detect":
                choice = state.Choice(choice.path, choice.label, choice.digest, exercise,
                                      choice.reference, choice.reference_label)
            st.html(pause_script(choice.digest), unsafe_allow_javascript=True)
            state.run(choice)

    result = state.current()
if result is None:
    st.error(plain(st.session_state.get("error", "Nothing analysed yet.")))
    st.stop()

seq = result.sequence
view = result.view
st.caption(f"**{plain(state.current_choice().label)}**: {seq.n_frames} frames, "
           f"{seq.duration_s:.1f} s at {seq.fps:g} fps · pose: {plain(seq.backend)} · camera: "
           f"{plain(view.describe())}", help="The camera angle is estimated from the skeleton (how "
           "wide the shoulders and hips look, which side is seen more clearly). Faults that "
           "cannot be seen from it are listed as not judged instead of getting a probability.")
choice_now = state.current_choice()
video_path = choice_now.path if choice_now is not None and has_video(choice_now.path) else None
show_verdict(result, video_path, f"{choice_now.digest if choice_now else ''}|"
             f"{state.models_key()}")
exercise_words = plain(words(result.exercise))   # a trained model may name any exercise
if result.known and result.agree:
    st.success(f"Both models see a **{exercise_words}**."
               + (" (your choice)" if result.chosen_by == "user" else ""))
video_slot = st.container()     # filled last, so the verdict is on screen while it renders

# Keyed, with its state on the server: opened while the page is still being drawn, it stays
# open when the page is drawn again (unkeyed, a rerun could close it again).
details = st.expander("Model details: the 1D-CNN and the LSTM side by side, and the full "
                      "feedback", expanded=False, key="analyze_details", on_change="rerun")
with details:
    if result.known and not result.agree:
        st.warning(f"The models disagree on the exercise; everything below is for a "
                   f"**{exercise_words}**"
                   + (" (your choice)." if result.chosen_by == "user" else
                      " (the more confident answer).") + " " + ", ".join(
                       f"{name} says {plain(words(own.exercise))} ({confidence(own):.0%})"
                       for name, own in result.own_predictions.items()) + ".")
    model_columns = st.columns(len(result.predictions))
for column, (name, p) in zip(model_columns, result.predictions.items()):
    own = result.own_predictions.get(name, p)
    with column:
        st.subheader("1D-CNN" if name == "cnn1d" else "LSTM")
        a, b = st.columns(2)
        a.metric("Exercise", words(own.exercise), f"{confidence(own):.0%} confidence",
                 delta_color="off", delta_arrow="off",
                 help="The exercise this model recognises on its own, with its probability.")
        b.metric("Score", f"{score_text(p.score)} / 100" if math.isfinite(p.score) else "—",
                 help=f"For the {exercise_words}: the mean of the rep scores; 100 is a "
                      "textbook execution; faults, rushing and a short range of motion cost "
                      "points." if result.known else "No score: the exercise is unknown.")
        if result.known and own.exercise != result.exercise:
            st.caption(f"Scored as a {exercise_words}, the exercise of this analysis.")
        for reason in p.reasons:
            st.info(f"Low confidence: {plain(reason)}.")
        if p.faults:
            faults = pd.DataFrame({"fault": [words(f) for f in p.faults],
                                   "probability": [round(100 * v) for v in p.faults.values()]})
            st.dataframe(faults.sort_values("probability", ascending=False), hide_index=True,
                         column_config={"probability": st.column_config.ProgressColumn(
                             "probability", format="%d %%", min_value=0, max_value=100,
                             help="How likely the model finds each fault (flagged from "
                                  "50 %).")},
                         width="stretch")
        hidden = result.unjudged.get(name, ())
        if hidden:
            st.caption("Cannot be judged from this camera angle "
                       f"({view.view} view): " + ", ".join(plain(words(f)) for f in hidden) + ".")
        reps = pd.DataFrame([{"rep": i + 1, "from (s)": r.start / seq.fps,
                              "to (s)": r.end / seq.fps, "score": rounded(r.score)}
                             for i, r in enumerate(p.reps)])
        if len(reps):
            st.dataframe(reps, hide_index=True, width="stretch",
                         column_config={"score": st.column_config.NumberColumn(format="%d"),
                                        "from (s)": st.column_config.NumberColumn(format="%.1f"),
                                        "to (s)": st.column_config.NumberColumn(format="%.1f")})

with details:
    if result.measured:
        st.subheader("Measured on the skeleton")
        st.caption("Read off the frames, not guessed by a model; a rep scores at most 100 "
                   "less these points, whatever the models' score.")
        st.dataframe(pd.DataFrame([{
            "rep": "whole clip" if f.rep is None else str(f.rep + 1),
            "fault": plain(words(f.fault)), "measured": plain(f.describe()),
            "points": round(f.points)} for f in result.measured]),
            hide_index=True, width="stretch")
    if result.feedback:
        st.subheader("What the models and the comparison say")
        show_feedback(result.feedback)
    for note in result.notes:
        st.caption(f"Note: {plain(note)}")

if result.known and choice_now is not None:
    # Keyed, like Model details: a rerun (the save's) cannot close it again. Its form is
    # drawn once the server knows it is open, so no press can land during the opening's
    # rerun (as on Progress).
    save_box = st.expander("Save this session to a client", key="analyze_save_open",
                           on_change="rerun")
    with save_box:
        if save_box.open:
            client_form(choice_now)

with video_slot:
    try:
        with st.container():                 # its progress bar: the video's place is fixed
            clip = state.annotated_video(result, state.current_choice())
    except FitScoreError as error:
        st.warning(f"The video with the skeleton could not be made: {plain(error)}")
    else:
        st.video(clip, format="video/mp4", autoplay=True, muted=True, loop=True,
                 width=VIDEO_WIDTH)
        marks = timeline(result)
        if marks:
            st.plotly_chart(timeline_figure(marks, seq.duration_s), key="analyze_timeline",
                            on_select=on_timeline, selection_mode="points",
                            config={"displayModeBar": False})
            with st.container(horizontal=True, key="analyze_marks"):
                for i, mark in enumerate(marks):
                    st.button(plain(mark.label) + (f" (rep {mark.rep})" if mark.kind == "fault"
                                                   else ""),
                              key=f"analyze_mark_{i}", on_click=seek, args=(mark.seek_s,),
                              icon=(":material/replay:" if mark.kind == "rep"
                                    else ":material/warning:"),
                              help=f"Show the video from {mark.seek_s:.1f} s.")
        opened = (state.current_choice().digest if state.current_choice() else "",
                  state.models_key())
        if st.session_state.get(OPENED) != opened:      # a new clip opens playing
            st.session_state[OPENED] = opened
            st.html(play_script(opened[0]), unsafe_allow_javascript=True)
        if SEEK in st.session_state:          # once: a later rerun does not seek again
            second, nonce = st.session_state.pop(SEEK)
            st.html(seek_script(second, nonce), unsafe_allow_javascript=True)
