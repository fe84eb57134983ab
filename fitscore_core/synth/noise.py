"""Pose-estimator noise for training data: what a real detector does to perfect keypoints.

    >>> import numpy as np
    >>> from fitscore_core.synth.noise import NoiseParams, apply_noise
    >>> kps = np.zeros((50, 25, 3), np.float32); kps[..., 2] = 1
    >>> kps[:, :, 1] = np.linspace(100, 400, 25)          # a 300 px tall "person"
    >>> noisy = apply_noise(kps, np.full((50, 25), 3.0), np.random.default_rng(0), NoiseParams())
    >>> noisy.shape, bool(0 < noisy[..., 2].mean() < 1)
    ((50, 25, 3), True)

Effects, each a pure function of its inputs and an rng (sample_noise_params: the studio
detector of the first plan; sample_mediapipe_params: fitted to MediaPipe on rendered clips,
used under real-footage conditions):
- jitter: zero-mean, near-Gaussian pixel noise scaled to the body's size in the frame,
  correlated from frame to frame (detectors wobble rather than flicker), larger for
  extremities and occluded joints;
- confidences: high for clearly visible joints, lower for the far side of the body in side
  views (self-occlusion), with a little uniform noise;
- dropped joints: short bursts where a joint is not found (confidence 0, x = y = 0);
- left/right swaps: short bursts where the detector labels an arm or leg pair the wrong way
  round, the classic side-view failure (more often from behind);
- a per-joint offset fixed for the clip (a detector's joint centres are not the skeleton's)
  and whole frames where nobody is found.
"""

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from fitscore_core.pose.skeletons import BODY_25

MIRROR = np.array(BODY_25.mirror)
# per-joint jitter multiplier: face steady, wrists/feet shaky
_JOINT_SCALE = np.ones(25)
_JOINT_SCALE[[0, 15, 16, 17, 18]] = 0.6
_JOINT_SCALE[[1, 2, 5, 8, 9, 12]] = 0.8
_JOINT_SCALE[[4, 7, 11, 14]] = 1.3
_JOINT_SCALE[19:] = 1.5
_PAIRS = {  # joint groups that get swapped together
    "arms": [2, 3, 4],
    "legs": [9, 10, 11, 22, 23, 24],
    "all": [2, 3, 4, 9, 10, 11, 15, 17, 22, 23, 24],
}


@dataclass(frozen=True)
class NoiseParams:
    """jitter: pixel sigma as a fraction of the body's height in the frame; jitter_corr:
    frame-to-frame correlation; drop_rate: expected share of joint-frames lost; swap_rate:
    expected L/R swap bursts per frame; far_conf_drop: confidence lost by a fully hidden
    far-side joint."""

    jitter: float = 0.006
    jitter_corr: float = 0.6
    drop_rate: float = 0.01
    drop_burst: tuple[int, int] = (1, 6)
    swap_rate: float = 0.003
    swap_burst: tuple[int, int] = (2, 6)
    conf_base: float = 0.9
    far_conf_drop: float = 0.35
    bias: float = 0.0               # per-joint offset fixed for the clip, fraction of height
    frame_loss: float = 0.0         # expected share of frames where nobody is found
    frame_loss_burst: tuple[int, int] = (1, 8)
    behind_factor: float = 1.0      # swaps and lost frames x this when filmed from behind


def sample_noise_params(rng: np.random.Generator) -> NoiseParams:
    """A detector of random quality: from a clean studio clip to a shaky phone clip."""
    return NoiseParams(
        jitter=float(rng.uniform(0.002, 0.012)), jitter_corr=float(rng.uniform(0.3, 0.85)),
        drop_rate=float(rng.uniform(0.0, 0.03) * (rng.random() < 0.5)),
        swap_rate=float(rng.uniform(0.0, 0.008) * (rng.random() < 0.5)),
        conf_base=float(rng.uniform(0.75, 0.95)), far_conf_drop=float(rng.uniform(0.2, 0.45)))


