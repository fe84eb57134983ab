"""Tensor: the normalized, zero-padded (30 × N) input both models read, with its mask; or the
cleaned keypoints in pixels; and chosen joints' trajectories under it."""

import streamlit as st

from fitscore_core.config import FEATURES
from fitscore_core.errors import FitScoreError
from fitscore_core.features import ROW_LABELS, to_model_input
from fitscore_core.pose.names import joint_name
from fitscore_core.pose.skeletons import MODEL_15
from ui import plots, state
from ui.defaults import default_joints
from ui.plain import plain

st.title("What the models read")
st.caption("Every frame becomes 30 numbers: the left–right (x) and height (y) of 15 joints. "
           "The clip is resampled to the models' rate, centred on the hips, measured in torso "
           f"lengths, and padded with zeros to {FEATURES.n_frames} frames "
           f"({FEATURES.n_frames / FEATURES.fps:g} s); longer clips are cut into overlapping "
           "windows.")
result = state.analysis_or_stop()
try:
    model_input = to_model_input(result.model_features, FEATURES)
except FitScoreError as error:
    st.error(plain(error))
    st.stop()

left, right = st.columns([1, 2])
raw = left.toggle("Raw pixels", key="tensor_raw",
                  help="Off: the normalized tensor the models read (torso lengths, hips at 0, "
                       "up is positive), padded to a fixed length. On: the cleaned keypoints "
                       "as the pose estimator placed them, in pixels of the video (y grows "
                       "downwards), at the video's own frame rate, without padding.")
n_windows = len(model_input.starts)
window = 0
if not raw and n_windows > 1:
    fps = model_input.fps

    def window_label(w: int) -> str:
        start = model_input.starts[w]
        end = start + model_input.mask[w].sum()
        return f"window {w + 1} of {n_windows}: {start / fps:.1f}–{end / fps:.1f} s"

    window = right.selectbox("Window", range(n_windows), format_func=window_label,
                             key="tensor_window",
                             help="This clip is longer than the models' "
                                  f"{FEATURES.n_frames} frames, so they read it in "
                                  "overlapping windows and combine the answers.")

seq = result.sequence
if raw:
    z = plots.pixel_rows(seq.keypoints)
    a, b, c = st.columns(3)
    a.metric("Rows × frames", f"30 × {seq.n_frames}",
             help="15 joints × (x, y) by every frame of the video.")
    b.metric("Frame rate", f"{seq.fps:g} frames/s", help="The video's own rate.")
    c.metric("Frame size", f"{seq.size[0]} × {seq.size[1]} px" if seq.size else "unknown",
             help="Pixels are measured in this frame (unknown for OpenPose JSON imports).")
    st.subheader("Keypoints in pixels", help=(
        "Each row is one coordinate of one joint, each column one video frame; the colour is "
        "where the joint was in the picture, in pixels. Gaps (blank) are frames where the "
        "joint was not found. This is before the hips are centred and the size is evened "
        "out, so a client standing further left or closer to the camera looks different."))
    fig = plots.tensor_heatmap(z, ROW_LABELS, seq.fps, "pixels",
                               colorscale=plots.PIXEL_HEATMAP)
else:
    z, mask = model_input.tensor[window], model_input.mask[window]
    n_real = int(mask.sum())
    a, b, c, d = st.columns(4)
    a.metric("Tensor", f"30 × {FEATURES.n_frames}",
             help="15 joints × (x, y) by N frames: the fixed size both models read.")
    b.metric("Real frames", f"{n_real}", help="Frames of the clip in this tensor.")
    c.metric("Padding", f"{FEATURES.n_frames - n_real} frames",
             help="Zeros after the clip ends; the mask tells the models to ignore them.")
    d.metric("Frame rate", f"{model_input.fps:g} frames/s",
             help=f"The clip ({seq.fps:g} frames/s) is resampled to the models' rate.")
    st.subheader("Normalized tensor", help=(
        "Each row is one coordinate of one joint, each column one frame as the models see it. "
        "Positions are in torso lengths (neck to hips) from the client's average hip "
        "position, up is positive, so a tall and a short client, near or far from the camera, "
        "give the same numbers for the same movement. Grey: padding. The strip underneath is "
        "the mask: blue frames are real, grey ones are ignored."))
    fig = plots.tensor_heatmap(z, ROW_LABELS, model_input.fps, "torso lengths",
                               first_frame=int(model_input.starts[window]), n_real=n_real,
                               mask=mask)
st.plotly_chart(fig, key="tensor_heatmap")

st.subheader("Joint trajectories", help=(
    "How the chosen joints move over the whole clip: the solid line is left–right, the dotted "
    "line is height. A squat shows the hips and knees dipping and rising once per rep."))
default = default_joints(result.exercise, ["RKnee", "LKnee"])
chosen = st.multiselect("Joints", MODEL_15.joints, default=default, key="tensor_joints",
                        format_func=joint_name,
                        help="Pick the joints to follow (by default the ones that travel "
                             "most in this exercise).")
if not chosen:
    st.info("Choose at least one joint to see its trajectory.")
elif raw:
    st.plotly_chart(plots.trajectories(plots.pixel_rows(seq.keypoints), None, MODEL_15.joints,
                                       chosen, seq.fps, "pixels", "pixels, down is positive"),
                    key="tensor_trajectories")
else:
    features = result.model_features
    st.plotly_chart(plots.trajectories(features.values, features.found, MODEL_15.joints,
                                       chosen, features.fps, "torso lengths",
                                       "torso lengths, up is positive"),
                    key="tensor_trajectories")
