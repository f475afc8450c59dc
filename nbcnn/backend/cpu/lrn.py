"""Local response normalisation across channels (AlexNet); the math in backend/norm_math.py."""
import numpy as np
from numba import njit, prange

from .. import norm_math

_scale = njit(inline="always")(norm_math.lrn_scale)
_input_grad = njit(inline="always")(norm_math.lrn_input_grad)


@njit(parallel=True, cache=True)
def _lrn(x, size, alpha, beta, k, y, scale):
    n, c, h, w = x.shape
    for t in prange(n * h):
        i, p = t // h, t % h
        for q in range(w):
            for ch in range(c):
                sc = _scale(x, i, ch, p, q, size, alpha, k)
                scale[i, ch, p, q] = sc
                y[i, ch, p, q] = x[i, ch, p, q] * sc ** -beta


@njit(parallel=True, cache=True)
def _lrn_grad(gy, x, scale, size, alpha, beta, gx):
    n, c, h, w = x.shape
    for t in prange(n * h):
        i, p = t // h, t % h
        for q in range(w):
            for ch in range(c):
                gx[i, ch, p, q] = _input_grad(gy, x, scale, i, ch, p, q, size, alpha, beta)


def lrn_forward(x, size, alpha, beta, k):
    y, scale = np.empty_like(x), np.empty_like(x)
    _lrn(x, size, alpha, beta, k, y, scale)
    return y, scale


def lrn_backward(grad, x, scale, size, alpha, beta):
    gx = np.empty_like(x)
    _lrn_grad(np.ascontiguousarray(grad), x, scale, size, alpha, beta, gx)
    return gx