def sample_mediapipe_params(rng: np.random.Generator) -> NoiseParams:
    """A detector like MediaPipe on rendered clips (`synth noise-report`): slow, strongly
    correlated wander (frame-to-frame 0.92) around a per-joint bias of ~0.04 torso, swaps of
    ~9 frames in ~4 % of frames (24 % from behind), ~2 % of frames with nobody
    found (8 % from behind), joints rarely lost alone."""
    return NoiseParams(
        jitter=float(rng.uniform(0.002, 0.010)), jitter_corr=float(rng.uniform(0.8, 0.97)),
        drop_rate=float(rng.uniform(0.0, 0.01) * (rng.random() < 0.3)),
        swap_rate=float(rng.uniform(0.0, 0.008) * (rng.random() < 0.6)), swap_burst=(3, 15),
        conf_base=float(rng.uniform(0.8, 0.97)), far_conf_drop=float(rng.uniform(0.2, 0.45)),
        bias=float(rng.uniform(0.004, 0.015)),
        frame_loss=float(rng.uniform(0.0, 0.04) * (rng.random() < 0.5)),
        behind_factor=float(rng.uniform(3.0, 8.0)))


def facing_away(depth: np.ndarray) -> float:
    """0 (face towards the camera or side-on) .. 1 (filmed from behind): the nose is farther
    from the camera than the neck."""
    if not len(depth):
        return 0.0
    return float(np.clip(np.median(depth[:, 0] - depth[:, 1]) / 0.06, 0.0, 1.0))


