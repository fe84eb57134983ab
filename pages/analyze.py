"""Analyze: choose a clip (a sample, an upload), the exercise and the reference; both models'
answers side by side, for one exercise, with the camera view and the faults it cannot show."""

import math

import pandas as pd
import streamlit as st

from fitscore_core.analysis import confidence, words
from fitscore_core.synth.exercises import EXERCISES
from ui import state
from ui.plain import plain

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
    st.error(plain(st.session_state.get("error", "Nothing analysed yet.")))
    st.stop()

seq = result.sequence
view = result.view
st.caption(f"**{plain(state.current_choice().label)}**: {seq.n_frames} frames, "
           f"{seq.duration_s:.1f} s at {seq.fps:g} fps · pose: {plain(seq.backend)} · camera: "
           f"{plain(view.describe())}", help="The camera angle is estimated from the skeleton (how "
           "wide the shoulders and hips look, which side is seen more clearly). Faults that "
           "cannot be seen from it are listed as not judged instead of getting a probability.")
exercise_words = plain(words(result.exercise))   # a trained model may name any exercise
if not result.known:
    st.warning("This does not look like one of the exercises FitScore knows, so it gets no "
               "score, no faults and no comparison. If it is one of them, choose it under "
               "Exercise and press Analyze.")
elif result.agree:
    st.success(f"Both models see a **{exercise_words}**."
               + (" (your choice)" if result.chosen_by == "user" else ""))
else:
    st.warning(f"The models disagree on the exercise; everything below is for a "
               f"**{exercise_words}**"
               + (" (your choice)." if result.chosen_by == "user" else
                  " (the more confident answer).") + " " + ", ".join(
                   f"{name} says {plain(words(own.exercise))} ({confidence(own):.0%})"
                   for name, own in result.own_predictions.items()) + ".")

for column, (name, p) in zip(st.columns(len(result.predictions)), result.predictions.items()):
    own = result.own_predictions.get(name, p)
    with column:
        st.subheader("1D-CNN" if name == "cnn1d" else "LSTM")
        a, b = st.columns(2)
        a.metric("Exercise", own.exercise.replace("_", " "), f"{confidence(own):.0%} confidence",
                 delta_color="off",
                 help="The exercise this model recognises on its own, with its probability.")
        b.metric("Score", f"{p.score:.0f} / 100" if math.isfinite(p.score) else "—",
                 help=f"For the {exercise_words}: the mean of the rep scores; 100 is a "
                      "textbook execution; faults, rushing and a short range of motion cost "
                      "points." if result.known else "No score: the exercise is unknown.")
        if result.known and own.exercise != result.exercise:
            st.caption(f"Scored as a {exercise_words}, the exercise of this analysis.")
        for reason in p.reasons:
            st.info(f"Low confidence: {plain(reason)}.")
        if p.faults:
            faults = pd.DataFrame({"fault": [f.replace("_", " ") for f in p.faults],
                                   "probability": list(p.faults.values())})
            st.dataframe(faults.sort_values("probability", ascending=False), hide_index=True,
                         column_config={"probability": st.column_config.ProgressColumn(
                             "probability", format="percent", min_value=0, max_value=1,
                             help="How likely the model finds each fault (flagged from "
                                  "50 %).")},
                         width="stretch")
        hidden = result.unjudged.get(name, ())
        if hidden:
            st.caption("Cannot be judged from this camera angle "
                       f"({view.view} view): " + ", ".join(plain(words(f)) for f in hidden) + ".")
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
        st.markdown(f"- {plain(line.text)}" + (f"  \n  <small>({plain(line.source)})</small>"
                                              if line.source else ""), unsafe_allow_html=True)
for note in result.notes:
    st.caption(f"Note: {plain(note)}")
