"""Softmax cross-entropy with PyTorch's label smoothing, mean over the batch; log-sum-exp keeps large logits
finite."""
import numpy as np
from numba import njit, prange

from ..loss_math import smoothed_row_loss, smoothed_target, softmax_row

_softmax_row = njit(inline="always")(softmax_row)
_row_loss = njit(inline="always")(smoothed_row_loss)
_target = njit(inline="always")(smoothed_target)


@njit(parallel=True, cache=True)
def _cross_entropy(logits, target, smoothing, probs, losses):
    for i in prange(logits.shape[0]):
        losses[i] = _row_loss(logits, i, target[i], _softmax_row(logits, i, probs), smoothing)


@njit(parallel=True, cache=True)
def _cross_entropy_grad(probs, target, smoothing, scale, g):
    n, k = probs.shape
    for i in prange(n):
        for j in range(k):
            g[i, j] = (probs[i, j] - _target(j, target[i], k, smoothing)) * scale


def _check_target(logits, target):
    if logits.ndim != 2 or target.shape != (logits.shape[0],):
        raise ValueError(f"cross_entropy: expected logits (N, classes) and targets (N,), "
                         f"got {logits.shape} and {target.shape}")
    if target.size and (target.min() < 0 or target.max() >= logits.shape[1]):
        raise ValueError(f"cross_entropy: target labels must lie in [0, {logits.shape[1] - 1}], "
                         f"got values from {target.min()} to {target.max()}")


def cross_entropy_forward(logits, target, label_smoothing=0.0):
    _check_target(logits, target)
    probs = np.empty_like(logits)
    losses = np.empty(logits.shape[0], np.float64)
    _cross_entropy(np.ascontiguousarray(logits), target.astype(np.int64), float(label_smoothing), probs, losses)
    return np.asarray(losses.mean(), logits.dtype), probs


def cross_entropy_backward(grad, probs, target, label_smoothing=0.0):
    g = np.empty_like(probs)
    scale = float(grad) / max(len(target), 1)
    _cross_entropy_grad(probs, target.astype(np.int64), float(label_smoothing), scale, g)
    return g
