"""Client vs reference, joint by joint, after aligning them in time.

    >>> from fitscore_core.compare.comparison import compare
    >>> from fitscore_core.compare.reference import builtin_reference
    >>> ref = builtin_reference("squat")
    >>> result = compare(analysis.model_features, ref, "squat")       # doctest: +SKIP
    >>> [(row.joint, round(row.p90, 2)) for row in result.joints[:3]]  # doctest: +SKIP
    >>> result.to_json()["joints"][0]                                  # doctest: +SKIP

Steps, each a plain function of what the previous one returns:
  1. the reference is resampled to the client's frame rate and, when the two were filmed from
     opposite sides, mirrored left/right so the same joints are compared (noted);
  2. both clips become local joint positions (anchors.py: each joint from the joint it hangs
     from, the client's limbs scaled to the reference's lengths);
  3. reps are found in both clips; the reference clip closest to the client's style is
     chosen (a built-in reference holds several), then each client rep is aligned by DTW
     (dtw.py, Sakoe-Chiba band) with its closest rep of that clip, so a slow rep still
     meets the same phases of the movement and a lunge's left-leg rep meets a left-leg rep;
     a clip without a full rep counts as one rep (the whole clip);
  4. on the aligned sequences, per joint over client time (torso lengths): `deviation`, the
     distance between the two positions, and `local_deviation`, the same on local positions;
     the table ranks joints by the 90th percentile of the local deviation over the compared
     frames (a fault at the bottom of each rep is not diluted by the rest of it; local, so
     a fault is blamed on the joints it moves rather than on everything downstream); worst
     moments; joint-angle curves with their range of motion (angles.py).

A joint is compared at a frame only where it (and its anchor) was found in the client and in
every reference frame that frame was matched with. Frames outside the aligned reps (before
the first, after the last) are not compared (NaN).

Bad input:
  - a reference of another exercise than the client's: compared anyway, with a note saying
    so. Trainers sometimes pick a related movement on purpose (a split squat for a lunge),
    and a reference clip's exercise is often unknown; the numbers are still well defined,
    the note keeps them from being read as a form check;
  - a client or reference without a person, no joint visible in both, or nothing left to
    compare after alignment: FitScoreError with a message a trainer understands.
"""

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from fitscore_core.compare.anchors import Anchors, limb_scale, local_features, local_positions
from fitscore_core.compare.angles import joint_angles, range_of_motion
from fitscore_core.dtw import dtw_path
from fitscore_core.compare.reference import Reference, match_facing
from fitscore_core.errors import FitScoreError
from fitscore_core.features import ClipFeatures, resample
from fitscore_core.pose.skeletons import MODEL_15
from fitscore_core.scorers.reps import segment_reps

MIN_VISIBLE = 0.5          # a joint is aligned on if found in this share of frames of each clip
WINDOW_FRACTION = 0.2      # DTW band half-width as a share of the longer segment
STYLE_REPS = 3             # client reps used to pick the reference clip closest in style
RANK_PERCENTILE = 90       # the table ranks joints by this percentile of local deviation
WORST_GAP_S = 1.0          # worst moments are at least this far apart
_J = {name: i for i, name in enumerate(MODEL_15.joints)}


@dataclass(frozen=True)
class Alignment:
    """Client frames [client_start, client_end) aligned with frames [reference_start,
    reference_end) of reference clip `reference_clip` (0 = Reference.features, k =
    alternatives[k - 1]); path (K, 2): absolute (client, reference) frame pairs;
    distance: mean frame distance along the path (torso lengths, local positions)."""

    client_start: int
    client_end: int
    reference_clip: int
    reference_start: int
    reference_end: int
    path: np.ndarray
    distance: float


@dataclass(frozen=True)
class JointRow:
    """One line of the per-joint table, torso lengths; peak_frame in client frames.

    p90 (the ranking), mean, peak: local deviation; position_mean / position_peak: the plain
    distance between the two positions (NaN if never compared).
    """

    rank: int
    joint: str
    p90: float
    mean: float
    peak: float
    peak_frame: int
    position_mean: float
    position_peak: float


