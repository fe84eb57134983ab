"""Sequence cleaning: follow the main person, fill short gaps, smooth jitter without lag.

    >>> from fitscore_core.pose.cleaning import clean
    >>> seq = clean(multi_pose_frames)            # doctest: +SKIP
    >>> seq.keypoints.shape, seq.notes            # doctest: +SKIP

Each step is a pure function PoseSequence -> PoseSequence that says what it did in `notes`.
"""

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.signal import savgol_filter

from fitscore_core.config import LIMITS, Limits
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
    score: float = 0.0   # body size × mean confidence, summed over every frame seen

    @property
    def last_frame(self) -> int:
        return self.frames[-1]

    def add(self, t: int, person: np.ndarray, centre: np.ndarray, size: float) -> None:
        self.frames.append(t)
        self.people.append(person)
        self.centre, self.size = centre, size
        self.score += size * float(person[:, 2].mean())


def _boxes(people: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P, 25, 3) -> centres (P, 2) of the joints found (0, 0 if none) and sizes (P,): the
    diagonal of their bounding box in pixels (0 with fewer than 2 joints). One pass for all
    the people of a frame: per-pair Python work made a crowd cost seconds per frame."""
    seen = people[:, :, 2] > 0
    count = seen.sum(axis=1)
    xy = people[:, :, :2].astype(np.float64)
    centres = (xy * seen[..., None]).sum(axis=1) / np.maximum(count, 1)[:, None]
    lo = np.where(seen[..., None], xy, np.inf).min(axis=1, initial=np.inf)
    hi = np.where(seen[..., None], xy, -np.inf).max(axis=1, initial=-np.inf)
    extent = np.where((count >= 2)[:, None], hi - lo, 0.0)
    return centres, np.linalg.norm(extent, axis=1)


def _largest(sizes: np.ndarray, cap: int) -> np.ndarray:
    """Indices of the people kept in a frame: those with a size, the `cap` largest of them
    (in their listed order)."""
    keep = np.flatnonzero(sizes > 0)
    if len(keep) > cap:
        keep = np.sort(keep[np.argsort(-sizes[keep], kind="stable")[:cap]])
    return keep


def track_main_person(frames: MultiPoseFrames, limits: Limits = LIMITS) -> PoseSequence:
    """Link people frame to frame (Hungarian matching on centre distance) and keep the main
    subject: the track with the largest size × confidence summed over time, so a big,
    steady client wins over a passer-by who happens to be listed first.

    A frame with more than limits.max_people_per_frame people keeps its largest ones (said in
    the notes): the client is never one of a crowd's small figures, and the matching stays
    small whatever the crowd. Only tracks seen in the last MAX_TRACK_SKIP_S are matched.
    """
    max_skip = max(1, round(MAX_TRACK_SKIP_S * frames.fps))
    cap = limits.max_people_per_frame
    tracks: list[_Track] = []
    live: list[int] = []          # tracks that may still continue
    crowded = 0
    for t, people in enumerate(frames.people):
        people = np.asarray(people, np.float32).reshape(-1, 25, 3)
        centres, sizes = _boxes(people)
        keep = _largest(sizes, cap)
        crowded += int((sizes > 0).sum() > cap)
        live = [k for k in live if t - tracks[k].last_frame <= max_skip]
        matched: set[int] = set()
        if live and len(keep):
            track_centres = np.array([tracks[k].centre for k in live])
            track_sizes = np.array([tracks[k].size for k in live])
            distance = np.linalg.norm(centres[keep][:, None] - track_centres[None], axis=2)
            cost = distance / np.maximum(np.maximum.outer(sizes[keep], track_sizes), 1.0)
            for i, j in zip(*linear_sum_assignment(cost)):
                if cost[i, j] <= MATCH_RADIUS:
                    p = keep[i]
                    tracks[live[j]].add(t, people[p], centres[p], float(sizes[p]))
                    matched.add(i)
        for i, p in enumerate(keep):
            if i not in matched:
                track = _Track([], [], centres[p], float(sizes[p]))
                track.add(t, people[p], centres[p], float(sizes[p]))
                tracks.append(track)
                live.append(len(tracks) - 1)
    if not tracks:
        raise FitScoreError(f"No person was found in any frame of "
                            f"{frames.input_name or 'the clip'}.")
    main = max(tracks, key=lambda track: track.score)
    keypoints = np.zeros((frames.n_frames, 25, 3), np.float32)
    keypoints[main.frames] = np.stack(main.people)
    notes = []
    if crowded:
        notes.append(f"{crowded} frame(s) had more than {cap} people; kept the {cap} largest "
                     "in each")
    if len(tracks) > 1:
        notes.append(f"{len(tracks)} people tracks found; followed the main one "
                     f"(seen in {len(main.frames)} of {frames.n_frames} frames)")
    seq = PoseSequence(keypoints, frames.fps, frames.size, frames.source, frames.backend)
    return replace(seq, notes=tuple(notes))


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
