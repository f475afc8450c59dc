"""Inverted dropout with the counter-based generator the CPU uses: element i is kept when uniform(seed, i) ≥ p."""
from numba import cuda

from ..counter_rng import splitmix_uniform
from .arrays import empty, flat, run_flat


uniform = cuda.jit(device=True)(splitmix_uniform)


@cuda.jit
def _dropout(x, p, seed, y, mask):
    scale = 1.0 / (1.0 - p)
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        keep = uniform(seed, i) >= p
        mask[i] = keep
        y[i] = x[i] * (scale if keep else 0)  # a dropped NaN stays NaN, as in PyTorch


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