@dataclass(frozen=True)
class Moment:
    """A client frame where a joint is furthest (locally) from the reference."""

    frame: int
    seconds: float
    joint: str
    value: float


@dataclass(frozen=True)
class AngleCurve:
    """Degrees over client time: the client's angle and the aligned reference's (NaN where
    not compared); ROM = max - min over the compared frames (reference: the frames used)."""

    name: str
    client: np.ndarray
    reference: np.ndarray
    client_rom: float
    reference_rom: float


@dataclass(frozen=True)
class Comparison:
    """Everything the comparison found; arrays are over client frames at `fps`.

    deviation: (15, T) distance of each joint to its aligned reference position;
    local_deviation: (15, T) the same on local positions (anchors.py); both in torso
    lengths, NaN where not compared. aligned_reference: (30, T) reference features warped
    onto client time (NaN where not compared). joints: the table, most different first
    (joints never compared are left out and named in notes).
    """

    exercise: str | None
    reference_exercise: str | None
    reference_source: str
    fps: float
    alignments: tuple[Alignment, ...]
    deviation: np.ndarray
    local_deviation: np.ndarray
    aligned_reference: np.ndarray
    joints: tuple[JointRow, ...]
    worst: tuple[Moment, ...]
    angles: dict[str, AngleCurve]
    mirrored: bool = False
    notes: tuple[str, ...] = field(default=())

    def top_joints(self, k: int = 3) -> tuple[str, ...]:
        return tuple(row.joint for row in self.joints[:k])

    def to_json(self) -> dict:
        """Plain JSON (for `analyze --json`, under "comparison"): table, moments, angles."""
        return {
            "reference": self.reference_source,
            "reference_exercise": self.reference_exercise,
            "mirrored": self.mirrored,
            "notes": list(self.notes),
            "fps": self.fps,
            "alignments": [{"client_start_frame": a.client_start,
                            "client_end_frame": a.client_end,
                            "reference_clip": a.reference_clip,
                            "reference_start_frame": a.reference_start,
                            "reference_end_frame": a.reference_end,
                            "mean_distance": _num(a.distance)} for a in self.alignments],
            "joints": [{"rank": r.rank, "joint": r.joint, "p90": _num(r.p90),
                        "mean": _num(r.mean), "peak": _num(r.peak),
                        "peak_frame": r.peak_frame, "peak_s": round(r.peak_frame / self.fps, 3),
                        "position_mean": _num(r.position_mean),
                        "position_peak": _num(r.position_peak)} for r in self.joints],
            "worst_moments": [{"frame": m.frame, "seconds": round(m.seconds, 3),
                               "joint": m.joint, "value": _num(m.value)} for m in self.worst],
            "angles": {name: {"client_rom_deg": _num(c.client_rom, 1),
                              "reference_rom_deg": _num(c.reference_rom, 1),
                              "rom_difference_deg": _num(c.client_rom - c.reference_rom, 1)}
                       for name, c in self.angles.items()},
        }


def _num(x: float, digits: int = 3) -> float | None:
    return None if not np.isfinite(x) else round(float(x), digits)


