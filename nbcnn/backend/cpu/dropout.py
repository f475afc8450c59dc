"""Inverted dropout with a counter-based generator: element i is kept when hash(seed, global index of i) ≥ p, so
any device computing the same hash draws the same mask, no generator state has to be shared between threads, and
a process holding rows start, start + step, … of a batch draws the masks of those rows (counter_rng)."""
import numpy as np
from numba import njit, prange

from ..counter_rng import global_index, row_size, splitmix_uniform


uniform = njit(cache=True, inline="always")(splitmix_uniform)
position = njit(cache=True, inline="always")(global_index)


CHUNK = 4096  # elements a parallel task walks, dividing once to find its first row


@njit(parallel=True, cache=True)
def _dropout(x, p, seed, row, start, step, y, mask):
    scale = 1.0 / (1.0 - p)
    for c in prange((x.size + CHUNK - 1) // CHUNK):
        i, end = c * CHUNK, min((c + 1) * CHUNK, x.size)
        n = i // row
        while i < end:  # the part of row n in this chunk: a plain loop the compiler vectorises, as before sharding
            stop = min((n + 1) * row, end)
            first = position(n, i - n * row, row, start, step)  # the global index of element i
            xs, ys, ms = x[i:stop], y[i:stop], mask[i:stop]  # indices from 0 let the compiler drop sign checks
            for k in range(stop - i):
                keep = uniform(seed, first + k) >= p
                ms[k] = keep
                ys[k] = xs[k] * (scale if keep else 0)  # a dropped NaN stays NaN, as in PyTorch
            i, n = stop, n + 1


def dropout_forward(x, p, seed, start=0, step=1):
    """x: (N, …), its row n being example start + n·step of the global batch."""
    x = np.ascontiguousarray(x)
    y, mask = np.empty_like(x), np.empty(x.shape, np.uint8)
    _dropout(x.reshape(-1), p, seed, row_size(x.shape), start, step, y.reshape(-1), mask.reshape(-1))
    return y, mask


def dropout_backward(grad, mask, p):
    return grad * (mask * grad.dtype.type(1.0 / (1.0 - p)))
