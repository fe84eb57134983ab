"""Plotly figures for the dashboard pages: they draw arrays the core returned, nothing more.

    >>> from ui.plots import tensor_heatmap
    >>> fig = tensor_heatmap(model_input.tensor[0], ROW_LABELS, fps=15.0,   # doctest: +SKIP
    ...                      unit="torso lengths", mask=model_input.mask[0])

Conventions: colour-blind-safe palettes throughout ('Cividis'/'Viridis' for heatmaps, 'RdBu'
for signed values, the Okabe-Ito colours for lines and bars); every axis and colour bar names
its unit; hover text says frame, time, joint and value.
"""

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fitscore_core.pose.names import joint_name, row_name

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour
# vision deficiency. Black last (it is the one used for reference lines).
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442",
             "#000000")
PADDING_FILL = "rgba(120, 120, 120, 0.35)"
HEATMAP = "Cividis"
PIXEL_HEATMAP = "Viridis"
SIGNED = "RdBu"
MODEL_LABELS = {"cnn1d": "1D-CNN", "lstm": "LSTM"}


def model_label(name: str) -> str:
    return MODEL_LABELS.get(name, name)


def layout(fig: go.Figure, height: int, **extra) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10),
                      hoverlabel=dict(namelength=-1), **extra)
    return fig


def pixel_rows(keypoints: np.ndarray, n_joints: int = 15) -> np.ndarray:
    """(T, 25, 3) keypoints in pixels -> (2 * n_joints, T) rows in ROW_LABELS order
    (joint j: rows 2j = x, 2j + 1 = y); a joint not found (confidence 0) is NaN (a gap)."""
    xy = keypoints[:, :n_joints, :2].astype(np.float64).copy()
    xy[keypoints[:, :n_joints, 2] <= 0] = np.nan
    return xy.reshape(len(keypoints), 2 * n_joints).T


def tensor_heatmap(z: np.ndarray, row_labels: Sequence[str], fps: float, unit: str,
                   first_frame: int = 0, n_real: int | None = None,
                   mask: np.ndarray | None = None, colorscale: str = HEATMAP) -> go.Figure:
    """The (rows × frames) input as a heatmap, rows top to bottom in row_labels order.

    x = frame index within the shown tensor (frames/s = fps); the hover also gives the time
    in the clip, (first_frame + x) / fps seconds. Frames from n_real on are padding: shaded
    and labelled. mask (frames,) bool: drawn as a one-row strip under the heatmap.
    """
    rows, frames = z.shape
    x = np.arange(frames)
    seconds = np.broadcast_to((first_frame + x) / fps, z.shape)
    hover = ("frame %{x} (%{customdata:.2f} s in the clip)<br>%{y}<br>"
             f"value %{{z:.3f}} {unit}<extra></extra>")
    heat = go.Heatmap(z=z, x=x, y=[row_name(r) for r in row_labels], customdata=seconds,
                      colorscale=colorscale,
                      hovertemplate=hover, colorbar=dict(title=dict(text=unit, side="right"),
                                                         len=0.8, y=0.55))
    if mask is None:
        fig = go.Figure(heat)
        fig.update_yaxes(autorange="reversed", title_text="joint and coordinate")
        fig.update_xaxes(title_text=f"frame ({fps:g} frames/s)")
        strip_row = None
    else:
        fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.92, 0.08],
                            vertical_spacing=0.02)
        fig.add_trace(heat, row=1, col=1)
        state = np.where(mask, "real frame", "padding (zeros, ignored by the models)")
        fig.add_trace(go.Heatmap(
            z=mask[None].astype(int), x=x, y=["mask"], customdata=state[None],
            colorscale=[[0, "#DDDDDD"], [1, OKABE_ITO[0]]], zmin=0, zmax=1, showscale=False,
            hovertemplate="frame %{x}: %{customdata}<extra></extra>"), row=2, col=1)
        fig.update_yaxes(autorange="reversed", title_text="joint and coordinate", row=1, col=1)
        fig.update_xaxes(title_text=f"frame ({fps:g} frames/s)", row=2, col=1)
        strip_row = 2
    if n_real is not None and n_real < frames:
        where = dict(row=1, col=1) if strip_row else {}
        fig.add_vrect(x0=n_real - 0.5, x1=frames - 0.5, fillcolor=PADDING_FILL, line_width=0,
                      **where)
        fig.add_annotation(x=frames - 0.5, y=1, xref="x", yref="y domain", xanchor="right",
                           yanchor="bottom", showarrow=False,
                           text=f"padding: frames {n_real}–{frames - 1} ▾")
    return layout(fig, height=720)


