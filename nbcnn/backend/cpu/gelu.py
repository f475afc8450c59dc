"""GELU over flat views, one parallel pass each (math in backend/activation_math.py)."""
import numpy as np
from numba import njit, prange

from ..activation_math import gelu, gelu_grad

_gelu = njit(inline="always")(gelu)
_gelu_grad = njit(inline="always")(gelu_grad)


@njit(parallel=True, cache=True)
def _forward(x, y):
    for i in prange(x.size):
        y[i] = _gelu(x[i])


@njit(parallel=True, cache=True)
def _backward(g, x, gx):
    for i in prange(g.size):
        gx[i] = _gelu_grad(g[i], x[i])


def gelu_forward(x):
    x = np.ascontiguousarray(x)
    y = np.empty_like(x)
    _forward(x.reshape(-1), y.reshape(-1))
    return y


def gelu_backward(grad, x):
    """grad · gelu'(x), where x is the forward's input."""
    grad, x = np.ascontiguousarray(grad), np.ascontiguousarray(x)
    gx = np.empty_like(grad)
    _backward(grad.reshape(-1), x.reshape(-1), gx.reshape(-1))
    return gx
