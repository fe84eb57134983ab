"""Compare: the client against the reference, joint by joint after aligning them in time —
which joints differ, when, the joint angles, the worst moments (a click opens them on the
Skeletons page) and the written feedback."""

import numpy as np
import streamlit as st

from fitscore_core.analysis import confidence, words
from fitscore_core.annotate import has_video, source_frame
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.skeletons import MODEL_15
from ui import draw, state
from ui.defaults import default_angle, default_joints
from ui.plain import plain
from ui.verdict_view import show_feedback

SKELETONS = "pages/skeletons.py"
GRID = 4                          # worst moments per row, whatever their number

st.title("Compare with the reference")
result = state.analysis_or_stop()
choice = state.current_choice()
comparison = result.comparison
if comparison is None and not result.known:
    st.info("This clip was not compared with a reference: it does not look like one of the "
            "exercises FitScore knows, so there is no correct execution to hold it against. "
            "If it is one of them, choose it on the Analyze page and press Analyze.")
    st.stop()
if comparison is None:
    st.info("This clip was not compared with a reference, so there is nothing to show here. "
            "Choose a reference on the Analyze page and press Analyze.")
    st.stop()

label = choice.label if choice is not None else result.sequence.source
reference = result.reference
kind = plain("built-in " + (comparison.reference_exercise or "").replace("_", " ")
             if reference is not None and reference.builtin else comparison.reference_source)
st.caption(f"**{plain(label)}** as a **{plain(words(result.exercise))}** against the reference "
           f"(**{kind}**); camera: {plain(result.view.describe())}. Each rep of the client is "
           "matched with a correct rep by dynamic time warping, so a slower or faster rep "
           "is compared phase by phase; distances are in torso lengths (neck to hips), so "
           "body size and distance to the camera do not matter.")
if not result.agree:
    st.warning("The models disagree on the exercise (" + ", ".join(
        f"{name} says {plain(words(p.exercise))} ({confidence(p):.0%})"
        for name, p in result.own_predictions.items()) + "): the comparison and the feedback "
        f"are for a {plain(words(result.exercise))}"
        + (", your choice." if result.chosen_by == "user" else ", the more confident answer."))
for note in comparison.notes:
    st.info(plain(note[:1].upper() + note[1:] + "."))
if not comparison.joints:
    st.warning("No joint was visible in both clips at the same moment, so nothing could be "
               "compared. Film the whole body, from the same side as the reference.")
    st.stop()

top = comparison.joints[0]
a, b, c = st.columns(3)
a.metric("Most different joint", draw.joint_label(top.joint),
         f"{top.p90:.2f} torso lengths off", delta_color="off", delta_arrow="off",
         help="The joint furthest from the reference in most of the movement (90th "
              "percentile over the compared frames), measured from the joint it hangs from.")
b.metric("Reps compared", len(comparison.alignments),
         help="Each client rep was matched with its closest correct rep of the reference.")
c.metric("Reference faces", "mirrored to match" if comparison.mirrored else "same side",
         help="When client and reference were filmed from opposite sides, the reference is "
              "flipped left/right so that the same joints are compared.")

left, right = st.columns(2)
with left:
    st.subheader("Which joints differ most", help=(
        "How far each joint is from where the reference puts it, in torso lengths, ranked. "
        "Each joint is measured from the joint it hangs from (the knee from the hip, the "
        "ankle from the knee), so a knee caving in is blamed on the knee, not on everything "
        "below it. The bar is the 90th percentile: a fault at the bottom of every rep is "
        "not averaged away by the rest of the rep. The top three (red) are the ones the "
        "written feedback talks about."))
    st.plotly_chart(draw.deviation_bars(comparison), key="compare_bars")
