"""Inverted dropout with the CPU backend's counter-based generator: element i is kept when uniform(seed, i) ≥ p,
and uniform is the same SplitMix64 finaliser in 64-bit unsigned arithmetic, so a seed draws the same mask on
either device."""
import numpy as np
from numba import cuda

from .arrays import empty, flat, run_flat


@cuda.jit(device=True)
def uniform(seed, i):
    """A uniform float in [0, 1) from (seed, i): SplitMix64's finaliser, top 24 bits."""
    z = np.uint64(seed) + np.uint64(i + 1) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(40)) / 16777216.0


@cuda.jit
def _dropout(x, p, seed, y, mask):
    scale = 1.0 / (1.0 - p)
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        keep = uniform(seed, i) >= p
        mask[i] = keep
        y[i] = x[i] * scale if keep else 0


@cuda.jit
def _dropout_grad(g, mask, scale, gx):
    for i in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        gx[i] = g[i] * (mask[i] * scale)


def dropout_forward(x, p, seed):
    y, mask = empty(x.shape, x.dtype), empty(x.shape, "uint8")
    run_flat(_dropout, x.size, flat(x), p, seed, flat(y), flat(mask))
    return y, mask


def dropout_backward(grad, mask, p):
    gx = empty(grad.shape, grad.dtype)
    run_flat(_dropout_grad, grad.size, flat(grad), flat(mask), grad.dtype.type(1.0 / (1.0 - p)), flat(gx))
    return gx
