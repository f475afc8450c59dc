"""Local response normalisation across channels (AlexNet), one thread per element:
b_c = a_c · scale_c^(−β), scale_c = k + α/n · Σ a_j² over j in [c − n//2, c + (n − 1)//2]."""
import math

from numba import cuda

from .arrays import empty, run_flat


@cuda.jit
def _lrn(x, size, alpha, beta, k, y, scale):
    _, c, h, w = x.shape
    before, after = size // 2, (size - 1) // 2
    for t in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        q, p, ch, i = t % w, t // w % h, t // (w * h) % c, t // (w * h * c)
        s = 0.0
        for j in range(max(0, ch - before), min(c, ch + after + 1)):
            s += x[i, j, p, q] * x[i, j, p, q]
        sc = k + alpha / size * s
        scale[i, ch, p, q] = sc
        y[i, ch, p, q] = x[i, ch, p, q] * math.pow(sc, -beta)


@cuda.jit
def _lrn_grad(gy, x, scale, size, alpha, beta, gx):
    _, c, h, w = x.shape
    before, after = size // 2, (size - 1) // 2
    for t in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        q, p, ch, i = t % w, t // w % h, t // (w * h) % c, t // (w * h * c)
        # channel ch sits in the windows of the channels j with j − before ≤ ch ≤ j + after
        s = 0.0
        for j in range(max(0, ch - after), min(c, ch + before + 1)):
            s += gy[i, j, p, q] * x[i, j, p, q] * math.pow(float(scale[i, j, p, q]), -beta - 1)
        gx[i, ch, p, q] = (gy[i, ch, p, q] * math.pow(float(scale[i, ch, p, q]), -beta)
                           - 2 * alpha * beta / size * x[i, ch, p, q] * s)


def lrn_forward(x, size, alpha, beta, k):
    y, scale = empty(x.shape, x.dtype), empty(x.shape, x.dtype)
    run_flat(_lrn, x.size, x, size, alpha, beta, k, y, scale)
    return y, scale


def lrn_backward(grad, x, scale, size, alpha, beta):
    gx = empty(x.shape, x.dtype)
    run_flat(_lrn_grad, x.size, grad, x, scale, size, alpha, beta, gx)
    return gx
