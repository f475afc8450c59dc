"""Inverted dropout with a counter-based generator: element i is kept when hash(seed, i) ≥ p, so any device
computing the same hash draws the same mask, and no generator state has to be shared between threads."""
import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def uniform(seed, i):
    """A uniform float in [0, 1) from (seed, i): SplitMix64's finaliser, top 24 bits."""
    z = np.uint64(seed) + np.uint64(i + 1) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(40)) / 16777216.0


@njit(parallel=True, cache=True)
def _dropout(x, p, seed, y, mask):
    scale = 1.0 / (1.0 - p)
    for i in prange(x.size):
        keep = uniform(seed, i) >= p
        mask[i] = keep
        y[i] = x[i] * scale if keep else 0


def dropout_forward(x, p, seed):
    x = np.ascontiguousarray(x)
    y, mask = np.empty_like(x), np.empty(x.shape, np.uint8)
    _dropout(x.reshape(-1), p, seed, y.reshape(-1), mask.reshape(-1))
    return y, mask


def dropout_backward(grad, mask, p):
    return grad * (mask * grad.dtype.type(1.0 / (1.0 - p)))
