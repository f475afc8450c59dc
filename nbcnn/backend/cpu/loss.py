"""Softmax cross-entropy, mean over the batch; log-sum-exp keeps large logits finite."""
import numpy as np
from numba import njit, prange

from ..window_math import softmax_row

_softmax_row = njit(inline="always")(softmax_row)


@njit(parallel=True, cache=True)
def _cross_entropy(logits, target, probs, losses):
    for i in prange(logits.shape[0]):
        losses[i] = _softmax_row(logits, i, probs) - logits[i, target[i]]


def _check_target(logits, target):
    if logits.ndim != 2 or target.shape != (logits.shape[0],):
        raise ValueError(f"cross_entropy: expected logits (N, classes) and targets (N,), "
                         f"got {logits.shape} and {target.shape}")
    if target.size and (target.min() < 0 or target.max() >= logits.shape[1]):
        raise ValueError(f"cross_entropy: target labels must lie in [0, {logits.shape[1] - 1}], "
                         f"got values from {target.min()} to {target.max()}")


def cross_entropy_forward(logits, target):
    _check_target(logits, target)
    probs = np.empty_like(logits)
    losses = np.empty(logits.shape[0], np.float64)
    _cross_entropy(np.ascontiguousarray(logits), target.astype(np.int64), probs, losses)
    return np.asarray(losses.mean(), logits.dtype), probs


def cross_entropy_backward(grad, probs, target):
    g = probs.copy()
    g[np.arange(len(target)), target] -= 1
    g *= grad / len(target)
    return g
