"""Models: the 1D-CNN and the LSTM side by side: their answers, what drove each score
(joint × time attribution, joint importance), what-if re-scoring, and each model card."""

import math

import pandas as pd
import streamlit as st

from fitscore_core.errors import FitScoreError
from fitscore_core.pose.names import joint_name
from fitscore_core.pose.skeletons import MODEL_15
from fitscore_core.scorers.attribution import what_if
from fitscore_core.verdict import score_text
from ui import plots, state
from ui.model_folders import card_sections, figures, folder_label
from ui.plain import plain


@st.cache_data(show_spinner="Re-scoring with the joint moved…", max_entries=256)
def what_if_predictions(clip_key: str, joint: str, dx: float, dy: float, range_scale: float,
                        frames: tuple[int, int] | None, exercises: tuple[tuple[str, str], ...],
                        _scorers: dict, _features) -> dict:
    """Both models' answers for the clip with one joint moved. Keyed by the clip (content
    digest and exercise override) and the control values; the scorers and the features
    belong to that clip and are not hashed."""
    return {name: what_if(_scorers[name], _features, joint, (dx, dy), range_scale, frames,
                          exercise) for name, exercise in exercises}


def _count(value) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


def _minutes(seconds) -> str:
    return f"{seconds / 60:.0f}" if isinstance(seconds, (int, float)) else "?"


def card_summary(card: dict) -> None:
    """One model card, in a trainer's words plus the numbers."""
    if not card:
        st.info("This checkpoint came without a model card.")
        return
    arch, data = card.get("architecture", {}), card.get("training_data", {})
    training = card.get("training", {})
    st.markdown(
        f"**Network:** {plain(arch.get('class', '?'))}"      # the card's text made plain
        f"{' ' + plain(arch['config']) if arch.get('config') else ''}, "
        f"{_count(arch.get('parameters'))} parameters  \n"
        f"**Trained on:** {plain(data.get('description', 'not recorded'))}  \n"
        f"**Clips:** {_count(data.get('clips'))} ({_count(data.get('train_clips'))} training, "
        f"{_count(data.get('validation_clips'))} validation, "
        f"{_count(data.get('test_clips'))} test; split {plain(data.get('split', '?'))})  \n"
        f"**Training:** {training.get('epochs_run', '?')} epochs, "
        f"{_minutes(card.get('training_time_s'))} min on {plain(card.get('machine', '?'))}  \n"
        f"**Seed:** {plain(card.get('seed', '?'))} · **commit:** "
        f"{plain(card.get('git_commit', '?'))}")
    metrics = card.get("test_metrics", {})
    if metrics:
        st.markdown("**Test metrics** (clips never seen in training), per camera view:",
                    help="Exercise accuracy: share of clips whose exercise it named right. "
                         "Score MAE: its average miss of the true score, in score points. "
                         "Spearman: how well it ranks clips from worst to best (1 = "
                         "perfectly). Fault F1: how well it flags faults, averaged over all "
                         "faults (1 = every fault found, no false alarms).")
        rows = {"test clips": ("clips", "{:,.0f}"),
                "exercise accuracy": ("exercise_accuracy", "{:.1%}"),
                "score MAE (points)": ("score_mae", "{:.1f}"),
                "score Spearman": ("score_spearman", "{:.2f}"),
                "fault F1 (macro)": ("fault_macro_f1", "{:.2f}")}
        table = pd.DataFrame({view: {label: (fmt.format(m[key]) if m.get(key) is not None
                                             else "–") for label, (key, fmt) in rows.items()}
                              for view, m in metrics.items()})
        st.dataframe(table, width="stretch")
    for key, section in card_sections(card).items():
        st.markdown(f"**{key.replace('_', ' ').capitalize()}:**  \n" + "  \n".join(
            plain(line) for line in figures(section)))
    for note in ("git_commit_note", "wall_time_note"):
        if card.get(note):
            st.caption(plain(card[note]))


st.title("The two models side by side")
st.caption("A 1D-CNN (looks at short stretches of movement) and an LSTM (follows the movement "
           "frame by frame) read the same tensor. Where they agree you can trust the answer "
           "more; where they differ, look at the clip.")
result = state.explained(state.analysis_or_stop())
names = list(result.predictions)
fps = result.model_features.fps

st.subheader("Their answers", help=(
    "The score is out of 100: 100 is a textbook execution; faults, rushing and a short range "
    "of motion cost points. Confidence is how sure the model is of the exercise."))
for column, name in zip(st.columns(len(names)), names):
    p = result.predictions[name]
    with column:
        st.markdown(f"#### {plots.model_label(name)}")
        a, b, c = st.columns(3)
        a.metric(f"{plots.model_label(name)} score",
                 f"{score_text(p.score)} / 100" if math.isfinite(p.score) else "—",
                 help="The mean of the rep scores, in score points (0–100).")
        b.metric("Exercise", p.exercise.replace("_", " "),
                 f"{p.exercise_probs.get(p.exercise, 0.0):.0%} confidence", delta_color="off",
                 help="The exercise this model recognises, with its probability.")
        c.metric("Reps", len(p.reps), help="Complete repetitions found and scored one by one.")
        flagged = [f"{f.replace('_', ' ')} ({v:.0%})" for f, v in
                   sorted(p.faults.items(), key=lambda kv: -kv[1]) if v >= 0.5]
        st.caption("Faults flagged: " + (plain(", ".join(flagged)) if flagged else "none"))
        for reason in p.reasons:
            st.info(f"Low confidence: {plain(reason)}.")

