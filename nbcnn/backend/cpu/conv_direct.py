"""Stride-1 convolution as direct loops over zero-padded planes, for layers with few channels whose planes are
mostly real positions (LeNet's 1→6 at 28×28 with padding 2), or batches too small for conv_batched's blocks. A
lowered product would be a thin BLAS call (6 or 16 output rows) whose cost is thread hand-offs, not arithmetic.

Every plane is zero-padded to (Hp, Wp) and flattened; an output computed over the padded width makes each tap
(ky, kx) one long contiguous multiply-add, out[q] += w · x[q + ky·Wp + kx] for q < L = (OH − 1)·Wp + OW, whose
columns x ≥ OW are junk and dropped (or, for a gradient laid out the same way, hold zeros). The kernels
parallelise so that no two threads write one element: forward over (image, 4 output channels) blocks,
backward-input over (image, 4 input channels) blocks (direct_rows' passes: each loaded value feeds 3 or 4
multiply-adds), backward-weight over (output channel, input channel) pairs with the batch summed inside, over the
padded planes laid end to end. A plane of a few KB stays in L1 while every tap adds into it. Weight (K, C, kh, kw).
"""
import numpy as np
from numba import njit, prange

from .direct_rows import block, kernel_row


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


@njit(parallel=True, cache=True, fastmath=True)
def _forward(xp, w, b, wp, y):
    # xp (N, C, Hp·Wp) -> y (N, K, OH, OW); one parallel iteration per (image, block of 4 output channels)
    n, c_in = xp.shape[0], xp.shape[1]
    k_out, kh, kw = w.shape[0], w.shape[2], w.shape[3]
    oh, ow = y.shape[2], y.shape[3]
    span = (oh - 1) * wp + ow
    size = block(k_out)
    blocks = (k_out + size - 1) // size
    for t in prange(n * blocks):
        i, k0 = t // blocks, (t % blocks) * size
        kb = min(size, k_out - k0)
        acc = np.zeros((4, span), y.dtype)
        wv = np.zeros((4, kw), y.dtype)  # a last block's missing channels keep weight 0 and are not written
        for c in range(c_in):
            for ky in range(kh):
                for j in range(kb):
                    wv[j] = w[k0 + j, c, ky]
                kernel_row(acc, 0, xp[i, c], ky * wp, 1, wv, span, size)
        for j in range(kb):
            for oy in range(oh):
                for ox in range(ow):
                    y[i, k0 + j, oy, ox] = acc[j, oy * wp + ox] + b[k0 + j]


@njit(parallel=True, cache=True, fastmath=True)
def _backward_input(gp, w, wp, gxp):
    # gp (N, K, (OH + 1)·Wp): each gradient row shifted right by kw − 1 behind kw − 1 zeros, so that the scatter
    # gxp[q + ky·Wp + kx] += w · g[q] becomes the gather gxp[ky·Wp + q] += Σ w[kw − 1 − kx'] · gp[q + kx'] over
    # q < (OH − 1)·Wp + OW + kw − 1, which kernel_row computes for a block of input channels.
    # -> gxp (N, C, Hp·Wp); one parallel iteration per (image, block of 4 input channels)
    n, k_out = gp.shape[0], gp.shape[1]
    c_in, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    span = gp.shape[2] - wp  # OH·Wp = (OH − 1)·Wp + OW + kw − 1
    size = block(c_in)
    blocks = (c_in + size - 1) // size
    for t in prange(n * blocks):
        i, c0 = t // blocks, (t % blocks) * size
        cb = min(size, c_in - c0)
        acc = np.zeros((4, gxp.shape[2]), gxp.dtype)
        wv = np.zeros((4, kw), gxp.dtype)
        for k in range(k_out):
            for ky in range(kh):
                for j in range(cb):
                    for kx in range(kw):
                        wv[j, kx] = w[k, c0 + j, ky, kw - 1 - kx]
                kernel_row(acc, ky * wp, gp[i, k], 0, 1, wv, span, size)
        for j in range(cb):
            gxp[i, c0 + j] = acc[j]


