"""Local response normalisation across channels (AlexNet): b_c = a_c · scale_c^(−β),
scale_c = k + α/n · Σ a_j² over j in [c − n//2, c + (n − 1)//2], as PyTorch pads the channel axis."""
import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def _lrn(x, size, alpha, beta, k, y, scale):
    n, c, h, w = x.shape
    before, after = size // 2, (size - 1) // 2
    for t in prange(n * h):
        i, p = t // h, t % h
        for q in range(w):
            for ch in range(c):
                s = 0.0
                for j in range(max(0, ch - before), min(c, ch + after + 1)):
                    s += x[i, j, p, q] * x[i, j, p, q]
                sc = k + alpha / size * s
                scale[i, ch, p, q] = sc
                y[i, ch, p, q] = x[i, ch, p, q] * sc ** -beta


@njit(parallel=True, cache=True)
def _lrn_grad(gy, x, scale, size, alpha, beta, gx):
    n, c, h, w = x.shape
    before, after = size // 2, (size - 1) // 2
    for t in prange(n * h):
        i, p = t // h, t % h
        for q in range(w):
            for ch in range(c):
                # channel ch sits in the windows of the channels j with j − before ≤ ch ≤ j + after
                s = 0.0
                for j in range(max(0, ch - after), min(c, ch + before + 1)):
                    s += gy[i, j, p, q] * x[i, j, p, q] * scale[i, j, p, q] ** (-beta - 1)
                gx[i, ch, p, q] = (gy[i, ch, p, q] * scale[i, ch, p, q] ** -beta
                                   - 2 * alpha * beta / size * x[i, ch, p, q] * s)


def lrn_forward(x, size, alpha, beta, k):
    y, scale = np.empty_like(x), np.empty_like(x)
    _lrn(x, size, alpha, beta, k, y, scale)
    return y, scale


def lrn_backward(grad, x, scale, size, alpha, beta):
    gx = np.empty_like(x)
    _lrn_grad(np.ascontiguousarray(grad), x, scale, size, alpha, beta, gx)
    return gx