def body_height_px(kps: np.ndarray, max_frames: int = 32) -> float:
    """Median over (up to max_frames evenly spaced) frames of the person's larger pixel
    extent, from found joints only."""
    sub = kps[:: max(1, len(kps) // max_frames)]
    found = sub[..., 2] > 0
    x, y = sub[..., 0], sub[..., 1]
    if found.all():   # the usual case for projected keypoints: no masking needed
        size = np.maximum(x.max(axis=1) - x.min(axis=1), y.max(axis=1) - y.min(axis=1))
        return _median(size)
    ext = [np.where(found, v, -np.inf).max(axis=1) - np.where(found, v, np.inf).min(axis=1)
           for v in (x, y)]
    size = np.maximum(*ext)
    size = size[np.isfinite(size)]
    return _median(size) if size.size else 0.0


def _median(v: np.ndarray) -> float:
    """float(np.median(v)) of a short 1-D array, without np.median's ~10 us of overhead."""
    s = np.sort(v)
    k = s.shape[0] // 2
    return float(s[k]) if s.shape[0] % 2 else float((s[k - 1] + s[k]) / s.dtype.type(2))


def confidences(depth: np.ndarray, rng: np.random.Generator, base: float = 0.9,
                far_drop: float = 0.35) -> np.ndarray:
    """(T, 25) detector confidences from joint depths: far-side joints of L/R pairs score lower.

    A far joint is hidden by the body in side views: its depth exceeds its partner's; the
    drop grows to far_drop when it is 25 cm or more behind.
    """
    behind = (depth - depth[:, MIRROR]) / 0.25
    np.clip(behind, 0.0, 1.0, out=behind)
    wobble = rng.random(depth.shape, dtype=np.float32)   # uniform, sd ~0.03 once scaled
    wobble -= np.float32(0.5)
    wobble *= np.float32(0.1)
    conf = behind                                        # in place: base - far_drop * behind
    conf *= -far_drop
    conf += base
    conf += wobble
    np.clip(conf, 0.05, 1.0, out=conf)
    return conf.astype(np.float32, copy=False)


def jitter(kps: np.ndarray, rng: np.random.Generator, sigma_px: float, corr: float = 0.6
           ) -> np.ndarray:
    """Add AR(1)-correlated pixel noise of marginal std sigma_px x per-joint scale x (2 - conf):
    a confident joint gets sigma, an occluded one up to twice that. Missing joints stay missing."""
    out = kps.copy()
    out[..., 0], out[..., 1] = _jitter_planes(kps[..., 0], kps[..., 1], kps[..., 2], rng,
                                              sigma_px, corr)
    return out


def _jitter_planes(x: np.ndarray, y: np.ndarray, conf: np.ndarray, rng: np.random.Generator,
                   sigma_px: float, corr: float, zero_missing: bool = True
                   ) -> tuple[np.ndarray, np.ndarray]:
    """jitter() on (T, 25) planes of x, y and confidence; returns the new x and y planes.
    zero_missing=False leaves x and y of missing joints to the caller (apply_noise zeroes them
    at the end anyway)."""
    t = conf.shape[0]
    scale = (sigma_px * _JOINT_SCALE).astype(np.float32) * (2.0 - np.clip(conf, 0, 1))
    # x and y planes (contiguous: fast). Innovations are triangular (sum of two uniforms,
    # unit variance): near-Gaussian after the AR filter and 5x cheaper to draw than normals.
    u = rng.random((2, 2, t, 25), dtype=np.float32)
    e = np.add(u[0], u[1])
    e -= np.float32(1.0)
    e *= np.float32(np.sqrt(6.0))
    if corr > 0 and t > 1:
        # AR(1): x_0 = e_0, x_t = c x_{t-1} + sqrt(1 - c^2) e_t, unit variance throughout
        s = np.float32(np.sqrt(1.0 - corr * corr))
        e, _ = lfilter(np.array([s], np.float32), np.array([1.0, -corr], np.float32), e, axis=1,
                       zi=((1 - s) * e[:, :1]))
    e = np.multiply(e, scale, out=e if scale.dtype == e.dtype else None)
    x = x + e[0]
    y = y + e[1]
    if zero_missing:
        found = (conf > 0).astype(np.float32)
        x *= found
        y *= found
    return x, y


def _bursts(rng: np.random.Generator, t: int, expected: float, burst: tuple[int, int]
            ) -> list[tuple[int, int]]:
    """Random (start, end) frame spans, Poisson(expected) of them."""
    starts, ends = _burst_arrays(rng, t, expected, burst)
    return list(zip(starts.tolist(), ends.tolist()))


def _burst_arrays(rng: np.random.Generator, t: int, expected: float, burst: tuple[int, int]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """_bursts as (starts, ends) arrays (the same draws)."""
    n = rng.poisson(expected) if expected > 0 else 0
    starts = rng.integers(0, max(1, t), n)
    lengths = rng.integers(burst[0], burst[1] + 1, n)
    return starts, np.minimum(t, starts + lengths)


def drop_joints(kps: np.ndarray, rng: np.random.Generator, rate: float,
                burst: tuple[int, int] = (1, 6)) -> np.ndarray:
    """Lose joints in short bursts (confidence 0, x = y = 0); about `rate` of joint-frames.

    Low-confidence joints are picked more often, as real detectors lose occluded joints first.
    """
    out = kps.copy()
    lost = _drop_mask(kps[..., 2], rng, rate, burst)
    if lost is not None:
        out[lost] = 0.0
    return out


def _drop_mask(conf: np.ndarray, rng: np.random.Generator, rate: float,
               burst: tuple[int, int]) -> np.ndarray | None:
    """(T, 25) mask of the joint-frames drop_joints loses (None: none), same draws."""
    t = conf.shape[0]
    mean_len = (burst[0] + burst[1]) / 2
    starts, ends = _burst_arrays(rng, t, rate * t * 25 / mean_len, burst)
    if not len(starts):
        return None
    w = 1.5 - np.clip(conf.mean(axis=0), 0, 1)
    cw = np.cumsum(w)
    joints = np.minimum(np.searchsorted(cw, rng.random(len(starts)) * cw[-1], side="right"), 24)
    lengths = ends - starts
    first = np.cumsum(lengths) - lengths
    frames = np.arange(int(lengths.sum())) + np.repeat(starts - first, lengths)
    lost = np.zeros(conf.shape, bool)
    lost[frames, np.repeat(joints, lengths)] = True
    return lost


def swap_left_right(kps: np.ndarray, rng: np.random.Generator, rate: float,
                    burst: tuple[int, int] = (2, 6)) -> np.ndarray:
    """Swap the labels of an arm pair, a leg pair or the whole left/right side for a few frames."""
    return _swap_planes((kps,), rng, rate, burst)[0]


def _swap_planes(planes: tuple[np.ndarray, ...], rng: np.random.Generator, rate: float,
                 burst: tuple[int, int], copy: bool = True) -> tuple[np.ndarray, ...]:
    """swap_left_right() applied alike to arrays whose axes 0 and 1 are frames and joints
    (copy=False: may return the inputs themselves when nothing is swapped)."""
    t = planes[0].shape[0]
    starts, ends = _burst_arrays(rng, t, rate * t, burst)
    if not len(starts) and not copy:
        return planes
    out = tuple(p.copy() for p in planes)
    for s, e in zip(starts.tolist(), ends.tolist()):
        group = _PAIRS[("arms", "legs", "all")[int(rng.integers(3))]]
        cols, src = _SWAP[id(group)]
        for o, p in zip(out, planes):
            o[s:e, cols] = p[s:e, src]
    return out


_SWAP = {id(g): (g + [int(MIRROR[j]) for j in g], [int(MIRROR[j]) for j in g] + g)
         for g in _PAIRS.values()}


def apply_noise(kps: np.ndarray, depth: np.ndarray, rng: np.random.Generator,
                params: NoiseParams, size: tuple[int, int] | None = None,
                conf: np.ndarray | None = None) -> np.ndarray:
    """Perfect projected keypoints (T, 25, 3) + depths (T, 25) -> detector-like keypoints.

    size: (width, height) of the frame; found joints are kept inside it, as a detector's are.
    The steps are confidences, jitter (+ a per-joint bias), drop_joints, swap_left_right,
    whole frames lost and the frame clip, done
    on contiguous (T, 25) planes of x, y and confidence (the same draws and numbers as the
    step functions on (T, 25, 3) arrays, several times faster). conf: (T, 25) confidences to
    use instead of the depth-only ones (conditions.occluded_confidence).
    """
    kps = np.asarray(kps)
    x = kps[..., 0].astype(np.float32)
    y = kps[..., 1].astype(np.float32)
    if conf is None:
        conf = confidences(depth, rng, params.conf_base, params.far_conf_drop)
    conf = conf * (kps[..., 2].astype(np.float32, copy=False) > 0)
    # x and y of joints without confidence (not found, lost) are zeroed once, at the end
    height = body_height_px(kps)
    x, y = _jitter_planes(x, y, conf, rng, params.jitter * height, params.jitter_corr,
                          zero_missing=False)
    if params.bias > 0:
        off = rng.normal(0.0, params.bias * height, (2, 25)).astype(np.float32)
        x += off[0]
        y += off[1]
    lost = _drop_mask(conf, rng, params.drop_rate, params.drop_burst)
    if lost is not None:
        conf[lost] = 0.0
    behind = 1.0                         # swaps and lost frames, x behind_factor from behind
    if params.behind_factor != 1.0:
        behind += (params.behind_factor - 1.0) * facing_away(depth)
    x, y, conf = _swap_planes((x, y, conf), rng, params.swap_rate * behind, params.swap_burst,
                              copy=False)
    if params.frame_loss > 0:
        mean_len = sum(params.frame_loss_burst) / 2
        for s, e in _bursts(rng, len(conf), params.frame_loss * behind * len(conf) / mean_len,
                            params.frame_loss_burst):
            conf[s:e] = 0.0
    found = conf > 0
    if size is not None:
        np.clip(x, 0, size[0] - 1, out=x)
        np.clip(y, 0, size[1] - 1, out=y)
    x *= found
    y *= found
    out = np.empty(conf.shape + (3,), np.float32)
    out[..., 0] = x
    out[..., 1] = y
    out[..., 2] = conf
    return out
