"""Keypoint accuracy against ground truth: PCK (percentage of correct keypoints).

    >>> import numpy as np
    >>> from fitscore_core.synth.metrics import pck, torso_length
    >>> truth = np.zeros((1, 15, 2)); truth[0, 8] = (0, 100)        # Neck (0, 0), MidHip (0, 100)
    >>> pred = np.concatenate([truth + 5, np.ones((1, 15, 1))], -1)  # every joint 7 px off
    >>> pck(pred, truth, torso_length(truth), thresh=0.2)           # within 0.2 x 100 px
    1.0

Why: the renderer is only useful if a pose estimator finds the drawn person where the joints
really are; PCK with a threshold relative to the torso is the standard, scale-free way to say so.
A joint the estimator did not report (confidence 0, or a frame without a person) counts as wrong.
"""

import numpy as np

NECK, MID_HIP = 1, 8  # BODY_25 indices


def torso_length(truth: np.ndarray) -> np.ndarray:
    """(T, J>=9, 2) BODY_25 pixels -> (T,) Neck-MidHip distance in pixels."""
    truth = np.asarray(truth, float)
    return np.linalg.norm(truth[:, NECK, :2] - truth[:, MID_HIP, :2], axis=-1)


def pck(pred: np.ndarray, truth: np.ndarray, torso_len: np.ndarray, thresh: float = 0.2) -> float:
    """Fraction of joints within thresh x torso_len of the truth.

    pred: (T, J, 3) x, y, confidence (0 = not found, counted wrong); truth: (T, J, 2);
    torso_len: (T,) pixels, one per frame.
    """
    pred, truth = np.asarray(pred, float), np.asarray(truth, float)
    torso_len = np.asarray(torso_len, float)
    if pred.shape[:2] != truth.shape[:2] or torso_len.shape != pred.shape[:1]:
        raise ValueError(f"shape mismatch: pred {pred.shape}, truth {truth.shape}, "
                         f"torso_len {torso_len.shape}")
    if pred.size == 0:
        raise ValueError("no keypoints to score")
    dist = np.linalg.norm(pred[..., :2] - truth[..., :2], axis=-1)
    ok = (pred[..., 2] > 0) & (dist <= thresh * torso_len[:, None])
    return float(ok.mean())