st.subheader("What drove each score", help=(
    "Which joints, and when, moved the score: the brighter a cell, the more that joint at that "
    "moment changed the score (in score points), whether up or down. The bars add it up per "
    "joint. Against the reference, this shows where the client's form differs from a correct "
    "execution in ways the model cares about."))
if not result.attributions:
    st.info("No explanation was computed for this clip.")
else:
    for column, name in zip(st.columns(len(names)), names):
        attribution = result.attributions.get(name)
        with column:
            st.markdown(f"#### {plots.model_label(name)}", help=(
                f"Method: {attribution.method}. The cells add up to the score minus the "
                f"baseline's score ({attribution.score:.1f} − {attribution.baseline_score:.1f} "
                "points).") if attribution else None)
            if attribution is None:
                st.info("No explanation for this model.")
                continue
            st.plotly_chart(plots.attribution_heatmap(attribution.joint_time, MODEL_15.joints,
                                                      fps), key=f"attribution_{name}")
            st.plotly_chart(plots.importance_bars(attribution.joint_importance,
                                                  plots.OKABE_ITO[names.index(name)]),
                            key=f"importance_{name}")

st.subheader("What if…", help=(
    "Move one joint, or make its movement bigger or smaller, and both models score the clip "
    "again. Example: move the knees outwards to see how much of the score the knees cost."))
duration = result.model_features.n_frames / fps
top = next(iter(result.attributions.values()), None)
default_joint = next(iter(top.joint_importance)) if top else "RKnee"
j, x, y, r = st.columns(4)
joint = j.selectbox("Joint", MODEL_15.joints, index=MODEL_15.joints.index(default_joint),
                    format_func=joint_name,
                    key="whatif_joint", help="The joint to change (the others stay as filmed).")
dx = x.slider("Move sideways (dx)", -0.5, 0.5, 0.0, 0.05, format="%.2f torso lengths",
              key="whatif_dx", help="Shift the joint left (−) or right (+) in the picture, in "
                                    "torso lengths (neck to hips).")
dy = y.slider("Move up/down (dy)", -0.5, 0.5, 0.0, 0.05, format="%.2f torso lengths",
              key="whatif_dy", help="Shift the joint down (−) or up (+), in torso lengths.")
scale = r.slider("Range of motion", 0.0, 2.0, 1.0, 0.1, format="%.1f ×", key="whatif_range",
                 help="1 = as filmed, 0.5 = half the movement, 0 = held still, 2 = twice as "
                      "much, around the joint's average position.")
span = st.slider("During", 0.0, round(duration, 2), (0.0, round(duration, 2)), 1 / fps,
                 format="%.1f s", key="whatif_span",
                 help="Change the joint only in this part of the clip (seconds).")
n_frames = result.model_features.n_frames
frames = (int(round(span[0] * fps)), min(int(round(span[1] * fps)), n_frames))
frames = None if frames == (0, n_frames) else frames
choice = state.current_choice()
clip_key = (f"{choice.digest}|{choice.exercise}" if choice else result.sequence.source) \
    + f"|{state.models_key()}"   # the same clip scored by other models is another entry
changed = None
if not result.known:
    st.info("This clip is none of the exercises FitScore knows, so there is no score to change.")
elif frames is not None and frames[1] <= frames[0]:
    st.warning("Choose a stretch of the clip at least one frame long under “During”.")
else:
    try:
        changed = what_if_predictions(clip_key, joint, dx, dy, scale, frames,
                                      tuple((n, result.predictions[n].exercise) for n in names),
                                      state.models(), result.model_features)
    except FitScoreError as error:
        st.error(plain(error))
if changed is not None:
    for column, name in zip(st.columns(len(names)), names):
        old, new = result.predictions[name].score, changed[name].score
        delta = f"{new - old:+.1f} points" if abs(new - old) >= 0.05 else None
        column.metric(f"{plots.model_label(name)} what-if score", f"{score_text(new)} / 100",
                      delta, help=(
                          f"The score with the {joint_name(joint)} changed, against "
                          f"{score_text(old)} as filmed (same exercise; the reps are found "
                          "again). The change is in tenths of a point: small moves show."))

st.subheader("Model cards", help=(
    "How each model was made and how well it did on clips it never saw during training, "
    "overall and per camera view."))
st.caption(f"Models: {plain(folder_label(state.model_folder()))} (chosen in the sidebar).")
scorers = state.models()
for column, name in zip(st.columns(len(names)), names):
    with column, st.expander(f"Model card: {plots.model_label(name)}"):
        card_summary(scorers[name].card if name in scorers else {})
