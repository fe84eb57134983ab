"""PoseSequence -> the normalized (30 × T) features and the zero-padded (30 × N) model input.

    >>> from fitscore_core.features import build_features, ROW_LABELS
    >>> model_input = build_features(seq)                  # doctest: +SKIP
    >>> model_input.tensor.shape, model_input.mask.shape   # doctest: +SKIP
    ((1, 30, 150), (1, 150))

Normalization (per clip, so a whole clip filmed further left, or at half the size, gives the
same numbers, while the person's own movement — a jump, a squat's descent — is kept):
  seen   = confidence >= FEATURES.min_confidence and inside the frame (when its size is known);
  scale  = median torso length (Neck to MidHip) over the frames where both were seen, else
           (hips out of frame) the upper arms' length / UPPER_ARM_PER_TORSO, else the
           shoulder-to-nose distance / HEAD_PER_TORSO;
  centre = median MidHip position where it was seen, else one torso length below the
           median Neck (where the hips would be), so an upper-body clip keeps the same
           coordinates a whole-body clip would have;
  value  = (pixel - centre) / scale, with y flipped so that up is positive.
A joint that was not seen becomes 0, like the padding: a guessed position is never read.

Row order of the 30 rows (the heatmap's y-axis): joint j of MODEL_15 gives rows 2j (x) and
2j + 1 (y): Nose x, Nose y, Neck x, Neck y, RShoulder x, ... LAnkle x, LAnkle y.
"""

from dataclasses import dataclass

import numpy as np

from fitscore_core.config import FEATURES, LIMITS, FeatureSettings
from fitscore_core.errors import FitScoreError
from fitscore_core.pose.sequence import PoseSequence
from fitscore_core.pose.skeletons import MODEL_15, MODEL_JOINTS
from fitscore_core.pose.view import seen_mask

NECK, MIDHIP = 1, 8
R_SHOULDER, R_ELBOW, L_SHOULDER, L_ELBOW, NOSE = 2, 3, 5, 6, 0
UPPER_ARM_PER_TORSO = 0.60   # shoulder-elbow / neck-midhip (synth bodies: median 0.63; a real
                             # side-view curl: 0.58)