def compare(client: ClipFeatures, reference: Reference | ClipFeatures,
            exercise: str | None = None, client_reps: Sequence | None = None, *,
            mirror: bool = True, window_fraction: float = WINDOW_FRACTION,
            n_worst: int = 5) -> Comparison:
    """Align the client with the reference (per rep when reps are found) and compare joints.

    client: normalized features (any fps; the reference is resampled to it). exercise: the
    client's (rep finding, anchors, the mismatch note). client_reps: objects with
    .start/.end in client frames (e.g. reps.Rep); found with reps.segment_reps when None.
    mirror: flip the reference left/right when it faces the other way (match_facing).
    """
    if not isinstance(reference, Reference):
        reference = Reference(reference, None, "clip")
    if client.n_frames == 0 or not client.found.any():
        raise FitScoreError("No person was found in the client's clip, so there is nothing "
                            "to compare with the reference.")
    if any(f.n_frames == 0 or not f.found.any() for f in reference.clips):
        raise FitScoreError(f"The reference {reference.source} has no person in it; choose "
                            "a clip in which the whole body is visible.")
    notes = list(reference.notes)
    if exercise and reference.exercise and exercise != reference.exercise:
        notes.append(f"the reference shows a {_words(reference.exercise)} but the client's "
                     f"clip is a {_words(exercise)}: the differences compare two different "
                     "exercises, not the client's form")
    reference = replace(reference, features=resample(reference.features, client.fps),
                        alternatives=tuple(resample(f, client.fps)
                                           for f in reference.alternatives),
                        notes=tuple(notes))
    if mirror:
        reference = match_facing(client, reference)
    clips = reference.clips

    anchors = Anchors.of(exercise or reference.exercise,
                         all(_visible(f, "RAnkle") and _visible(f, "LAnkle")
                             for f in (client, *clips)))
    scale = limb_scale(client, clips, anchors)
    client_local, client_ok = local_features(client, anchors, scale)
    ref_local = [local_features(f, anchors) for f in clips]
    rows = alignment_rows(client_ok, [ok for _, ok in ref_local])
    if client_reps is None:
        client_reps = segment_reps(client.values, client.fps, exercise)
    ref_exercise = reference.exercise or exercise
    candidates = [(k, r.start, r.end) for k, f in enumerate(clips)
                  for r in segment_reps(f.values, f.fps, ref_exercise)]
    alignments = tuple(align_reps(client_local, [v for v, _ in ref_local], rows,
                                  client_reps, candidates, window_fraction))

    frames, aligned, ref_found = warp_reference(clips, alignments)
    deviation = joint_deviation(client, frames, aligned, ref_found)
    local = joint_deviation(client, frames, aligned, ref_found, anchors, scale)
    table, unseen = joint_table(local, deviation)
    notes = list(reference.notes)
    if unseen:
        notes.append(f"not compared (not visible in both clips): {', '.join(unseen)}")
    aligned_full = np.full((30, client.n_frames), np.nan, np.float32)
    aligned_full[:, frames] = aligned
    return Comparison(
        exercise=exercise, reference_exercise=reference.exercise,
        reference_source=reference.source, fps=client.fps, alignments=alignments,
        deviation=deviation, local_deviation=local, aligned_reference=aligned_full,
        joints=table, worst=worst_moments(local, client.fps, n_worst),
        angles=angle_curves(client, clips, alignments, frames),
        mirrored=reference.mirrored, notes=tuple(notes))


def _words(exercise: str) -> str:
    return exercise.replace("_", " ")


def _visible(f: ClipFeatures, joint: str) -> bool:
    return bool(f.found[_J[joint]].mean() >= MIN_VISIBLE)


def alignment_rows(client_ok: np.ndarray, ref_ok: Sequence[np.ndarray]) -> np.ndarray:
    """Feature rows of the joints measurable in most frames of the client and of every
    reference clip: what DTW reads."""
    common = client_ok.mean(axis=1) >= MIN_VISIBLE
    for ok in ref_ok:
        common &= ok.mean(axis=1) >= MIN_VISIBLE
    if not common.any():
        raise FitScoreError("The client and the reference have no joint that is visible in "
                            "both clips, so they cannot be compared; film the whole body.")
    joints = np.flatnonzero(common)
    return np.stack([2 * joints, 2 * joints + 1], axis=1).ravel()


def align(client_values: np.ndarray, ref_values: np.ndarray, rows: np.ndarray,
          segment: tuple[int, int], candidate: tuple[int, int, int],
          window_fraction: float) -> Alignment:
    """DTW of client frames [s, e) against frames [rs, re) of reference clip k."""
    (s, e), (k, rs, re_) = segment, candidate
    a = client_values[rows, s:e].T
    b = ref_values[rows, rs:re_].T
    window = max(1, round(window_fraction * max(len(a), len(b))))
    cost, path = dtw_path(a, b, window)
    return Alignment(s, e, k, rs, re_, path + np.array([s, rs]), cost / len(path))


