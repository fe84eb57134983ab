"""Pictures for the Skeletons and Compare pages: frames with skeletons, the keypoint table, and
the comparison charts. They draw what the core returned (fitscore_core.annotate does the
skeleton drawing and frame mapping); no Streamlit here, so each is a plain function.

    >>> from ui.draw import client_image, reference_image, deviation_bars
    >>> image = client_image(analysis, "sample_videos/squat_good.mp4", 40)  # doctest: +SKIP
    >>> ref = reference_image(analysis, 40)  # None where not compared   # doctest: +SKIP
    >>> fig = deviation_bars(analysis.comparison)                       # doctest: +SKIP

Colours: the client is Okabe-Ito blue and the reference Okabe-Ito orange everywhere (charts
and the reference picture); the client's own frame keeps OpenPose's limb colours, the format
trainers know from OpenPose output. Images returned are RGB (what st.image shows).
"""

import re
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from fitscore_core.analysis import Analysis
from fitscore_core.annotate import (
    LOW_CONFIDENCE,
    blank_canvas,
    comparison_frame,
    draw_skeleton,
    features_to_pixels,
    frame_image,
    frame_size,
    source_frame,
)
from fitscore_core.compare.comparison import AngleCurve, Comparison
from fitscore_core.pose.names import joint_name
from fitscore_core.pose.skeletons import BODY_25, MODEL_15
from fitscore_core.pose.video import downscale
from ui.plots import OKABE_ITO, layout

CLIENT, REFERENCE = OKABE_ITO[0], OKABE_ITO[1]          # blue, orange
CLIENT_RGB, REFERENCE_RGB = (0, 114, 178), (230, 159, 0)
TOP_COLOUR, OTHER_COLOUR = OKABE_ITO[3], "#9E9E9E"      # vermillion for the top joints
JOINT_COLOURS = (OKABE_ITO[3], OKABE_ITO[2], OKABE_ITO[5], OKABE_ITO[4], OKABE_ITO[7])
DISPLAY_SIDE = 960                                      # frames are shown at most this wide
THUMBNAIL_ASPECT = 3 / 4                                # width / height of worst-moment crops
TORSO = "torso lengths"
MAX_HEIGHT = 560                                        # px: frames never shown taller


def shown_width(image: np.ndarray, max_height: int = MAX_HEIGHT) -> int:
    """The width (px) to show an image at so it is at most max_height tall, aspect kept
    (a portrait phone clip is not stretched to the column's width and 1300 px tall)."""
    h, w = image.shape[:2]
    return max(1, int(w * min(1.0, max_height / max(h, 1)) if h > max_height else w))


def worst_frame(analysis: Analysis) -> int:
    """The video frame of the clip's worst moment (Comparison.worst[0]), else 0."""
    comparison = analysis.comparison
    if comparison is None or not comparison.worst:
        return 0
    return source_frame(comparison.worst[0].frame, comparison.fps, analysis.sequence.fps,
                        analysis.sequence.n_frames)


def rgb(image_bgr: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)


def file_stem(label: str) -> str:
    """A clip's name as a safe download file-name prefix: 'My squat (1).mp4' -> 'My_squat_1'."""
    stem = re.sub(r"[^\w-]+", "_", Path(label).stem).strip("_")
    return stem or "fitscore"


def joint_label(joint: str) -> str:
    """'LKnee' -> 'left knee' (fitscore_core.pose.names, the one naming style)."""
    return joint_name(joint)


def client_image(analysis: Analysis, video: str | None, t: int,
                 max_side: int = DISPLAY_SIDE, highlight: str | None = None,
                 crop: bool = False) -> np.ndarray:
    """Video frame t with the BODY_25 skeleton in OpenPose colours (a blank canvas of the
    clip's size for a keypoint import); `highlight` circles that joint; `crop` keeps only
    the person, in a THUMBNAIL_ASPECT box (thumbnails line up)."""
    mark = BODY_25.index(highlight) if highlight else None
    return rgb(frame_image(analysis.sequence, t, video, max_side,
                           crop=THUMBNAIL_ASPECT if crop else None, highlight=mark))


def reference_image(analysis: Analysis, t: int, max_side: int = DISPLAY_SIDE
                    ) -> np.ndarray | None:
    """The reference pose DTW-matched with video frame t, in orange, scaled onto the
    client's hip centre and torso length, with the client's 15 joints thin in blue on top;
    None when the reference was not compared at that moment."""
    comparison = analysis.comparison
    if comparison is None:
        return None
    ref = comparison.aligned_reference
    k = comparison_frame(t, analysis.sequence.fps, comparison.fps, ref.shape[1])
    if not np.isfinite(ref[:, k]).any():
        return None
    features = analysis.features
    ref_kps = features_to_pixels(ref[:, k], features.centre, features.scale)
    canvas, scale = downscale(blank_canvas(frame_size(analysis.sequence)), max_side)
    ref_kps[:, :2] *= scale
    client = analysis.sequence.keypoints[t, :15].astype(np.float64)
    client[:, :2] *= scale
    image = draw_skeleton(canvas, ref_kps, MODEL_15, color=REFERENCE_RGB)
    image = draw_skeleton(image, client, MODEL_15, color=CLIENT_RGB,
                          thickness=max(2, round(max(canvas.shape[:2]) / 400)))
    return rgb(image)


