"""Sequence cleaning: follow the main person, fill short gaps, smooth jitter without lag.

    >>> from fitscore_core.pose.cleaning import clean
    >>> seq = clean(multi_pose_frames)            # doctest: +SKIP
    >>> seq.keypoints.shape, seq.notes            # doctest: +SKIP

Each step is a pure function PoseSequence -> PoseSequence that says what it did in `notes`.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.signal import savgol_filter

from fitscore_core.errors import FitScoreError
from fitscore_core.pose.sequence import MultiPoseFrames, PoseSequence

MAX_GAP_S = 0.3          # gaps up to this long are interpolated; longer ones stay empty (conf 0)
SMOOTH_WINDOW_S = 0.2    # Savitzky-Golay window: ~6 frames at 30 fps
SMOOTH_POLYORDER = 2     # quadratic fit: follows the turn of a fast rep, unlike a moving average
MATCH_RADIUS = 0.75      # a person continues a track if within this × their size of it
MAX_TRACK_SKIP_S = 0.5   # a track survives this long without a detection


@dataclass
class _Track:
    frames: list[int]
    people: list[np.ndarray]
    centre: np.ndarray
    size: float

    @property
    def last_frame(self) -> int:
        return self.frames[-1]

    def score(self) -> float:
        """Largest and most consistent: body size × confidence summed over every frame seen."""
        return float(sum(_size(p) * p[:, 2].mean() for p in self.people))


def _centre(person: np.ndarray) -> np.ndarray:
    seen = person[:, 2] > 0
    return person[seen, :2].mean(axis=0) if seen.any() else np.zeros(2)


def _size(person: np.ndarray) -> float:
    """Diagonal of the bounding box of the joints found (pixels)."""
    seen = person[person[:, 2] > 0, :2]
    if len(seen) < 2:
        return 0.0
    return float(np.linalg.norm(seen.max(axis=0) - seen.min(axis=0)))


def track_main_person(frames: MultiPoseFrames) -> PoseSequence:
    """Link people frame to frame (Hungarian matching on centre distance) and keep the main
    subject: the track with the largest size × confidence summed over time, so a big,
    steady client wins over a passer-by who happens to be listed first."""
    max_skip = max(1, round(MAX_TRACK_SKIP_S * frames.fps))
    tracks: list[_Track] = []
    for t, people in enumerate(frames.people):
        people = [p for p in people if _size(p) > 0]
        live = [k for k, tr in enumerate(tracks) if t - tr.last_frame <= max_skip]
        matched: set[int] = set()
        if live and people:
            cost = np.array([[np.linalg.norm(_centre(p) - tracks[k].centre)
                              / max(tracks[k].size, _size(p), 1.0) for k in live]
                             for p in people])
            for i, j in zip(*linear_sum_assignment(cost)):
                if cost[i, j] <= MATCH_RADIUS:
                    track = tracks[live[j]]
                    track.frames.append(t)
                    track.people.append(people[i])
                    track.centre, track.size = _centre(people[i]), _size(people[i])
                    matched.add(i)
        for i, p in enumerate(people):
            if i not in matched:
                tracks.append(_Track([t], [p], _centre(p), _size(p)))
    if not tracks:
        raise FitScoreError(f"No person was found in any frame of {frames.source or 'the clip'}.")
    main = max(tracks, key=_Track.score)
    keypoints = np.zeros((frames.n_frames, 25, 3), np.float32)
    keypoints[main.frames] = np.stack(main.people)
    note = None
    if len(tracks) > 1:
        note = (f"{len(tracks)} people tracks found; followed the main one "
                f"(seen in {len(main.frames)} of {frames.n_frames} frames)")
    seq = PoseSequence(keypoints, frames.fps, frames.size, frames.source, frames.backend)
    return seq.with_keypoints(keypoints, note)


@dataclass(frozen=True)
class Gap:
    """A run of frames [start, end) where one joint was not found."""

    joint: int
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


def find_gaps(confidence: np.ndarray) -> list[Gap]:
    """All runs of confidence 0 per joint; confidence: (T, J)."""
    gaps = []
    missing = np.pad(confidence <= 0, ((1, 1), (0, 0)))
    for joint in range(confidence.shape[1]):
        edges = np.flatnonzero(np.diff(missing[:, joint].astype(np.int8)))
        gaps += [Gap(joint, int(s), int(e)) for s, e in zip(edges[::2], edges[1::2])]
    return gaps


def fill_gaps(seq: PoseSequence, max_gap_s: float = MAX_GAP_S) -> PoseSequence:
    """Interpolate short gaps linearly between the frames around them.

    Filled joints get the lower confidence of their two neighbours; gaps longer than
    `max_gap_s`, or at the clip's start or end (nothing to interpolate towards), stay at
    confidence 0 so later stages know the joint is unknown there.
    """
    kps = seq.keypoints.copy()
    max_gap = max(1, round(max_gap_s * seq.fps))
    filled = long = 0
    for gap in find_gaps(kps[:, :, 2]):
        before, after = gap.start - 1, gap.end
        if gap.length > max_gap or before < 0 or after >= seq.n_frames:
            long += 1
            continue
        w = (np.arange(gap.start, gap.end) - before)[:, None] / (after - before)
        a, b = kps[before, gap.joint], kps[after, gap.joint]
        kps[gap.start:gap.end, gap.joint, :2] = (1 - w) * a[:2] + w * b[:2]
        kps[gap.start:gap.end, gap.joint, 2] = min(a[2], b[2])
        filled += 1
    note = (f"filled {filled} short gap(s) ≤ {max_gap} frames; "
            f"{long} longer or edge gap(s) left empty") if filled or long else None
    return seq.with_keypoints(kps, note)


def smooth(seq: PoseSequence, window_s: float = SMOOTH_WINDOW_S,
           polyorder: int = SMOOTH_POLYORDER) -> PoseSequence:
    """Savitzky-Golay filter on each joint's x and y, over runs where the joint was found.

    The filter fits a local polynomial centred on each frame, so it has no lag (unlike a
    one-sided filter) and keeps the turning point of a fast rep; runs shorter than the
    window are left as they are.
    """
    window = max(polyorder + 2, round(window_s * seq.fps)) | 1  # odd, > polyorder
    kps = seq.keypoints.copy()
    found = np.pad(kps[:, :, 2] > 0, ((1, 1), (0, 0)))
    for joint in range(kps.shape[1]):
        edges = np.flatnonzero(np.diff(found[:, joint].astype(np.int8)))
        for start, end in zip(edges[::2], edges[1::2]):
            if end - start >= window:
                kps[start:end, joint, :2] = savgol_filter(
                    kps[start:end, joint, :2], window, polyorder, axis=0)
    return seq.with_keypoints(kps, f"smoothed (Savitzky-Golay, {window} frames)")


def clean(frames: MultiPoseFrames, smoothing: bool = True) -> PoseSequence:
    """Everyone found per frame -> the main person's cleaned PoseSequence."""
    seq = fill_gaps(track_main_person(frames))
    return smooth(seq) if smoothing else seq
