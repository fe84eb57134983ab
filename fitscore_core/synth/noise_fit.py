"""How the hand-made noise model compares with what MediaPipe really does on rendered clips.

    python -m fitscore_core synth noise-report /tmp/posed

    >>> from fitscore_core.synth.posed import load_posed          # doctest: +SKIP
    >>> from fitscore_core.synth.noise_fit import noise_report, format_noise_report
    >>> print(format_noise_report(noise_report(load_posed("/tmp/posed"))))   # doctest: +SKIP

Why: the models train mostly on noise.py's detector model, so its parameters should match the
real estimator's errors. Every posed clip (posed.py) holds the ground truth, the backend's
output and the noise model's output for the same clip, so both are measured the same way:

- position error per model joint (median, 90th percentile, in torso lengths) on joints the
  truth shows (in frame, hidden factor < 0.5), in frames where the person was found; split
  into a per-clip bias (the median error vector: where the estimator puts a joint differs
  from the skeleton's joint, which no noise model adds) and the jitter around it, with the
  jitter's frame-to-frame correlation (noise.py's jitter and jitter_corr);
- visibility against the truth's hidden factor: mean visibility of hidden and of unhidden
  joints, how often a hidden joint still gets visibility >= 0.3 (the features' threshold)
  or >= 0.5, and how often a joint outside the frame is placed with visibility >= 0.3;
- left/right swaps: frames where a left/right pair is closer to the partner's truth than to
  its own (pairs whose truths are at least MIN_APART torso lengths apart; nearer pairs, as in
  side views, cannot be told apart), with the mean length of a swap run;
- frames lost (nobody found) and joints lost (in frame, person found, confidence 0).
"""

from dataclasses import dataclass

import numpy as np

from fitscore_core.pose.skeletons import BODY_25
from fitscore_core.synth.noise import NoiseParams, sample_noise_params
from fitscore_core.synth.posed import PosedClip

N_JOINTS = 15                                   # the model joints, BODY_25 0-14
JOINT_NAMES = BODY_25.joints[:N_JOINTS]
PAIRS = ((2, 5), (3, 6), (4, 7), (9, 12), (10, 13), (11, 14))   # (right, left)
PAIR_NAMES = ("shoulders", "elbows", "wrists", "hips", "knees", "ankles")
ARMS, LEGS = (3, 4, 6, 7), (10, 11, 13, 14)     # the joints the hidden factor can hide
HIDDEN_FROM = 0.5      # hidden factor from which a joint counts as hidden
THRESHOLDS = (0.3, 0.5)
MIN_APART = 0.2        # torso lengths between a pair's truths for the swap check
SOURCES = ("backend", "noise_model")


@dataclass(frozen=True)
class ClipErrors:
    """One source on one clip, per frame and joint. err: (T, 15, 2) detected - truth in torso
    lengths, NaN where not measured (truth not visible, joint or person not found)."""

    err: np.ndarray
    conf: np.ndarray           # (T, 15) the source's confidence
    placed_inside: np.ndarray  # (T, 15) the source put the joint inside the frame
    found: np.ndarray          # (T,) anyone found
    in_frame: np.ndarray       # (T, 15) truth inside the frame
    hidden: np.ndarray         # (T, 15) hidden factor >= HIDDEN_FROM
    pair_swapped: np.ndarray   # (T, 6) each pair of PAIRS swapped
    pair_checked: np.ndarray   # (T, 6) each pair could be checked

    @property
    def swapped(self) -> np.ndarray:
        """(T,) a pair swapped."""
        return self.pair_swapped.any(axis=1)

    @property
    def swap_checked(self) -> np.ndarray:
        """(T,) at least one pair could be checked."""
        return self.pair_checked.any(axis=1)
    moving: np.ndarray         # (T,) the truth differs from the frame before (not a held pose)


def source_keypoints(clip: PosedClip, source: str) -> np.ndarray:
    return clip.keypoints if source == "backend" else clip.noise_keypoints


