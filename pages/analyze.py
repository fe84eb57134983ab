"""Analyze: choose a clip (a sample, an upload), the exercise and the reference; both models'
answers side by side."""

import pandas as pd
import streamlit as st

from fitscore_core.synth.exercises import EXERCISES
from ui import state

st.title("Analyze a clip")
with st.form("choose"):
    left, mid, right = st.columns([2, 1, 1])
    source = left.radio("Clip", ["Sample video", "Upload"], horizontal=True)
    sample = left.selectbox("Sample video", state.sample_names(),
                            index=state.sample_names().index(state.DEFAULT_SAMPLE))
    upload = left.file_uploader(
        "Upload a video or an OpenPose JSON zip", type=state.UPLOAD_TYPES,
        help="mp4, mov, avi, webm or mkv, or a .zip of OpenPose --write_json output. Up to "
             "500 MB and 120 s; longer clips are refused with a message.")
    exercise = mid.selectbox("Exercise", ["Auto-detect"] + list(EXERCISES),
                             help="Auto-detect lets the models say which exercise it is; "
                                  "choose one to override them.")
    ref_kind = right.radio("Reference", ["Built-in", "Upload"],
                           help="The correct execution the client is compared with: the "
                                "built-in one for the exercise, or a clip of your own.")
    ref_upload = right.file_uploader("Reference clip", type=state.UPLOAD_TYPES)
    pressed = st.form_submit_button("Analyze", type="primary")

if pressed:
    if source == "Upload" and upload is None:
        st.error("Choose a file to upload first (or pick a sample video).")
        st.stop()
    choice = (state.saved_upload(upload.name, upload.getvalue()) if source == "Upload"
              else state.sample_choice(sample))
    if ref_kind == "Upload" and ref_upload is not None:
        ref = state.saved_upload(ref_upload.name, ref_upload.getvalue())
        choice = state.Choice(choice.path, choice.label, choice.digest, reference=ref.path,
                              reference_label=ref.label)
    if exercise != "Auto-detect":
        choice = state.Choice(choice.path, choice.label, choice.digest, exercise,
                              choice.reference, choice.reference_label)
    state.run(choice)

result = state.current()
if result is None:
    st.error(st.session_state.get("error", "Nothing analysed yet."))
    st.stop()

seq = result.sequence
st.caption(f"**{state.current_choice().label}**: {seq.n_frames} frames, "
           f"{seq.duration_s:.1f} s at {seq.fps:g} fps · pose: {seq.backend}")
if result.agree:
    st.success(f"Both models see a **{result.exercise.replace('_', ' ')}**.")
else:
    st.warning("The models disagree on the exercise: " + ", ".join(
        f"{name} says {p.exercise.replace('_', ' ')}" for name, p in result.predictions.items()))

for column, (name, p) in zip(st.columns(len(result.predictions)), result.predictions.items()):
    with column:
        st.subheader("1D-CNN" if name == "cnn1d" else "LSTM")
        a, b = st.columns(2)
        a.metric("Exercise", p.exercise.replace("_", " "),
                 f"{p.exercise_probs[p.exercise]:.0%} confidence", delta_color="off",
                 help="The exercise this model recognises, with its probability.")
        b.metric("Score", f"{p.score:.0f} / 100",
                 help="Mean of the rep scores: 100 is a textbook execution; faults, rushing "
                      "and a short range of motion cost points.")
        for reason in p.reasons:
            st.info(f"Low confidence: {reason}.")
        faults = pd.DataFrame({"fault": [f.replace("_", " ") for f in p.faults],
                               "probability": list(p.faults.values())})
        st.dataframe(faults.sort_values("probability", ascending=False), hide_index=True,
                     column_config={"probability": st.column_config.ProgressColumn(
                         "probability", format="percent", min_value=0, max_value=1,
                         help="How likely the model finds each fault (flagged from 50 %).")},
                     width="stretch")
        reps = pd.DataFrame([{"rep": i + 1, "from (s)": r.start / seq.fps,
                              "to (s)": r.end / seq.fps, "score": r.score}
                             for i, r in enumerate(p.reps)])
        if len(reps):
            st.dataframe(reps, hide_index=True, width="stretch",
                         column_config={"score": st.column_config.NumberColumn(format="%.0f"),
                                        "from (s)": st.column_config.NumberColumn(format="%.1f"),
                                        "to (s)": st.column_config.NumberColumn(format="%.1f")})

if result.feedback:
    st.subheader("What to tell the client")
    for line in result.feedback:
        st.markdown(f"- {line.text}" + (f"  \n  <small>({line.source})</small>"
                                       if line.source else ""), unsafe_allow_html=True)
for note in result.notes:
    st.caption(f"Note: {note}")
