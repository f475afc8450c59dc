"""Inverted dropout with the counter-based generator the CPU uses: element i is kept when
uniform(seed, global index of i) ≥ p (counter_rng)."""
from numba import cuda

from ..counter_rng import global_index, row_size, splitmix_uniform
from .arrays import empty, flat, run_flat


uniform = cuda.jit(device=True)(splitmix_uniform)
position = cuda.jit(device=True)(global_index)


@cuda.jit
def _dropout(x, p, seed, row, start, step, y, mask):
    scale = 1.0 / (1.0 - p)
    i, stride = cuda.grid(1), cuda.gridsize(1)
    n, e = i // row, i % row  # (row, element) of i, advanced by the grid's stride without dividing again
    dn, de = stride // row, stride % row
    while i < x.size:
        keep = uniform(seed, position(n, e, row, start, step)) >= p
        mask[i] = keep
        y[i] = x[i] * (scale if keep else 0)  # a dropped NaN stays NaN, as in PyTorch
        i, n, e = i + stride, n + dn, e + de
        if e >= row:
            n, e = n + 1, e - row


@cuda.jit
def _dropout_grad(g, mask, scale, gx):
    for i in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        gx[i] = g[i] * (mask[i] * scale)


def dropout_forward(x, p, seed, start=0, step=1):
    """x: (N, …), its row n being example start + n·step of the global batch."""
    y, mask = empty(x.shape, x.dtype), empty(x.shape, "uint8")
    run_flat(_dropout, x.size, flat(x), p, seed, row_size(x.shape), start, step, flat(y), flat(mask))
    return y, mask


def dropout_backward(grad, mask, p):
    gx = empty(grad.shape, grad.dtype)
    run_flat(_dropout_grad, grad.size, flat(grad), flat(mask), grad.dtype.type(1.0 / (1.0 - p)), flat(gx))
    return gx