def pair_swaps(det: np.ndarray, truth: np.ndarray, torso: float,
               min_apart: float = MIN_APART) -> tuple[np.ndarray, np.ndarray]:
    """((T, 6) swapped, (T, 6) checked) for each left/right pair of PAIRS.

    A pair is checked where both truths are in frame, both joints were found and the truths
    are min_apart torso lengths apart; it is swapped where labelling it the other way round
    brings the two joints closer to the truth (summed distances)."""
    r, l = np.array(PAIRS).T
    t_r, t_l, d_r, d_l = truth[:, r], truth[:, l], det[:, r], det[:, l]

    def dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.linalg.norm(a[..., :2] - b[..., :2], axis=-1)

    checked = (t_r[..., 2] > 0) & (t_l[..., 2] > 0) & (d_r[..., 2] > 0) & (d_l[..., 2] > 0)
    checked &= dist(t_r, t_l) >= min_apart * torso
    flip = dist(d_r, t_l) + dist(d_l, t_r) < dist(d_r, t_r) + dist(d_l, t_l)
    return checked & flip, checked


def swaps(det: np.ndarray, truth: np.ndarray, torso: float,
          min_apart: float = MIN_APART) -> tuple[np.ndarray, np.ndarray]:
    """((T,) frames with a swapped pair, (T,) frames with a pair that could be checked)."""
    swapped, checked = pair_swaps(det, truth, torso, min_apart)
    return swapped.any(axis=1), checked.any(axis=1)


def clip_errors(clip: PosedClip, source: str) -> ClipErrors:
    """The per-frame measures of one source on one clip."""
    det = source_keypoints(clip, source)[:, :N_JOINTS]
    truth = clip.truth[:, :N_JOINTS]
    torso = clip.torso_px if np.isfinite(clip.torso_px) and clip.torso_px > 0 else np.nan
    found = (det[..., 2] > 0).any(axis=1)
    in_frame = truth[..., 2] > 0
    hidden = clip.hidden[:, :N_JOINTS] >= HIDDEN_FROM
    measured = in_frame & ~hidden & (det[..., 2] > 0)
    err = np.where(measured[..., None], (det[..., :2] - truth[..., :2]) / torso, np.nan)
    sw, checked = pair_swaps(det, truth, torso if np.isfinite(torso) else np.inf)
    w, h = clip.size
    inside = ((det[..., 0] >= 0) & (det[..., 0] < w) & (det[..., 1] >= 0) & (det[..., 1] < h)
              & (det[..., 2] > 0))
    moving = np.ones(len(truth), bool)
    moving[1:] = np.abs(np.diff(truth[..., :2], axis=0)).max(axis=(1, 2)) > 1e-3
    return ClipErrors(err, det[..., 2], inside, found, in_frame, hidden, sw, checked, moving)


def _quantiles(values: np.ndarray) -> dict:
    v = values[np.isfinite(values)]
    if not v.size:
        return {"median": float("nan"), "p90": float("nan"), "n": 0}
    return {"median": float(np.median(v)), "p90": float(np.percentile(v, 90)), "n": int(v.size)}


