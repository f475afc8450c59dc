"""GELU over flat views, one grid-stride pass each (math in backend/activation_math.py)."""
from numba import cuda

from ..activation_math import gelu, gelu_grad
from .arrays import empty, flat, run_flat

_gelu = cuda.jit(device=True)(gelu)
_gelu_grad = cuda.jit(device=True)(gelu_grad)


@cuda.jit
def _forward(x, y):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        y[i] = _gelu(x[i])


@cuda.jit
def _backward(g, x, gx):
    for i in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        gx[i] = _gelu_grad(g[i], x[i])


def gelu_forward(x):
    y = empty(x.shape, x.dtype)
    run_flat(_forward, x.size, flat(x), flat(y))
    return y


def gelu_backward(grad, x):
    """grad · gelu'(x), where x is the forward's input."""
    gx = empty(grad.shape, grad.dtype)
    run_flat(_backward, grad.size, flat(grad), flat(x), flat(gx))
    return gx
