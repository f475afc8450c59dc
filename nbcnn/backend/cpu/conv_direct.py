"""Stride-1 convolution as direct loops, for layers with few channels (LeNet's 1→6 and 6→16), where a lowered
product would be a thin BLAS call (6 or 16 output rows) whose cost is thread hand-offs, not arithmetic.

Every plane is zero-padded to (Hp, Wp) and flattened; an output computed over the padded width makes each tap
(ky, kx) one long contiguous multiply-add, out[q] += w · x[q + ky·Wp + kx] for q < L = (OH − 1)·Wp + OW, whose
columns x ≥ OW are junk and dropped (or, for a gradient laid out the same way, hold zeros). The kernels
parallelise so that no two threads write one element: forward over (image, output channel) planes,
backward-input over (image, input channel) planes, backward-weight over (output channel, input channel) pairs
with the batch summed inside. A plane of a few KB stays in L1 while every tap adds into it. Weight (K, C, kh, kw).
"""
import numpy as np
from numba import njit, prange


def supports(w_shape, stride, padding):
    return tuple(stride) == (1, 1)


@njit(parallel=True, cache=True)
def _pad(x, top, left, hp, wp):
    # x (N, C, H, W) -> (N, C, Hp·Wp): x[i, c, y, x] at (y + top, x + left) of a zeroed (Hp, Wp) plane
    n, c, h, w = x.shape
    xp = np.zeros((n, c, hp * wp), x.dtype)
    for t in prange(n * c):
        i, ch = t // c, t % c
        for y in range(h):
            xp[i, ch, (y + top) * wp + left:(y + top) * wp + left + w] = x[i, ch, y]
    return xp


KB = 4  # output channels per pass: each loaded input value feeds KB multiply-adds instead of one


@njit(cache=True, fastmath=True)
def _tap4(acc, tap, w0, w1, w2, w3, span):
    # acc (4, span) += (w0..w3) ⊗ tap: one load of tap[q] feeds four accumulators
    a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
    for q in range(span):
        v = tap[q]
        a0[q] += w0 * v
        a1[q] += w1 * v
        a2[q] += w2 * v
        a3[q] += w3 * v


@njit(parallel=True, cache=True, fastmath=True)
def _forward(xp, w, b, wp, y):
    # xp (N, C, Hp·Wp) -> y (N, K, OH, OW); one parallel iteration per (image, block of KB output channels)
    n, c_in = xp.shape[0], xp.shape[1]
    k_out, kh, kw = w.shape[0], w.shape[2], w.shape[3]
    oh, ow = y.shape[2], y.shape[3]
    span = (oh - 1) * wp + ow
    blocks = (k_out + KB - 1) // KB
    for t in prange(n * blocks):
        i, k0 = t // blocks, (t % blocks) * KB
        kb = min(KB, k_out - k0)
        acc = np.zeros((KB, span), y.dtype)
        wv = np.zeros(KB, y.dtype)  # the last block's missing channels get weight 0 and are not written
        for c in range(c_in):
            src = xp[i, c]
            for ky in range(kh):
                for kx in range(kw):
                    for j in range(kb):
                        wv[j] = w[k0 + j, c, ky, kx]
                    tap = src[ky * wp + kx:ky * wp + kx + span]
                    _tap4(acc, tap, wv[0], wv[1], wv[2], wv[3], span)
        for j in range(kb):
            for oy in range(oh):
                for ox in range(ow):
                    y[i, k0 + j, oy, ox] = acc[j, oy * wp + ox] + b[k0 + j]


@njit(parallel=True, cache=True, fastmath=True)
def _backward_input(gp, w, wp, gxp):
    # gp (N, K, OH·Wp), zeros past OW -> gxp (N, C, Hp·Wp), zeroed by the caller
    n, k_out = gp.shape[0], gp.shape[1]
    c_in, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    span = gp.shape[2] - kw + 1  # (OH − 1)·Wp + OW: the last row's junk columns would read past the plane
    for t in prange(n * c_in):
        i, c = t // c_in, t % c_in
        dst = gxp[i, c]
        for k in range(k_out):
            src = gp[i, k]
            for ky in range(kh):
                for kx in range(kw):
                    wv, tap = w[k, c, ky, kx], dst[ky * wp + kx:ky * wp + kx + span]
                    for q in range(span):
                        tap[q] += wv * src[q]


@njit(parallel=True, cache=True, fastmath=True)
def _backward_weight(gp, xp, wp, gw):
    # gp (N, K, OH·Wp), zeros past OW; xp (N, C, Hp·Wp) -> gw (K, C, kh, kw)
    n, k_out = gp.shape[0], gp.shape[1]
    c_in, kh, kw = gw.shape[1], gw.shape[2], gw.shape[3]
    span = gp.shape[2] - kw + 1
    for t in prange(k_out * c_in):
        k, c = t // c_in, t % c_in
        acc = np.zeros((kh, kw), np.float64)  # one image's sums are short; the batch sum is long
        for i in range(n):  # this image's two planes stay in L1 across the taps
            g, src = gp[i, k], xp[i, c]
            for ky in range(kh):
                for kx in range(kw):
                    tap = src[ky * wp + kx:ky * wp + kx + span]
                    s = g.dtype.type(0)
                    for q in range(span):
                        s += g[q] * tap[q]
                    acc[ky, kx] += s
        for ky in range(kh):
            for kx in range(kw):
                gw[k, c, ky, kx] = acc[ky, kx]


def conv2d_forward(x, weight, bias, stride, padding):
    n, _, h, w = x.shape
    k_out, _, kh, kw = weight.shape
    (ph, pw), hp, wp = padding, h + 2 * padding[0], w + 2 * padding[1]
    bias = np.zeros(k_out, x.dtype) if bias is None else bias
    y = np.empty((n, k_out, hp - kh + 1, wp - kw + 1), x.dtype)
    _forward(_pad(x, ph, pw, hp, wp), weight, bias, wp, y)
    return y


def conv2d_backward_input(grad, weight, x_shape, stride, padding):
    n, c_in, h, w = x_shape
    (ph, pw), hp, wp = padding, h + 2 * padding[0], w + 2 * padding[1]
    gxp = np.zeros((n, c_in, hp * wp), grad.dtype)
    _backward_input(_pad(grad, 0, 0, grad.shape[2], wp), weight, wp, gxp)
    return np.ascontiguousarray(gxp.reshape(n, c_in, hp, wp)[:, :, ph:ph + h, pw:pw + w])


def conv2d_backward_weight(grad, x, w_shape, stride, padding):
    n, _, h, w = x.shape
    (ph, pw), hp, wp = padding, h + 2 * padding[0], w + 2 * padding[1]
    gw = np.empty(w_shape, grad.dtype)
    _backward_weight(_pad(grad, 0, 0, grad.shape[2], wp), _pad(x, ph, pw, hp, wp), wp, gw)
    return gw
