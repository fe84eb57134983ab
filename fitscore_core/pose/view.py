"""Where the camera stands: front, diagonal or side, and which side of the body faces it.

    >>> from fitscore_core.pose.view import estimate_view
    >>> view = estimate_view(seq)                        # doctest: +SKIP
    >>> view.view, view.facing, round(view.yaw_deg)      # doctest: +SKIP
    ('side', 'right', -84)

Estimated from the cleaned BODY_25 skeleton alone (no camera calibration), with medians over
the frames where the joints are seen, so a few bad frames do not move it:

* **how wide the body looks** (which view): the horizontal pixel distance between the two
  shoulders, and between the two hips, relative to the body's length. Seen from the front
  the shoulders are ~0.77 torso lengths apart, from the side ~0; in between the apparent
  width falls as |cos(yaw)|. Only the *horizontal* component is used, since a camera tilted
  down (pitch) adds a vertical one that has nothing to do with the yaw. The length is the
  torso (Neck–MidHip) of an upright body; for a lying body (push-up) the torso is
  foreshortened by the yaw itself, so the length is rebuilt from the torso's horizontal
  extent and the width (`_body_lengths`) instead of assuming the torso is vertical;
* **which side is near** (facing): the near side's joints are seen with a higher confidence
  (the far ones are hidden behind the body), and the face (and, lying, the head) points
  toward the near side's direction on screen: with the subject's left toward the camera the
  nose is left of the hips in the picture.

yaw_deg follows the synthesizer's camera (synth/camera.py): 0 = the camera films the
subject's front, +90 = their left side faces the camera, -90 = their right side. It is the
direction the body is seen from, which for a subject off the image centre differs from the
camera's optical axis by the angle at which the subject sits in the picture (up to ~25° in
the synthetic clips). A view from behind looks like a front view here (the same widths); it
is said in `why`.

Measured on 300 synthetic clips of every exercise (3 seeds, the training data's views, with
detector noise): front vs side right in 92-94 % of the clips with camera yaw < 15° or > 75°,
never one for the other; front / diagonal / side 80-85 % against the camera yaw and 91-95 %
against the direction the body is seen from; the side toward the camera never wrong.
"""

from dataclasses import dataclass

import numpy as np

from fitscore_core.config import FEATURES
from fitscore_core.pose.sequence import PoseSequence

# A joint counts as seen from the features' visibility threshold on, so that the view, the
# coverage check and the models all look at the same joints.
SEEN = FEATURES.min_confidence
# A joint up to this share of the frame's width/height beyond its edge still counts as inside:
# pose estimators place a hand or foot that touches the edge a few pixels past it.
EDGE_MARGIN = 0.05

FRONT_MAX_DEG = 25.0   # |yaw| below this: "front"
SIDE_MIN_DEG = 65.0    # |yaw| above this: "side"; in between: "diagonal"
# Apparent horizontal width / torso length of a body seen straight from the front, measured
# on the synthesizer's bodies (median over front clips; people vary by about +-8 %).
SHOULDER_WIDTH = 0.77
HIP_WIDTH = 0.37
MIN_FRAMES = 5         # fewer usable frames than this: "unknown"
MIN_SHARE = 0.2        # a width cue needs both joints seen in this share of the torso frames

NOSE, NECK, MIDHIP = 0, 1, 8
SHOULDERS, HIPS = (2, 5), (9, 12)       # (right, left)
# left/right partners compared for the confidence cue: shoulders, elbows, wrists, hips,
# knees, ankles, eyes, ears
RIGHT = (2, 3, 4, 9, 10, 11, 15, 17)
LEFT = (5, 6, 7, 12, 13, 14, 16, 18)

VIEWS = ("front", "diagonal", "side", "unknown")


@dataclass(frozen=True)
class CameraView:
    """Where the camera stood. view: "front" | "diagonal" | "side" | "unknown"; facing: the
    side of the body toward the camera ("left" | "right"), None from the front or when it
    cannot be told; yaw_deg: the estimate (0 front, +90 left side, -90 right side; NaN when
    unknown); confidence 0-1 and why: how sure, and from what."""

    view: str
    facing: str | None
    yaw_deg: float
    confidence: float
    why: str

    def describe(self) -> str:
        """'side view (right side toward the camera, about 84°)' — for notes and the UI."""
        if self.view == "unknown":
            return "unknown camera angle"
        side = f"{self.facing} side toward the camera, " if self.facing else ""
        return f"{self.view} view ({side}about {abs(self.yaw_deg):.0f}°)"


def view_of_yaw(yaw_deg: float) -> str:
    """The view class of a yaw in degrees (|yaw| beyond 90 — from behind — folds back)."""
    if not np.isfinite(yaw_deg):
        return "unknown"
    a = abs((yaw_deg + 180.0) % 360.0 - 180.0)
    a = min(a, 180.0 - a)
    return "front" if a < FRONT_MAX_DEG else "side" if a > SIDE_MIN_DEG else "diagonal"


def seen_mask(seq: PoseSequence, min_confidence: float = SEEN,
              edge_margin: float = EDGE_MARGIN) -> np.ndarray:
    """(T, 25) bool: confidence >= min_confidence and, when the frame size is known, inside
    it (within edge_margin of its width / height)."""
    kps = seq.keypoints
    seen = kps[..., 2] >= min_confidence
    if seq.size is not None:
        w, h = seq.size
        mx, my = edge_margin * w, edge_margin * h
        seen &= ((kps[..., 0] >= -mx) & (kps[..., 0] < w + mx)
                 & (kps[..., 1] >= -my) & (kps[..., 1] < h + my))
    return seen


