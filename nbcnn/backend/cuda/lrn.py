"""Local response normalisation across channels (AlexNet), one thread per element; the math in
backend/norm_math.py."""
from numba import cuda

from .. import norm_math
from .arrays import empty, run_flat

_scale = cuda.jit(device=True)(norm_math.lrn_scale)
_input_grad = cuda.jit(device=True)(norm_math.lrn_input_grad)


@cuda.jit
def _lrn(x, size, alpha, beta, k, y, scale):
    _, c, h, w = x.shape
    for t in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        q, p, ch, i = t % w, t // w % h, t // (w * h) % c, t // (w * h * c)
        sc = _scale(x, i, ch, p, q, size, alpha, k)
        scale[i, ch, p, q] = sc
        y[i, ch, p, q] = x[i, ch, p, q] * sc ** -beta


@cuda.jit
def _lrn_grad(gy, x, scale, size, alpha, beta, gx):
    _, c, h, w = x.shape
    for t in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        q, p, ch, i = t % w, t // w % h, t // (w * h) % c, t // (w * h * c)
        gx[i, ch, p, q] = _input_grad(gy, x, scale, i, ch, p, q, size, alpha, beta)


def lrn_forward(x, size, alpha, beta, k):
    y, scale = empty(x.shape, x.dtype), empty(x.shape, x.dtype)
    run_flat(_lrn, x.size, x, size, alpha, beta, k, y, scale)
    return y, scale


def lrn_backward(grad, x, scale, size, alpha, beta):
    gx = empty(x.shape, x.dtype)
    run_flat(_lrn_grad, x.size, grad, x, scale, size, alpha, beta, gx)
    return gx