def trajectories(values: np.ndarray, found: np.ndarray | None, joint_names: Sequence[str],
                 chosen: Sequence[str], fps: float, unit: str, y_note: str) -> go.Figure:
    """x and y of the chosen joints over time: values (2 * joints, T) in ROW_LABELS order,
    found (joints, T) bool or None (NaN already marks gaps). One Okabe-Ito colour per joint;
    gaps where a joint was not found."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("left–right position (x)", f"height (y, {y_note})"))
    t = np.arange(values.shape[1]) / fps
    for k, name in enumerate(chosen):
        j = list(joint_names).index(name)
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        for axis in (0, 1):
            v = values[2 * j + axis].astype(np.float64).copy()
            if found is not None:
                v[~found[j]] = np.nan
            fig.add_trace(go.Scatter(
                x=t, y=v, mode="lines", name=joint_name(name), legendgroup=name, showlegend=axis == 0,
                line=dict(color=colour, width=2, dash="solid" if axis == 0 else "dot"),
                customdata=np.round(t * fps).astype(int),
                hovertemplate=(f"{joint_name(name)} {'xy'[axis]}<br>%{{x:.2f}} s (frame %{{customdata}})"
                               f"<br>%{{y:.3f}} {unit}<extra></extra>")), row=axis + 1, col=1)
    fig.update_yaxes(title_text=unit, row=1, col=1)
    fig.update_yaxes(title_text=unit, row=2, col=1)
    fig.update_xaxes(title_text="time (s)", row=2, col=1)
    return layout(fig, height=460, legend=dict(orientation="h", y=-0.18))


def attribution_heatmap(joint_time: np.ndarray, joint_names: Sequence[str], fps: float
                        ) -> go.Figure:
    """(15, T) |attribution| per joint and frame, in score points, time in seconds."""
    t = np.arange(joint_time.shape[1]) / fps
    frames = np.broadcast_to(np.arange(joint_time.shape[1]), joint_time.shape)
    fig = go.Figure(go.Heatmap(
        z=joint_time, x=t, y=[joint_name(j) for j in joint_names], customdata=frames, colorscale=HEATMAP,
        zmin=0, colorbar=dict(title=dict(text="score points", side="right")),
        hovertemplate=("%{y} at %{x:.2f} s (frame %{customdata})<br>"
                       "moved the score by %{z:.3f} points<extra></extra>")))
    fig.update_yaxes(autorange="reversed", title_text="joint")
    fig.update_xaxes(title_text=f"time (s, {fps:g} frames/s)")
    return layout(fig, height=420)


def importance_bars(joint_importance: dict[str, float], colour: str = OKABE_ITO[0]
                    ) -> go.Figure:
    """Each joint's share of the total attribution, largest on top, in percent."""
    names = list(joint_importance)
    shares = [100 * joint_importance[n] for n in names]
    fig = go.Figure(go.Bar(x=shares, y=[joint_name(n) for n in names], orientation="h", marker_color=colour,
                           hovertemplate="%{y}: %{x:.1f} % of what moved the score"
                                         "<extra></extra>"))
    fig.update_yaxes(autorange="reversed", title_text="joint")
    fig.update_xaxes(title_text="share of the score change (%)", rangemode="tozero")
    return layout(fig, height=420)