def keypoint_table(analysis: Analysis, t: int) -> pd.DataFrame:
    """The 25 BODY_25 keypoints of video frame t: pixels, confidence, how they are drawn."""
    kps = analysis.sequence.keypoints[t]
    conf = kps[:, 2].astype(float)
    drawn = np.where(conf <= 0, "not found",
                     np.where(conf < LOW_CONFIDENCE, "faded (low confidence)", "solid"))
    found = conf > 0
    return pd.DataFrame({
        "joint": [joint_name(j) for j in BODY_25.joints],
        "x (px)": np.where(found, kps[:, 0], np.nan).astype(float),
        "y (px)": np.where(found, kps[:, 1], np.nan).astype(float),
        "confidence": conf,
        "drawn": drawn,
    })


def deviation_bars(comparison: Comparison, top: int = 3) -> go.Figure:
    """Joints ranked by how far they are from the reference (90th percentile of the local
    deviation, torso lengths), most different on top; the top ones in vermillion."""
    rows = comparison.joints
    fig = go.Figure(go.Bar(
        x=[r.p90 for r in rows], y=[joint_label(r.joint) for r in rows], orientation="h",
        marker_color=[TOP_COLOUR if r.rank <= top else OTHER_COLOUR for r in rows],
        customdata=[[r.mean, r.peak, r.peak_frame / comparison.fps] for r in rows],
        hovertemplate=("%{y}: %{x:.2f} torso lengths off (90th percentile)<br>"
                       "average %{customdata[0]:.2f}, worst %{customdata[1]:.2f} at "
                       "%{customdata[2]:.1f} s<extra></extra>")))
    fig.update_yaxes(autorange="reversed", title_text="joint")
    fig.update_xaxes(title_text=f"deviation ({TORSO})", rangemode="tozero")
    return layout(fig, height=max(300, 26 * len(rows) + 80))


def deviation_over_time(comparison: Comparison, joints: Sequence[str],
                        worst: bool = True) -> go.Figure:
    """Local deviation of the chosen joints over client time (gaps: not compared), with the
    worst moments as dotted lines."""
    t = np.arange(comparison.local_deviation.shape[1]) / comparison.fps
    fig = go.Figure()
    for k, joint in enumerate(joints):
        j = MODEL_15.index(joint)
        fig.add_trace(go.Scatter(
            x=t, y=comparison.local_deviation[j], mode="lines", name=joint_label(joint),
            line=dict(color=JOINT_COLOURS[k % len(JOINT_COLOURS)], width=2),
            hovertemplate=(f"{joint_label(joint)}<br>%{{x:.2f}} s: %{{y:.2f}} {TORSO}"
                           "<extra></extra>")))
    if worst:
        for m in comparison.worst:
            fig.add_vline(x=m.seconds, line=dict(color="#555555", dash="dot", width=1))
    fig.update_xaxes(title_text="time (s)")
    fig.update_yaxes(title_text=f"deviation ({TORSO})", rangemode="tozero")
    return layout(fig, height=360, legend=dict(orientation="h", y=-0.25))


def angle_figure(curve: AngleCurve, fps: float) -> go.Figure:
    """One joint angle over client time: the client in blue, the aligned reference in
    orange (gaps where not compared)."""
    t = np.arange(len(curve.client)) / fps
    fig = go.Figure()
    for name, values, colour, dash in (("client", curve.client, CLIENT, "solid"),
                                       ("reference", curve.reference, REFERENCE, "dash")):
        fig.add_trace(go.Scatter(
            x=t, y=values, mode="lines", name=name, line=dict(color=colour, width=2.5,
                                                              dash=dash),
            hovertemplate=f"{name}<br>%{{x:.2f}} s: %{{y:.0f}}°<extra></extra>"))
    fig.update_xaxes(title_text="time (s)")
    fig.update_yaxes(title_text=f"{curve.name} angle (degrees)")
    return layout(fig, height=360, legend=dict(orientation="h", y=-0.25))


def angles_by_rom_gap(comparison: Comparison) -> list[str]:
    """Angle names, the largest range-of-motion difference (client vs reference) first;
    angles never measured last."""
    def gap(name: str) -> float:
        c = comparison.angles[name]
        d = abs(c.client_rom - c.reference_rom)
        return d if np.isfinite(d) else -1.0
    return sorted(comparison.angles, key=gap, reverse=True)