@njit(cache=True, fastmath=True)
def _dot5(g, src, off, span):
    """The five sums Σ_q g[q]·src[off + kx + q], kx < 5, in one pass: g loaded once for five multiply-adds."""
    s0, s1, s2, s3, s4 = (src[off:off + span], src[off + 1:off + 1 + span], src[off + 2:off + 2 + span],
                          src[off + 3:off + 3 + span], src[off + 4:off + 4 + span])
    a0 = a1 = a2 = a3 = a4 = g.dtype.type(0)
    for q in range(span):
        v = g[q]
        a0 += v * s0[q]
        a1 += v * s1[q]
        a2 += v * s2[q]
        a3 += v * s3[q]
        a4 += v * s4[q]
    return a0, a1, a2, a3, a4


@njit(parallel=True, cache=True)
def _pad_channel_major(x, top, left, hp, wp):
    # x (N, C, H, W) -> (C, N·Hp·Wp): image i's zero-padded plane of channel c at [c, i·Hp·Wp:(i + 1)·Hp·Wp]
    n, c, h, w = x.shape
    plane = hp * wp
    xp = np.zeros((c, n * plane), x.dtype)
    for t in prange(n * c):
        i, ch = t // c, t % c
        for y in range(h):
            start = i * plane + (y + top) * wp + left
            xp[ch, start:start + w] = x[i, ch, y]
    return xp


@njit(parallel=True, cache=True, fastmath=True)
def _backward_weight(gp, xp, wp, kh, gw):
    # gp (K, N·P), xp (C, N·P), every plane P = Hp·Wp long, the gradient's zero past (OH, OW) -> gw (K, C, kh, kw).
    # With both batches laid end to end, tap (ky, kx) is one dot product over the whole batch: a gradient element
    # meets input elements of its own image only, the next image's lying under the gradient's zeros. One long
    # reduction per tap (five per pass) rather than one per image and tap, which left LeNet's backward-weight
    # bound by the reductions' set-up.
    k_out, c_in, kw = gw.shape[0], gw.shape[1], gw.shape[3]
    span = gp.shape[1] - (kh - 1) * wp - (kw - 1)
    for t in prange(k_out * c_in):
        k, c = t // c_in, t % c_in
        g, src = gp[k, :span], xp[c]
        for ky in range(kh):
            if kw == 5:  # LeNet's width: five taps per pass
                a0, a1, a2, a3, a4 = _dot5(g, src, ky * wp, span)
                gw[k, c, ky, 0], gw[k, c, ky, 1], gw[k, c, ky, 2] = a0, a1, a2
                gw[k, c, ky, 3], gw[k, c, ky, 4] = a3, a4
                continue
            for kx in range(kw):
                tap = src[ky * wp + kx:ky * wp + kx + span]
                s = g.dtype.type(0)
                for q in range(span):
                    s += g[q] * tap[q]
                gw[k, c, ky, kx] = s


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
    gxp = np.empty((n, c_in, hp * wp), grad.dtype)
    kw = weight.shape[3]
    _backward_input(_pad(grad, 0, kw - 1, grad.shape[2] + 1, wp), weight, wp, gxp)
    return np.ascontiguousarray(gxp.reshape(n, c_in, hp, wp)[:, :, ph:ph + h, pw:pw + w])


def conv2d_backward_weight(grad, x, w_shape, stride, padding):
    n, _, h, w = x.shape
    (ph, pw), hp, wp = padding, h + 2 * padding[0], w + 2 * padding[1]
    gw = np.empty(w_shape, grad.dtype)
    _backward_weight(_pad_channel_major(np.ascontiguousarray(grad), 0, 0, hp, wp),
                     _pad_channel_major(x, ph, pw, hp, wp), wp, w_shape[2], gw)
    return gw
