"""Repetition segmentation from the periodic motion of an exercise's key joints.

    >>> from fitscore_core.scorers.reps import segment_reps
    >>> reps = segment_reps(features.values, features.fps, "squat")   # doctest: +SKIP
    >>> [(r.start, r.end) for r in reps]                               # doctest: +SKIP

The key joints' normalized trajectories are reduced to one signal (their first principal
component), lightly smoothed and turned so that it rises towards the rep's turning point (the
bottom of a squat or push-up, the top of a curl or press: TURN below). A rep is one peak of
that signal with a prominence of at least MIN_PROMINENCE of the clip's robust range, so a
clip that starts at the bottom (filming began mid-rep), setup time, pauses and jitter do not
add reps. Joints that are not seen in most of the clip are left out; short gaps in the others
are bridged, so a joint that comes and goes never makes a step in the signal.
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
# The joints whose height marks the rep's turning point, and whether it is their lowest (-1:
# the bottom of a squat) or highest (+1: the top of a curl) position.
TURN = {
    "squat": (("Neck", "MidHip", "RHip", "LHip"), -1),
    "push_up": (("Nose", "Neck", "RShoulder", "LShoulder"), -1),
    "lunge": (("Neck", "MidHip", "RHip", "LHip"), -1),
    "bicep_curl": (("RWrist", "LWrist"), 1),
    "shoulder_press": (("RWrist", "LWrist", "RElbow", "LElbow"), 1),
    "front_raise": (("RWrist", "LWrist"), 1),
    "shoulder_shrug": (("RShoulder", "LShoulder", "Neck"), 1),
    "jumping_jack": (("RWrist", "LWrist"), 1),
}
MIN_SEEN = 0.6           # a key joint seen in less of the clip is left out of the signal
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


def _bridged(rows: np.ndarray) -> np.ndarray:
    """(K, T) feature rows with 0 = not seen -> rows seen in >= MIN_SEEN of the frames, their
    gaps filled by linear interpolation (held at the ends)."""
    seen = rows != 0
    keep = seen.mean(axis=1) >= MIN_SEEN
    t = np.arange(rows.shape[1])
    out = [np.interp(t, t[s], r[s]) for r, s in zip(rows[keep], seen[keep])]
    return np.array(out).reshape(-1, rows.shape[1])


def _turn_direction(values: np.ndarray, exercise: str | None) -> np.ndarray | None:
    """(T,) height of the exercise's turning-point joints, signed to rise towards the turn."""
    if exercise not in TURN:
        return None
    joints, sign = TURN[exercise]
    rows = _bridged(values[[2 * MODEL_15.index(j) + 1 for j in joints]])
    return sign * rows.mean(axis=0) if len(rows) else None


def rep_signal(values: np.ndarray, fps: float, exercise: str | None = None) -> np.ndarray:
    """(30, T) normalized features -> (T,) position along the main direction of movement,
    rising towards the rep's turning point, 0 at the clip's low end (torso lengths, >= 0)."""
    x = _bridged(values[key_rows(exercise)].astype(np.float64)).T         # (T, K)
    if len(x) < 3 or x.shape[1] == 0:
        return np.zeros(values.shape[1])
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    signal = centred @ vt[0]
    turn = _turn_direction(values, exercise)
    if turn is not None and np.dot(signal, turn - turn.mean()) < 0:
        signal = -signal
    elif turn is None:   # no prior: the clip starts at rest
        return excursion_from_rest(signal, fps)
    return _smoothed(signal, fps)


def excursion_from_rest(position: np.ndarray, fps: float) -> np.ndarray:
    """(T,) position (torso lengths) -> how far it is from where it rested in the clip's
    first 0.3 s, either way, lightly smoothed: a rep signal with no prior on the rep's
    direction (a pull-up's shoulders rise from rest, a dip's sink)."""
    rest = np.median(position[: max(1, round(0.3 * fps))])
    return _smoothed(np.abs(position - rest), fps)


def _smoothed(signal: np.ndarray, fps: float) -> np.ndarray:
    window = min(len(signal) - (1 - len(signal) % 2), max(5, round(0.25 * fps) | 1))
    if window >= 5:
        signal = savgol_filter(signal, window, 2)
    return signal - np.percentile(signal, 5)


def _middle_of_rest(excursion: np.ndarray, a: int, b: int, span: float) -> int:
    between = excursion[a:b]
    low = np.flatnonzero(between <= between.min() + 0.1 * span)
    return int(a + (low[0] + low[-1]) // 2)


def segment_reps(values: np.ndarray, fps: float, exercise: str | None = None) -> list[Rep]:
    """Repetitions in a clip: [] when nothing moves enough to count as one."""
    return cut_reps(rep_signal(values, fps, exercise), fps)


def cut_reps(excursion: np.ndarray, fps: float) -> list[Rep]:
    """(T,) excursion from rest (torso lengths, rising towards each rep's turning point) ->
    its repetitions: [] when nothing moves enough to count as one."""
    if len(excursion) < 3:
        return []
    span = float(np.percentile(excursion, 97))    # robust range: one stray frame is no rep
    if span < MIN_RANGE:
        return []
    peaks, _ = find_peaks(excursion, distance=max(1, round(MIN_REP_S * fps)),
                          prominence=MIN_PROMINENCE * span)
    if len(peaks) == 0:
        peaks = np.array([int(np.argmax(excursion))])
    # Split between consecutive peaks in the middle of the pause at rest (the frames within
    # 10 % of the range of the lowest point between them), not at whichever of its noisy
    # frames happens to be lowest: each rep then holds its share of the pause.
    cuts = [_middle_of_rest(excursion, a, b, span) for a, b in zip(peaks, peaks[1:])]
    near_rest = excursion < 0.25 * span
    first = peaks[0] - int(np.argmax(near_rest[: peaks[0] + 1][::-1])) if near_rest[
        : peaks[0] + 1].any() else 0
    after = near_rest[peaks[-1]:]
    last = peaks[-1] + int(np.argmax(after)) + 1 if after.any() else len(excursion)
    bounds = [first] + cuts + [last]
    return [Rep(int(s), int(e), int(p)) for s, e, p in zip(bounds, bounds[1:], peaks)]