def _body_lengths(kps: np.ndarray, torso: np.ndarray,
                  widths: list[tuple[np.ndarray, float]]) -> np.ndarray:
    """(T,) the torso's true length in pixels, for an upright or a lying body.

    Upright, the torso is (nearly) vertical and keeps its length at any yaw. Lying, it is
    horizontal and shortens with the yaw (L·|sin yaw| horizontally) while the shoulders'
    horizontal distance is W·|cos yaw|: their hypotenuse, with W = SHOULDER_WIDTH·L, gives L
    back (the hips likewise). The largest reading is the length (each one underestimates it).
    widths: (horizontal pixel distance per frame, NaN where not seen; its front-view ratio)."""
    dx_torso = np.abs(kps[:, NECK, 0] - kps[:, MIDHIP, 0])
    length = torso.copy()
    for width, ratio in widths:
        length = np.fmax(length, np.hypot(dx_torso, width / ratio))
    return length


def estimate_view(seq: PoseSequence) -> CameraView:
    """The camera view of a cleaned PoseSequence (see the module docstring)."""
    kps = seq.keypoints.astype(np.float64)
    seen = seen_mask(seq)
    torso_frames = seen[:, NECK] & seen[:, MIDHIP]
    if torso_frames.sum() < MIN_FRAMES:
        return CameraView("unknown", None, float("nan"), 0.0,
                          "the neck and hips are seen together in too few frames")
    k = kps[torso_frames]
    s = seen[torso_frames]
    torso = np.linalg.norm(k[:, NECK, :2] - k[:, MIDHIP, :2], axis=1)
    pairs = {"shoulders": (SHOULDERS, SHOULDER_WIDTH), "hips": (HIPS, HIP_WIDTH)}
    widths, usable = {}, {}
    for name, ((r, l), _) in pairs.items():
        usable[name] = s[:, r] & s[:, l]
        widths[name] = np.where(usable[name], np.abs(k[:, l, 0] - k[:, r, 0]), np.nan)
    length = _body_lengths(k, torso, [(widths[n], ref) for n, (_, ref) in pairs.items()])
    cosines, hidden, parts = [], [], []
    for name, ((r, l), ref) in pairs.items():
        both = usable[name] & (length > 0)
        share = both.mean()
        if both.sum() >= MIN_FRAMES and share >= MIN_SHARE:
            c = float(np.median(widths[name][both] / (ref * length[both])))
            cosines.append(min(c, 1.0))
            parts.append(f"{name} {c * ref:.2f} torso lengths apart")
        elif (s[:, r] | s[:, l]).mean() >= 0.5:
            hidden.append(name)   # one of the pair seen, the other hidden behind the body
    # which side is near: confidences, then where the face points on screen
    conf = seq.keypoints[..., 2].astype(np.float64)
    found = conf > 0
    either = found[:, LEFT] | found[:, RIGHT]   # a partner not found at all counts as 0
    conf_lr = float(np.mean((conf[:, LEFT] - conf[:, RIGHT])[either])) if either.any() else 0.0
    nose = s[:, NOSE]
    face_dx = float(np.median((k[nose, NOSE, 0] - k[nose, MIDHIP, 0]) / length[nose])) if \
        nose.sum() >= MIN_FRAMES else 0.0
    # +1: the subject's left toward the camera. Confidence gap 0.1 or a face 0.2 body lengths
    # to one side each count fully; together they vote.
    vote = float(np.clip(conf_lr / 0.1, -1, 1) + np.clip(-face_dx / 0.2, -1, 1))
    if cosines:
        # a width only shrinks (turned away, farther from the camera than the torso as the
        # hips of a push-up filmed head-on, a narrow build): the wider reading is the view
        c = float(max(cosines))
        yaw = float(np.degrees(np.arccos(np.clip(c, 0.0, 1.0))))
        spread = float(np.degrees(np.ptp(np.arccos(np.clip(cosines, 0, 1))))) \
            if len(cosines) > 1 else 20.0
        why = "; ".join(parts)
        if hidden:
            why += f"; one of the {' and '.join(hidden)} hidden behind the body"
    elif hidden:
        yaw, spread = 75.0, 30.0
        why = f"one of the {' and '.join(hidden)} always hidden behind the body"
    else:
        return CameraView("unknown", None, float("nan"), 0.0,
                          "neither both shoulders nor both hips are seen in enough frames")
    view = view_of_yaw(yaw)
    facing = None
    if view != "front" and abs(vote) >= 0.5:
        facing = "left" if vote > 0 else "right"
        yaw = yaw if vote > 0 else -yaw
        why += (f"; the {facing} side is seen more clearly (confidence "
                f"{abs(conf_lr):.2f} higher)" if abs(conf_lr) >= 0.05 else
                f"; the face points to the {facing} side's direction")
    elif view != "front":
        why += "; which side faces the camera is unclear"
    if view == "front":
        lr = np.median(k[usable["shoulders"], SHOULDERS[1], 0]
                       - k[usable["shoulders"], SHOULDERS[0], 0]) \
            if usable["shoulders"].sum() >= MIN_FRAMES else 0.0
        if lr < 0:
            why += "; the left shoulder is on the picture's left: filmed from behind"
    # how sure: far from the class boundaries, cues that agree, enough frames
    a = abs(yaw)
    margin = min(abs(a - FRONT_MAX_DEG), abs(a - SIDE_MIN_DEG)) if view == "diagonal" else \
        (FRONT_MAX_DEG - a if view == "front" else a - SIDE_MIN_DEG)
    confidence = float(np.clip(0.5 + margin / 30.0, 0.0, 1.0)
                       * np.clip(1.2 - spread / 60.0, 0.3, 1.0)
                       * min(1.0, torso_frames.sum() / 30.0))
    return CameraView(view, facing, yaw, round(confidence, 3), why)