def align_reps(client_values: np.ndarray, ref_values: Sequence[np.ndarray], rows: np.ndarray,
               client_reps: Sequence, candidates: list[tuple[int, int, int]],
               window_fraction: float) -> list[Alignment]:
    """Each client rep against its closest rep of the reference clip closest to the client.

    Values: (30, T) per clip; candidates: (clip, start, end) of every reference rep. The clip
    is chosen once (style belongs to a person, not a rep) by the summed DTW distance of up to
    STYLE_REPS client reps to their best rep in it; then each client rep takes that clip's
    rep with the lowest DTW distance (a lunge's reps alternate legs). A client without a
    full rep counts as one rep (the whole clip); a reference without one, as one rep of its
    main clip.
    """
    n = client_values.shape[1]
    reps = [(int(r.start), int(r.end)) for r in client_reps if 0 <= r.start < r.end <= n]
    reps = reps or [(0, n)]
    candidates = candidates or [(0, 0, ref_values[0].shape[1])]

    def best(segment: tuple[int, int], among: list[tuple[int, int, int]]) -> Alignment:
        tries = [align(client_values, ref_values[c[0]], rows, segment, c, window_fraction)
                 for c in among]
        return min(tries, key=lambda a: a.distance)

    clips = sorted({c[0] for c in candidates})
    if len(clips) > 1:
        probe = [reps[i] for i in np.unique(np.linspace(0, len(reps) - 1,
                                                        STYLE_REPS).round().astype(int))]
        total = {k: sum(best(seg, [c for c in candidates if c[0] == k]).distance
                        for seg in probe) for k in clips}
        chosen = min(clips, key=lambda k: total[k])
        candidates = [c for c in candidates if c[0] == chosen]
    return [best(seg, candidates) for seg in reps]


