"""Inverted dropout with a counter-based generator: element i is kept when hash(seed, i) ≥ p, so any device
computing the same hash draws the same mask, and no generator state has to be shared between threads."""
import numpy as np
from numba import njit, prange

from ..counter_rng import splitmix_uniform


uniform = njit(cache=True, inline="always")(splitmix_uniform)


@njit(parallel=True, cache=True)
def _dropout(x, p, seed, y, mask):
    scale = 1.0 / (1.0 - p)
    for i in prange(x.size):
        keep = uniform(seed, i) >= p
        mask[i] = keep
        y[i] = x[i] * (scale if keep else 0)  # a dropped NaN stays NaN, as in PyTorch


def dropout_forward(x, p, seed):
    x = np.ascontiguousarray(x)
    y, mask = np.empty_like(x), np.empty(x.shape, np.uint8)
    _dropout(x.reshape(-1), p, seed, y.reshape(-1), mask.reshape(-1))
    return y, mask


def dropout_backward(grad, mask, p):
    return grad * (mask * grad.dtype.type(1.0 / (1.0 - p)))