with right:
    st.subheader("When they differ", help=(
        "The same distance from the reference, moment by moment. Peaks show when in each "
        "rep the client is furthest off; gaps are moments that were not compared (before "
        "the first rep, after the last, or a joint out of view). Dotted lines: the worst "
        "moments shown below."))
    chosen = st.multiselect("Joints", MODEL_15.joints,
                            default=default_joints(result.exercise,
                                                   comparison.top_joints(3)),
                            key="compare_joints", format_func=draw.joint_label,
                            help="By default the joints that carry the exercise (the knees "
                                 "for a squat, the elbows for a curl).")
    if chosen:
        st.plotly_chart(draw.deviation_over_time(comparison, chosen), key="compare_time")
    else:
        st.info("Choose at least one joint to see when it differs.")

st.subheader("Joint angles", help=(
    "The angle at a joint over time (180° is a straight limb; the trunk lean is 0° upright): "
    "the client in blue, the reference in orange, matched rep by rep. Range of motion is the "
    "largest minus the smallest angle: a shallow squat shows a smaller knee range than the "
    "reference. Angles are measured in the picture, so they are only comparable when both "
    "clips are filmed from the same side."))
names = draw.angles_by_rom_gap(comparison)
angle = st.selectbox("Angle", names, key="compare_angle",
                     index=names.index(default_angle(result.exercise, names)),
                     help="Sorted by how much the client's range of motion differs from the "
                          "reference's; it opens on the exercise's main angle.")
curve = comparison.angles[angle]
x, y, z = st.columns(3)
rom = "{:.0f}°".format
x.metric("Client range of motion", rom(curve.client_rom) if np.isfinite(curve.client_rom)
         else "not measured", help="Largest minus smallest angle over the compared reps.")
y.metric("Reference range of motion", rom(curve.reference_rom)
         if np.isfinite(curve.reference_rom) else "not measured",
         help="The same for the reference reps the client was matched with.")
gap = curve.client_rom - curve.reference_rom
z.metric("Difference", f"{gap:+.0f}°" if np.isfinite(gap) else "—",
         help="Client minus reference: negative means the client moves through less range.")
st.plotly_chart(draw.angle_figure(curve, comparison.fps), key="compare_angles")

st.subheader("Worst moments", help=(
    "The moments where some joint is furthest from the reference (at least a second apart), "
    "with that joint circled. Open one on the Skeletons page to see the client and the "
    "reference side by side and step through the frames around it."))
seq = result.sequence
video = choice.path if choice is not None and has_video(choice.path) else None
if not comparison.worst:
    st.info("No moment could be compared.")
moments = list(enumerate(comparison.worst))
for row in range(0, len(moments), GRID):          # a grid: GRID a row, the same size each
    for column, (i, moment) in zip(st.columns(GRID), moments[row:row + GRID]):
        t = source_frame(moment.frame, comparison.fps, seq.fps, seq.n_frames)
        with column:
            try:
                image = draw.client_image(result, video, t, max_side=360,
                                          highlight=moment.joint, crop=True)
            except FitScoreError:
                image = draw.client_image(result, None, t, max_side=360,
                                          highlight=moment.joint, crop=True)
            st.image(image, width="stretch", output_format="JPEG")
            if st.button("Show in Skeletons", key=f"compare_jump_{i}",
                         icon=":material/accessibility_new:", width="stretch",
                         help=f"Open frame {t} on the Skeletons page."):
                st.session_state["frame"] = t
                st.switch_page(SKELETONS)
            st.caption(f"**{moment.seconds:.1f} s** · {draw.joint_label(moment.joint)} "
                       f"{moment.value:.2f} torso lengths off")

st.subheader("What to tell the client", help=(
    "Sentences written from the two models' fault probabilities and this comparison: a fault "
    "is backed up when the joints it moves are among the most different; a joint clearly "
    "off the reference gets a sentence even when no model flags a fault."))
if result.feedback:
    show_feedback(result.feedback)
else:
    st.success("Nothing stands out: no fault flagged and no joint clearly off the reference.")
hidden = list(dict.fromkeys(f for h in result.unjudged.values() for f in h))
if hidden:
    st.caption("Cannot be judged from this camera angle "
               f"({result.view.view} view), so not part of the feedback: "
               + ", ".join(plain(words(f)) for f in hidden) + ".")