HEAD_PER_TORSO = 0.40        # neck-nose / neck-midhip (synth bodies: median 0.39)
MIN_SEEN_FRAMES = 0.1        # a reference point must be seen in this share of frames
# Inputs are refused beyond LIMITS.max_duration_s when read; a PoseSequence made in code with
# a wrong frame rate (1e-9 fps: 10 frames "last" 300 years) must not reach the allocation.
MAX_RESAMPLE_S = 10 * LIMITS.max_duration_s
ROW_LABELS = tuple(f"{joint} {axis}" for joint in MODEL_15.joints for axis in ("x", "y"))
# Feature row r of a joint <-> the same axis of its left/right partner.
_MIRROR_ROWS = np.array([2 * MODEL_15.mirror[r // 2] + r % 2 for r in range(30)])


def mirror_rows(values: np.ndarray) -> np.ndarray:
    """(30, T) features -> the same movement seen from the other side: left and right joints
    swapped, x negated (a copy)."""
    mirrored = values[_MIRROR_ROWS]
    mirrored[0::2] *= -1
    return mirrored


@dataclass(frozen=True)
class ClipFeatures:
    """Normalized model joints of a whole clip, before padding.

    values: (30, T) float32 rows in ROW_LABELS order; found: (15, T) bool per joint.
    centre (x, y pixels) and scale (pixels per torso length) undo the normalization.
    """

    values: np.ndarray
    found: np.ndarray
    fps: float
    centre: tuple[float, float]
    scale: float

    @property
    def n_frames(self) -> int:
        return int(self.values.shape[1])


@dataclass(frozen=True)
class ModelInput:
    """What both networks read: windows of N frames with a mask of the real ones.

    tensor: (W, 30, N) float32, zero where padded; mask: (W, N) bool, True on real frames;
    starts: (W,) first frame of each window in the resampled clip. A clip of at most N frames
    is one window; a longer one is cut into overlapping windows that together cover it all.
    """

    tensor: np.ndarray
    mask: np.ndarray
    starts: np.ndarray
    fps: float
    n_frames: int  # length of the resampled clip

    @property
    def lengths(self) -> np.ndarray:
        return self.mask.sum(axis=1)


def _median_length(kps: np.ndarray, seen: np.ndarray, a: int, b: int) -> float | None:
    """Median pixel distance a-b over frames where both are seen (enough of them), else None."""
    both = seen[:, a] & seen[:, b]
    if both.sum() < max(1, MIN_SEEN_FRAMES * len(kps)):
        return None
    length = np.linalg.norm(kps[both, a, :2] - kps[both, b, :2], axis=1)
    length = length[length > 0]
    return float(np.median(length)) if length.size else None


def clip_scale(kps: np.ndarray, seen: np.ndarray) -> float:
    """Pixels per torso length: the torso when seen, else the upper arms, else the head."""
    torso = _median_length(kps, seen, NECK, MIDHIP)
    if torso is not None:
        return torso
    arms = [v for v in (_median_length(kps, seen, R_SHOULDER, R_ELBOW),
                        _median_length(kps, seen, L_SHOULDER, L_ELBOW)) if v is not None]
    if arms:
        return max(arms) / UPPER_ARM_PER_TORSO
    head = _median_length(kps, seen, NECK, NOSE)
    if head is not None:
        return head / HEAD_PER_TORSO
    raise FitScoreError("Too little of the body is visible to measure the person's size: the "
                        "neck with the hips, an arm or the head must be seen. Film the whole "
                        "body, or at least from the knees up, facing or side-on.")


def clip_centre(kps: np.ndarray, seen: np.ndarray, scale: float) -> np.ndarray:
    """The median MidHip, or one torso below the median Neck when the hips are not seen."""
    if seen[:, MIDHIP].sum() >= max(1, MIN_SEEN_FRAMES * len(kps)):
        return np.median(kps[seen[:, MIDHIP], MIDHIP, :2], axis=0)
    if seen[:, NECK].any():
        return np.median(kps[seen[:, NECK], NECK, :2], axis=0) + np.array([0.0, scale])
    raise FitScoreError("Neither the hips nor the neck are visible, so the clip cannot be "
                        "placed. Film the person's whole upper body at least.")


def normalize(seq: PoseSequence, settings: FeatureSettings = FEATURES) -> ClipFeatures:
    """Centre on the clip's hips (or where they would be), divide by its torso length, keep
    the 15 model joints that were seen."""
    kps = seq.keypoints
    seen = seen_mask(seq, settings.min_confidence, edge_margin=0.0)   # strictly in frame
    scale = clip_scale(kps, seen)
    centre = clip_centre(kps, seen, scale)
    xy = (kps[:, MODEL_JOINTS, :2] - centre) / scale * np.array([1.0, -1.0])
    model_found = seen[:, MODEL_JOINTS]
    xy[~model_found] = 0.0
    values = xy.reshape(len(kps), 30).T.astype(np.float32)
    return ClipFeatures(values, model_found.T, seq.fps, (float(centre[0]), float(centre[1])),
                        scale)


def resample(features: ClipFeatures, fps: float) -> ClipFeatures:
    """Linear interpolation in time to `fps`; a joint counts as found at a new frame only if
    it was found at both original frames around it."""
    if features.n_frames == 0 or abs(features.fps - fps) < 1e-6:
        return features
    duration = features.n_frames / features.fps
    if not duration <= MAX_RESAMPLE_S:
        raise FitScoreError(f"{features.n_frames} frames at {features.fps:g} fps would last "
                            f"{duration:.3g} s, far beyond the {LIMITS.max_duration_s:g} s "
                            "limit: check the clip's frame rate.")
    n_out = max(1, round(duration * fps))
    t = np.minimum(np.arange(n_out) / fps * features.fps, features.n_frames - 1)
    lo = np.floor(t).astype(int)
    hi = np.minimum(lo + 1, features.n_frames - 1)
    w = (t - lo).astype(np.float32)
    values = features.values[:, lo] * (1 - w) + features.values[:, hi] * w
    found = features.found[:, lo] & (features.found[:, hi] | (w == 0))
    values *= np.repeat(found, 2, axis=0)
    return ClipFeatures(values.astype(np.float32), found, fps, features.centre, features.scale)


def window_starts(length: int, n: int, stride: int) -> np.ndarray:
    """First frames of windows of n frames that cover [0, length); the last one is aligned to
    the clip's end so nothing is cut."""
    if length <= n:
        return np.array([0])
    starts = list(range(0, length - n + 1, stride))
    if starts[-1] != length - n:
        starts.append(length - n)
    return np.array(starts)


def pad_or_window(values: np.ndarray, n: int, stride: int) -> tuple[np.ndarray, np.ndarray,
                                                                       np.ndarray]:
    """(30, T) -> tensor (W, 30, N) zero-padded, mask (W, N), starts (W,)."""
    length = values.shape[1]
    starts = window_starts(length, n, stride)
    tensor = np.zeros((len(starts), values.shape[0], n), np.float32)
    mask = np.zeros((len(starts), n), bool)
    for w, s in enumerate(starts):
        chunk = values[:, s:s + n]
        tensor[w, :, :chunk.shape[1]] = chunk
        mask[w, :chunk.shape[1]] = True
    return tensor, mask, starts


def to_model_input(features: ClipFeatures, settings: FeatureSettings = FEATURES) -> ModelInput:
    resampled = resample(features, settings.fps)
    tensor, mask, starts = pad_or_window(resampled.values, settings.n_frames,
                                         settings.window_stride)
    return ModelInput(tensor, mask, starts, settings.fps, resampled.n_frames)


def build_features(seq: PoseSequence, settings: FeatureSettings = FEATURES) -> ModelInput:
    """A cleaned PoseSequence -> the padded model input (normalize, resample, pad/window)."""
    return to_model_input(normalize(seq, settings), settings)