def _per_client_frame(path: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(client frames, first path row of each, path rows per frame) of a monotone path."""
    idx = path[:, 0]
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    return idx[starts], starts, np.diff(np.r_[starts, len(path)])


def warp_reference(clips: Sequence[ClipFeatures], alignments: Sequence[Alignment]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference features on client time: (frames (F,), values (30, F), found (15, F)).

    A client frame matched with several reference frames gets their mean; a joint counts as
    found there only if it was found in all of them.
    """
    frames, values, found = [], [], []
    for a in alignments:
        ref = clips[a.reference_clip]
        at, starts, counts = _per_client_frame(a.path)
        matched = a.path[:, 1]
        v = np.add.reduceat(ref.values[:, matched].astype(np.float64), starts, axis=1)
        f = np.add.reduceat(ref.found[:, matched].astype(np.int32), starts, axis=1)
        frames.append(at)
        values.append(v / counts)
        found.append(f == counts)
    return (np.concatenate(frames), np.concatenate(values, axis=1).astype(np.float32),
            np.concatenate(found, axis=1))


def joint_deviation(client: ClipFeatures, frames: np.ndarray, aligned: np.ndarray,
                    ref_found: np.ndarray, anchors: Anchors | None = None,
                    scale: np.ndarray | None = None) -> np.ndarray:
    """(15, T) torso lengths from each joint to its aligned reference position, or with
    anchors, between the local positions (the client's times `scale`); NaN where not
    compared (outside the aligned frames, or the joint or its anchor missing on a side)."""
    c_values, c_found = client.values[:, frames], client.found[:, frames]
    if anchors is not None:
        c_xy, c_ok = local_positions(c_values, c_found, anchors)
        r_xy, r_ok = local_positions(aligned, ref_found, anchors)
        if scale is not None:
            c_xy = c_xy * scale[:, None, None]
    else:
        c_xy, c_ok = c_values.reshape(15, 2, -1), c_found
        r_xy, r_ok = aligned.reshape(15, 2, -1), ref_found
    diff = c_xy - r_xy
    valid = c_ok & r_ok
    if not valid.any():
        raise FitScoreError("After aligning the client with the reference, no joint was "
                            "visible in both at the same moment; nothing can be compared.")
    deviation = np.full((15, client.n_frames), np.nan, np.float32)
    deviation[:, frames] = np.where(valid, np.hypot(diff[:, 0], diff[:, 1]), np.nan)
    return deviation


def _stats(deviation: np.ndarray) -> dict[str, np.ndarray]:
    """Per joint: seen (bool), p90, mean, peak, peak_frame; NaN-free where seen."""
    seen = ~np.isnan(deviation)
    has = seen.any(axis=1)
    filled = np.where(seen, deviation, -np.inf)
    peak_frame = filled.argmax(axis=1)
    p90 = np.full(15, np.nan)
    for j in np.flatnonzero(has):
        p90[j] = np.percentile(deviation[j, seen[j]], RANK_PERCENTILE)
    return {"has": has, "p90": p90,
            "mean": np.where(has, np.where(seen, deviation, 0).sum(1) /
                             np.maximum(seen.sum(1), 1), np.nan),
            "peak": np.where(has, filled[np.arange(15), peak_frame], np.nan),
            "peak_frame": peak_frame}


def joint_table(local: np.ndarray, position: np.ndarray
                ) -> tuple[tuple[JointRow, ...], list[str]]:
    """Joints ranked by the RANK_PERCENTILE of their local deviation (largest first), and
    the joints never compared."""
    s, p = _stats(local), _stats(position)
    order = [j for j in np.argsort(-np.nan_to_num(s["p90"], nan=-1.0), kind="stable")
             if s["has"][j]]
    rows = tuple(JointRow(rank + 1, MODEL_15.joints[j], float(s["p90"][j]),
                          float(s["mean"][j]), float(s["peak"][j]), int(s["peak_frame"][j]),
                          float(p["mean"][j]), float(p["peak"][j]))
                 for rank, j in enumerate(order))
    return rows, [MODEL_15.joints[j] for j in range(15) if not s["has"][j]]


def worst_moments(deviation: np.ndarray, fps: float, n: int = 5,
                  gap_s: float = WORST_GAP_S) -> tuple[Moment, ...]:
    """The n frames where some joint is furthest from the reference, at least gap_s apart,
    in time order."""
    score = np.where(np.isnan(deviation), -np.inf, deviation)
    joint, value = score.argmax(axis=0), score.max(axis=0)
    gap = max(1, round(gap_s * fps))
    picked: list[int] = []
    for t in np.argsort(-value, kind="stable"):
        if not np.isfinite(value[t]) or len(picked) == n:
            break
        if all(abs(int(t) - p) >= gap for p in picked):
            picked.append(int(t))
    return tuple(Moment(t, t / fps, MODEL_15.joints[joint[t]], float(value[t]))
                 for t in sorted(picked))


def angle_curves(client: ClipFeatures, clips: Sequence[ClipFeatures],
                 alignments: Sequence[Alignment], frames: np.ndarray) -> dict[str, AngleCurve]:
    """Client angles over its time, reference angles warped onto it, ranges of motion (the
    client's over its compared frames, the reference's over the frames it was aligned on)."""
    client_angles = joint_angles(client.values, client.found)
    ref_angles = [joint_angles(f.values, f.found) for f in clips]
    spans = [_per_client_frame(a.path) for a in alignments]
    out = {}
    for name, curve in client_angles.items():
        warped = np.full(client.n_frames, np.nan)
        used = []
        for a, (at, starts, counts) in zip(alignments, spans):
            ref = ref_angles[a.reference_clip][name]
            warped[at] = np.add.reduceat(ref[a.path[:, 1]], starts) / counts
            used.append(ref[a.reference_start:a.reference_end])
        out[name] = AngleCurve(name, curve, warped, range_of_motion(curve[frames]),
                               range_of_motion(np.concatenate(used)))
    return out