def _bias_and_jitter(errs: list[ClipErrors], joints
                     ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """(per-clip bias magnitudes, jitter magnitudes, lag-1 correlation of the jitter, error
    changes from one frame to the next) over the given joints: bias = the clip's median
    error vector of a joint; jitter = the error around it. The frame-to-frame change is the
    fast wobble alone (an AR(1) jitter of sd s and correlation c moves by s * sqrt(2 - 2c)
    per axis); the jitter around the bias also holds slow, pose-dependent drift."""
    bias, jit, steps, num, den = [], [], [], 0.0, 0.0
    for e in errs:
        for j in joints:
            v = e.err[:, j]
            ok = np.isfinite(v[:, 0])
            if ok.sum() < 5:
                continue
            b = np.median(v[ok], axis=0)
            bias.append(float(np.linalg.norm(b)))
            r = v - b
            jit.append(np.linalg.norm(r[ok], axis=1))
            both = ok[1:] & ok[:-1] & e.moving[1:]   # held poses: renders repeat exactly
            num += float((r[1:][both] * r[:-1][both]).sum())
            den += float((r[:-1][both] ** 2).sum())
            steps.append(np.linalg.norm(v[1:][both] - v[:-1][both], axis=1))
    jitter = np.concatenate(jit) if jit else np.zeros(0)
    step = np.concatenate(steps) if steps else np.zeros(0)
    return np.array(bias), jitter, (num / den if den > 0 else float("nan")), step


def _runs(mask: np.ndarray) -> list[int]:
    """Lengths of the runs of True."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(edges[1::2] - edges[::2])


def _share(mask: np.ndarray, of: np.ndarray) -> dict:
    n = int(of.sum())
    k = int((mask & of).sum())
    return {"count": k, "of": n, "rate": k / n if n else float("nan")}


def _visibility(errs: list[ClipErrors]) -> dict:
    """Confidence against the truth's hidden factor, in frames where the person was found."""
    def cat(field: str) -> np.ndarray:
        return np.concatenate([getattr(e, field)[e.found] for e in errs])
    conf, inside, hid, placed = cat("conf"), cat("in_frame"), cat("hidden"), cat("placed_inside")
    out = {}
    for name, cols in (("all", list(range(N_JOINTS))), ("arms", list(ARMS)),
                       ("legs", list(LEGS))):
        c, i, h = conf[:, cols], inside[:, cols], hid[:, cols]
        hidden, shown = i & h, i & ~h
        row = {"hidden_mean": float(c[hidden].mean()) if hidden.any() else float("nan"),
               "shown_mean": float(c[shown].mean()) if shown.any() else float("nan"),
               "hidden_n": int(hidden.sum()), "shown_n": int(shown.sum())}
        for th in THRESHOLDS:
            row[f"hidden_ge_{th}"] = _share(c >= th, hidden)["rate"]
            row[f"shown_ge_{th}"] = _share(c >= th, shown)["rate"]
        row["outside_ge_0.3"] = _share(c >= 0.3, ~i)["rate"]
        row["outside_placed_in_ge_0.3"] = _share((c >= 0.3) & placed[:, cols], ~i)["rate"]
        row["outside_n"] = int((~i).sum())
        out[name] = row
    return out


def source_report(clips: list[PosedClip], source: str) -> dict:
    """Every figure of one source (the backend, or the noise model) over the clips."""
    errs = [clip_errors(c, source) for c in clips]
    mag = [np.linalg.norm(e.err, axis=2) for e in errs]          # (T, 15) NaN = not measured
    joints = {}
    for j, name in enumerate(JOINT_NAMES):
        q = _quantiles(np.concatenate([m[:, j] for m in mag]) if mag else np.zeros(0))
        bias, jit, _, _ = _bias_and_jitter(errs, [j])
        q["bias"] = float(np.median(bias)) if bias.size else float("nan")
        q["jitter"] = float(np.median(jit)) if jit.size else float("nan")
        joints[name] = q
    allq = _quantiles(np.concatenate([m.ravel() for m in mag]) if mag else np.zeros(0))
    bias, jit, corr, step = _bias_and_jitter(errs, range(N_JOINTS))
    allq.update(bias=float(np.median(bias)) if bias.size else float("nan"),
                jitter=float(np.median(jit)) if jit.size else float("nan"),
                jitter_p90=float(np.percentile(jit, 90)) if jit.size else float("nan"),
                jitter_corr=corr,
                step=float(np.median(step)) if step.size else float("nan"),
                step_p90=float(np.percentile(step, 90)) if step.size else float("nan"))
    person = [e.in_frame.any(axis=1) for e in errs]
    lost = [~e.found & p for e, p in zip(errs, person)]
    runs = [r for e in errs for r in _runs(e.swapped)]
    swap = _share(np.concatenate([e.swapped for e in errs]),
                  np.concatenate([e.swap_checked for e in errs]))
    swap["mean_run"] = float(np.mean(runs)) if runs else 0.0
    swap["clips_with_swaps"] = int(sum(e.swapped.any() for e in errs))
    ps = np.concatenate([e.pair_swapped for e in errs])
    pc = np.concatenate([e.pair_checked for e in errs])
    swap["pairs"] = {n: _share(ps[:, k], pc[:, k]) for k, n in enumerate(PAIR_NAMES)}
    shown = [e.in_frame & e.found[:, None] for e in errs]
    dropped = _share(np.concatenate([(e.conf <= 0).ravel() for e in errs]),
                     np.concatenate([s.ravel() for s in shown]))
    return {"joints": joints, "all": allq, "visibility": _visibility(errs),
            "swaps": swap, "lost_frames": _share(np.concatenate(lost), np.concatenate(person)),
            "lost_joints": dropped}


def model_ranges(n: int = 4000, seed: int = 0) -> dict:
    """What noise.sample_noise_params draws: (low, high, share of clips where it is > 0) per
    parameter, by sampling it, so the figures follow the code."""
    rng = np.random.default_rng(seed)
    draws = [sample_noise_params(rng) for _ in range(n)]
    out = {}
    for name in ("jitter", "jitter_corr", "drop_rate", "swap_rate", "conf_base"):
        v = np.array([getattr(p, name) for p in draws])
        out[name] = {"low": float(v.min()), "high": float(v.max()), "mean": float(v.mean()),
                     "share_on": float((v > 0).mean())}
    d = NoiseParams()
    out["swap_burst"] = list(d.swap_burst)
    out["drop_burst"] = list(d.drop_burst)
    return out


VIEWS = ("front", "diagonal", "side", "behind")


def _view(yaw: float) -> str:
    """front |yaw| < 25°, diagonal < 65°, side < 115°, else from behind (MediaPipe may take
    the back for the front there: a whole clip swapped)."""
    a = abs((yaw + 180.0) % 360.0 - 180.0)
    return ("front" if a < 25.0 else "diagonal" if a < 65.0 else "side" if a < 115.0
            else "behind")


def noise_report(clips: list[PosedClip]) -> dict:
    """The backend and the noise model side by side on the same clips (see module doc)."""
    if not clips:
        raise ValueError("no clips to report on")
    report = {"clips": len(clips), "frames": int(sum(c.n_frames for c in clips)),
              "backend_name": clips[0].backend,
              "sources": {s: source_report(clips, s) for s in SOURCES},
              "model_ranges": model_ranges()}
    views = {}
    for v in VIEWS:
        sub = [c for c in clips if _view(c.yaw_deg) == v]
        if not sub:
            continue
        views[v] = {"clips": len(sub)}
        for s in SOURCES:
            sr = source_report(sub, s)
            views[v][s] = {"median": sr["all"]["median"], "p90": sr["all"]["p90"],
                           "swap_rate": sr["swaps"]["rate"],
                           "swap_run": sr["swaps"]["mean_run"],
                           "lost_rate": sr["lost_frames"]["rate"]}
    report["by_view"] = views
    return report


def _f(v: float, digits: int = 3) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{v:.{digits}f}"


def _pct(v: float) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{100 * v:.1f} %"


def format_noise_report(report: dict) -> str:
    """Markdown tables: each figure for the backend and for the noise model."""
    b, m = report["sources"]["backend"], report["sources"]["noise_model"]
    r = report["model_ranges"]
    name = report["backend_name"]
    lines = [f"{report['clips']} clips, {report['frames']} frames; backend: {name}; "
             "errors in torso lengths on joints the truth shows", "",
             "| joint | backend median | backend p90 | backend bias | backend jitter | "
             "noise median | noise p90 | noise jitter |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for j in JOINT_NAMES:
        x, y = b["joints"][j], m["joints"][j]
        lines.append(f"| {j} | {_f(x['median'])} | {_f(x['p90'])} | {_f(x['bias'])} | "
                     f"{_f(x['jitter'])} | {_f(y['median'])} | {_f(y['p90'])} | "
                     f"{_f(y['jitter'])} |")
    x, y = b["all"], m["all"]
    lines.append(f"| **all 15** | {_f(x['median'])} | {_f(x['p90'])} | {_f(x['bias'])} | "
                 f"{_f(x['jitter'])} | {_f(y['median'])} | {_f(y['p90'])} | "
                 f"{_f(y['jitter'])} |")
    jr, cr = r["jitter"], r["jitter_corr"]
    rows = [
        ("jitter around the bias, median / p90", f"{_f(x['jitter'])} / {_f(x['jitter_p90'])}",
         f"{_f(y['jitter'])} / {_f(y['jitter_p90'])}",
         f"jitter {jr['low']:.3f}–{jr['high']:.3f} × body height"),
        ("jitter frame-to-frame correlation", _f(x["jitter_corr"], 2),
         _f(y["jitter_corr"], 2), f"jitter_corr {cr['low']:.2f}–{cr['high']:.2f}"),
        ("error change from one frame to the next, median / p90",
         f"{_f(x['step'])} / {_f(x['step_p90'])}", f"{_f(y['step'])} / {_f(y['step_p90'])}", ""),
    ]
    for part, label in (("all", "joints"), ("arms", "elbows, wrists"), ("legs", "knees, ankles")):
        vb, vm = b["visibility"][part], m["visibility"][part]
        rows.append((f"mean visibility, hidden {label} (n = {vb['hidden_n']})",
                     _f(vb["hidden_mean"], 2), _f(vm["hidden_mean"], 2),
                     "hidden: 0.02–0.3 (legs in some clips)" if part == "all" else ""))
        rows.append((f"hidden {label} with visibility ≥ 0.3 / ≥ 0.5",
                     f"{_pct(vb['hidden_ge_0.3'])} / {_pct(vb['hidden_ge_0.5'])}",
                     f"{_pct(vm['hidden_ge_0.3'])} / {_pct(vm['hidden_ge_0.5'])}", ""))
    va, vn = b["visibility"]["all"], m["visibility"]["all"]
    cb = r["conf_base"]
    rows += [
        ("mean visibility, joints in view", _f(va["shown_mean"], 2), _f(vn["shown_mean"], 2),
         f"conf_base {cb['low']:.2f}–{cb['high']:.2f}"),
        ("joints in view with visibility ≥ 0.3", _pct(va["shown_ge_0.3"]),
         _pct(vn["shown_ge_0.3"]), ""),
        (f"joints outside the frame placed with visibility ≥ 0.3 (n = {va['outside_n']})",
         _pct(va["outside_ge_0.3"]), _pct(vn["outside_ge_0.3"]), "cut: confidence 0"),
        ("… of them placed inside the frame with visibility ≥ 0.3",
         _pct(va["outside_placed_in_ge_0.3"]), _pct(vn["outside_placed_in_ge_0.3"]), ""),
    ]
    sr, sb = r["swap_rate"], r["swap_burst"]
    rows += [
        ("frames with a left/right swap", f"{_pct(b['swaps']['rate'])} "
         f"({b['swaps']['count']} of {b['swaps']['of']})",
         f"{_pct(m['swaps']['rate'])} ({m['swaps']['count']} of {m['swaps']['of']})",
         f"swap_rate 0–{sr['high']:.3f}/frame in {sr['share_on']:.0%} of clips"),
        ("swap run length, mean frames", _f(b["swaps"]["mean_run"], 1),
         _f(m["swaps"]["mean_run"], 1), f"swap_burst {sb[0]}–{sb[1]}"),
        ("clips with a swap", str(b["swaps"]["clips_with_swaps"]),
         str(m["swaps"]["clips_with_swaps"]), ""),
        ("swapped share per pair: " + ", ".join(PAIR_NAMES),
         " / ".join(_pct(b["swaps"]["pairs"][n]["rate"]) for n in PAIR_NAMES),
         " / ".join(_pct(m["swaps"]["pairs"][n]["rate"]) for n in PAIR_NAMES),
         "arm, leg or whole-side bursts"),
        ("frames lost (nobody found)", f"{_pct(b['lost_frames']['rate'])} "
         f"({b['lost_frames']['count']} of {b['lost_frames']['of']})",
         f"{_pct(m['lost_frames']['rate'])}", "never (joints only)"),
        ("joints lost (in frame, person found)", _pct(b["lost_joints"]["rate"]),
         _pct(m["lost_joints"]["rate"]),
         f"drop_rate 0–{r['drop_rate']['high']:.3f} in "
         f"{r['drop_rate']['share_on']:.0%} of clips"),
    ]
    lines += ["", "| measure | backend | noise model | noise.py draws |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {p} | {q} | {s} |" for a, p, q, s in rows]
    if report["by_view"]:
        lines += ["", "| view | clips | error median / p90, backend | noise model | "
                  "swapped frames (run), backend | noise model | backend frames lost |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for v, row in report["by_view"].items():
            bb, mm = row["backend"], row["noise_model"]
            lines.append(f"| {v} | {row['clips']} | {_f(bb['median'])} / {_f(bb['p90'])} | "
                         f"{_f(mm['median'])} / {_f(mm['p90'])} | {_pct(bb['swap_rate'])} "
                         f"({_f(bb['swap_run'], 1)}) | {_pct(mm['swap_rate'])} "
                         f"({_f(mm['swap_run'], 1)}) | {_pct(bb['lost_rate'])} |")
    return "\n".join(lines)
