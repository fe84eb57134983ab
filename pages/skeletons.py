"""Skeletons: each frame of the clip with the BODY_25 skeleton OpenPose would draw, the
reference pose DTW-matched with it, the frame's keypoints, and the downloads (OpenPose JSON
zip, annotated video)."""

import streamlit as st

from fitscore_core.annotate import LOW_CONFIDENCE, annotated_video_bytes, has_video
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.openpose_json import openpose_zip_bytes
from ui import draw, state
from ui.plain import plain

FRAME_KEY = "skel_frame"          # the slider
KEPT_KEY = "skel_frame_kept"      # its value, kept while the user is on another page
JUMP_KEY = "frame"                # a one-shot request from another page (Compare)
PLAY_EVERY_S = 0.25               # a new frame this often while playing

st.title("Skeletons")
st.caption("The skeleton the pose estimator found, drawn as OpenPose draws it (each limb in "
           "its own colour; joints it was unsure of are thin and faded), next to the "
           "reference pose matched with the same moment of the movement.")
result = state.analysis_or_stop()
choice = state.current_choice()
seq = result.sequence
video = choice.path if choice is not None and has_video(choice.path) else None
last = seq.n_frames - 1
if last < 0:
    st.warning("This clip has no frames to show.")
    st.stop()

# Opens at the worst moment of this clip (the first time it is shown here), at the frame a
# Compare click asked for, else where the user left it for this clip.
clip = choice.digest if choice is not None else seq.source
jump = st.session_state.pop(JUMP_KEY, None)
kept = st.session_state.get(KEPT_KEY)
if jump is not None:
    start = jump
elif kept is not None and kept[0] == clip:
    start = st.session_state.get(FRAME_KEY, kept[1])
else:
    start = draw.worst_frame(result)
st.session_state[FRAME_KEY] = min(max(int(start), 0), last)

playing = st.toggle("▶ Play", key="skel_play", disabled=last == 0,
                    help="Plays the clip at about its real speed, looping at the end. "
                         "Switch off to stop on a frame; the slider steps one frame at a "
                         "time (arrow keys work once it is selected).")
step = max(1, round(seq.fps * PLAY_EVERY_S))


@st.fragment(run_every=PLAY_EVERY_S if playing else None)
def viewer() -> None:
    """Slider, pictures and table: reruns on its own (and on a timer while playing)."""
    if st.session_state.get("skel_play") and last > 0:
        st.session_state[FRAME_KEY] = (st.session_state[FRAME_KEY] + step) % (last + 1)
    if last > 0:
        t = st.slider("Frame", 0, last, key=FRAME_KEY,
                      help=f"Frames of the video ({seq.fps:g} per second), counted from 0.")
    else:
        t = 0
    st.session_state[KEPT_KEY] = (clip, t)
    st.caption(f"Frame {t} of {last} · {t / seq.fps:.2f} s of {seq.duration_s:.1f} s")

    left, right = st.columns(2)
    with left:
        st.subheader("Client", help=(
            "The frame with the skeleton found in it, in OpenPose's BODY_25 colours. A thin, "
            f"faded limb or joint means the pose estimator was less than "
            f"{LOW_CONFIDENCE:.0%} sure of it; a missing one was not found at all."))
        try:
            image = draw.client_image(result, video, t)
        except FitScoreError as error:
            st.warning(f"{plain(error)} Showing the skeleton without the video.")
            image = draw.client_image(result, None, t)
        st.image(image, width=draw.shown_width(image), output_format="JPEG",
                 caption="video frame" if video else "keypoints only (no video for an "
                                                     "OpenPose JSON import)")
    with right:
        st.subheader("Reference at the same moment", help=(
            "The reference execution, matched with this moment of the client's rep by "
            "dynamic time warping (so a slower or faster rep still meets the same phase of "
            "the movement). Orange: the reference; thin blue: the client. Both are scaled to "
            "the client's torso length and centred on the client's hips, so what differs is "
            "the pose, not the body size or where the client stood."))
        if result.comparison is None:
            st.info("This clip was not compared with a reference.")
        else:
            ref = draw.reference_image(result, t)
            if ref is None:
                st.info("Not compared at this frame: it is before the first rep or after "
                        "the last, or the joints were not visible in both clips here.")
            else:
                st.image(ref, width=draw.shown_width(ref), output_format="JPEG",
                         caption="orange: reference · blue: client")

    st.subheader("Keypoints of this frame", help=(
        "Where each of the 25 OpenPose BODY_25 joints is in the video, in pixels from the "
        "top-left corner (y grows downwards), and how sure the pose estimator was (0 to 1; "
        "0 means not found). These are the numbers in the OpenPose JSON download."))
    st.dataframe(draw.keypoint_table(result, t), hide_index=True, width="stretch",
                 key="skel_keypoints", column_config={
                     "x (px)": st.column_config.NumberColumn(format="%.1f"),
                     "y (px)": st.column_config.NumberColumn(format="%.1f"),
                     "confidence": st.column_config.ProgressColumn(
                         "confidence", format="%.2f", min_value=0.0, max_value=1.0,
                         help="How sure the pose estimator was of the joint (0 = not found).")})


viewer()


@st.cache_data(show_spinner=False, max_entries=4)
def json_zip(key: str, name: str, _seq) -> bytes:
    return openpose_zip_bytes(_seq, name)


@st.cache_data(show_spinner=False, max_entries=2)
def annotated_mp4(key: str, video: str | None, _seq) -> bytes:
    bar = state.ProgressBar("Drawing the skeleton on every frame")
    try:
        return annotated_video_bytes(_seq, video, progress=bar)
    finally:
        bar.close()


st.subheader("Downloads", help=(
    "The keypoints in OpenPose's own JSON format (one file per frame, as OpenPose "
    "--write_json writes them, plus the frame rate), and the clip with the skeleton drawn "
    "on it."))
key = state.digest_of(seq.keypoints.tobytes())
name = draw.file_stem(choice.label if choice is not None else seq.source)
left, right = st.columns(2)
try:
    left.download_button(
        "Download OpenPose JSON (.zip)", json_zip(key, name, seq),
        file_name=f"{name}_openpose.zip", mime="application/zip", key="skel_json",
        icon=":material/download:", on_click="ignore",
        help="One <name>_<frame>_keypoints.json per frame in OpenPose's BODY_25 format, "
             "readable by OpenPose tools, Sports2D and this app.")
except FitScoreError as error:
    left.error(plain(error))
with right:
    if st.button("Make the annotated video", key="skel_make_mp4",
                 icon=":material/movie:",
                 help="Draws the skeleton on every frame into an H.264 .mp4 (plays in browsers and phones). It takes "
                      "about a second per 10 s of video; the download button appears here."):
        st.session_state["skel_mp4_for"] = key
    if st.session_state.get("skel_mp4_for") == key:
        try:
            data = annotated_mp4(key, video, seq)
        except FitScoreError as error:
            st.error(plain(error))
        else:
            st.download_button("Download the annotated video (.mp4)", data,
                               file_name=f"{name}_skeleton.mp4", mime="video/mp4",
                               key="skel_mp4", icon=":material/download:", on_click="ignore",
                               help="The clip with the BODY_25 skeleton drawn on it, at "
                                    f"{seq.fps:g} frames/s.")
