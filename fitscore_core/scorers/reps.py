"""Repetition segmentation from the periodic motion of an exercise's key joints.

    >>> from fitscore_core.scorers.reps import segment_reps
    >>> reps = segment_reps(features.values, features.fps, "squat")   # doctest: +SKIP
    >>> [(r.start, r.end) for r in reps]                               # doctest: +SKIP

The key joints' normalized trajectories are reduced to one signal (their first principal
component), lightly smoothed; a rep is one excursion of that signal away from the position
the clip starts in (people start at rest), and reps are split at the returns towards it.
"""

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks, savgol_filter

from fitscore_core.pose.skeletons import MODEL_15

KEY_JOINTS = {
    "squat": ("Neck", "MidHip", "RHip", "LHip", "RKnee", "LKnee"),
    "push_up": ("Nose", "Neck", "RShoulder", "LShoulder", "MidHip", "RElbow", "LElbow"),
    "lunge": ("Neck", "MidHip", "RKnee", "LKnee", "RHip", "LHip"),
    "bicep_curl": ("RWrist", "LWrist", "RElbow", "LElbow"),
    "shoulder_press": ("RWrist", "LWrist", "RElbow", "LElbow"),
    "front_raise": ("RWrist", "LWrist", "RElbow", "LElbow"),
    "shoulder_shrug": ("RShoulder", "LShoulder", "Neck", "Nose"),
    "jumping_jack": ("RWrist", "LWrist", "RElbow", "LElbow", "RAnkle", "LAnkle"),
}
MIN_REP_S = 0.6          # no gym rep is faster than this
MIN_PROMINENCE = 0.35    # a rep moves at least this fraction of the clip's largest excursion
MIN_RANGE = 0.15         # torso lengths: below this, the clip holds no movement to count


@dataclass(frozen=True)
class Rep:
    """Frames [start, end) of one repetition, and its peak (furthest from rest)."""

    start: int
    end: int
    peak: int


def key_rows(exercise: str | None) -> list[int]:
    """Feature rows (x and y) of the exercise's key joints; all 30 for an unknown exercise."""
    joints = KEY_JOINTS.get(exercise or "", MODEL_15.joints)
    return [2 * MODEL_15.index(j) + axis for j in joints for axis in (0, 1)]


def rep_signal(values: np.ndarray, fps: float, exercise: str | None = None) -> np.ndarray:
    """(30, T) normalized features -> (T,) distance from the rest position along the main
    direction of movement (torso lengths, >= 0)."""
    x = values[key_rows(exercise)].T.astype(np.float64)          # (T, K)
    if len(x) < 3:
        return np.zeros(len(x))
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    signal = centred @ vt[0]
    window = min(len(signal) - (1 - len(signal) % 2), max(5, round(0.25 * fps) | 1))
    if window >= 5:
        signal = savgol_filter(signal, window, 2)
    rest = np.median(signal[: max(1, round(0.3 * fps))])
    return np.abs(signal - rest)


def segment_reps(values: np.ndarray, fps: float, exercise: str | None = None) -> list[Rep]:
    """Repetitions in a clip: [] when nothing moves enough to count as one."""
    excursion = rep_signal(values, fps, exercise)
    if len(excursion) == 0 or excursion.max() < MIN_RANGE:
        return []
    peaks, _ = find_peaks(excursion, distance=max(1, round(MIN_REP_S * fps)),
                          prominence=MIN_PROMINENCE * excursion.max())
    if len(peaks) == 0:
        peaks = np.array([int(np.argmax(excursion))])
    # Split between consecutive peaks at the frame closest to rest.
    cuts = [int(a + np.argmin(excursion[a:b])) for a, b in zip(peaks, peaks[1:])]
    near_rest = excursion < 0.25 * excursion.max()
    first = peaks[0] - int(np.argmax(near_rest[: peaks[0] + 1][::-1])) if near_rest[
        : peaks[0] + 1].any() else 0
    after = near_rest[peaks[-1]:]
    last = peaks[-1] + int(np.argmax(after)) + 1 if after.any() else len(excursion)
    bounds = [first] + cuts + [last]
    return [Rep(int(s), int(e), int(p)) for s, e, p in zip(bounds, bounds[1:], peaks)]
