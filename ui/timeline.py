"""The timeline under the Analyze video: reps and fault moments as a Plotly strip, and the
script that seeks the video when one is clicked.

    >>> from ui.timeline import timeline_figure, seek_script
    >>> fig = timeline_figure(marks, duration_s=9.6)     # doctest: +SKIP
    >>> html = seek_script(3.27, nonce=4)                # doctest: +SKIP

Why a script and not st.video's start_time: Streamlit 1.60 rounds start_time to whole
seconds (a rep starting at 1.7 s would open at 1 s) and only seeks when the value changes
(clicking the same rep twice would do nothing). The script sets the video element's
currentTime to the exact second; its nonce makes each click a new script, so it runs every
time. The video keeps playing (or stays paused) as it was.
"""

import json

import plotly.graph_objects as go

from fitscore_core.timeline import Mark
from ui.plots import OKABE_ITO, layout

REP_ROW, FAULT_ROW = "reps", "faults"
REP_COLOUR, FAULT_COLOUR = OKABE_ITO[0], OKABE_ITO[3]      # blue bars, vermillion marks
VIDEO_SELECTOR = '[data-testid="stMainBlockContainer"] video'


def timeline_figure(marks: list[Mark], duration_s: float) -> go.Figure:
    """Reps as bars (number and score written on them) on the top row, fault moments as
    vermillion diamonds on the row below, over the clip's time. customdata[0] of every
    point is the second a click seeks to."""
    reps = [m for m in marks if m.kind == "rep"]
    faults = [m for m in marks if m.kind == "fault"]
    fig = go.Figure()
    fig.add_trace(go.Bar(
        name="reps", orientation="h", y=[REP_ROW] * len(reps),
        base=[m.start_s for m in reps], x=[m.end_s - m.start_s for m in reps],
        text=[m.label for m in reps], textposition="inside", insidetextanchor="middle",
        marker=dict(color=REP_COLOUR, line=dict(color="white", width=2)),
        customdata=[[m.seek_s, m.end_s] for m in reps],
        hovertemplate=("%{text}<br>%{customdata[0]:.1f}–%{customdata[1]:.1f} s · click to "
                       "play it<extra></extra>")))
    fig.add_trace(go.Scatter(
        name="faults", mode="markers", y=[FAULT_ROW] * len(faults),
        x=[m.start_s for m in faults], text=[m.label for m in faults],
        marker=dict(symbol="diamond", size=16, color=FAULT_COLOUR,
                    line=dict(color="white", width=1)),
        customdata=[[m.seek_s, m.end_s] for m in faults],
        hovertemplate="%{text}<br>%{x:.1f} s · click to see it<extra></extra>"))
    fig.update_xaxes(range=[0, max(duration_s, 0.1)], title_text="time (s)",
                     showgrid=True, fixedrange=True)
    fig.update_yaxes(categoryorder="array", categoryarray=[FAULT_ROW, REP_ROW],
                     fixedrange=True)
    return layout(fig, height=170, showlegend=False, dragmode=False, clickmode="event+select")


def clicked_second(selection: dict | None) -> float | None:
    """The second a timeline click asks for (customdata[0] of the clicked point), or None."""
    points = (selection or {}).get("selection", {}).get("points", [])
    for point in points:
        data = point.get("customdata")
        if data:
            return float(data[0])
    return None


def play_script(nonce: str) -> str:
    """<script> that starts the page's (muted) video once it can play: st.video's autoplay
    is skipped when Streamlit re-creates the element, and a new clip should open playing."""
    return ("<script>/* play %s */(function () {"
            "const v = document.querySelector(%s); if (!v) return; v.muted = true;"
            "const go = () => { v.play().catch(() => {}); };"
            "if (v.readyState >= 2) go(); else v.addEventListener('canplay', go, {once: true});"
            "})();</script>" % (json.dumps(nonce)[1:-1], json.dumps(VIDEO_SELECTOR)))


def pause_script(nonce: str) -> str:
    """<script> that pauses the page's video: while another clip is analysed, the one on
    screen would keep a core decoding frames nobody watches (the pose estimator needs it)."""
    return ("<script>/* pause %s */(function () {"
            "const v = document.querySelector(%s); if (v) v.pause();})();</script>"
            % (json.dumps(nonce)[1:-1], json.dumps(VIDEO_SELECTOR)))


def seek_script(seconds: float, nonce: int) -> str:
    """<script> that puts the page's video at `seconds` (once it can seek)."""
    return ("<script>/* seek %d */(function () {"
            "const v = document.querySelector(%s); if (!v) return;"
            "const go = () => { v.currentTime = %s; };"
            "if (v.readyState >= 1) go(); else v.addEventListener('loadedmetadata', go,"
            " {once: true});})();</script>"
            % (nonce, json.dumps(VIDEO_SELECTOR), json.dumps(round(float(seconds), 3))))
