"""Stride-1 convolution as direct loops, for layers with few channels (LeNet's 1→6 and 6→16), where a lowered
product would be a thin BLAS call (6 or 16 output rows) whose cost is thread hand-offs, not arithmetic.

Every plane is zero-padded to (Hp, Wp) and flattened; an output computed over the padded width makes each tap
(ky, kx) one long contiguous multiply-add, out[q] += w · x[q + ky·Wp + kx] for q < L = (OH − 1)·Wp + OW, whose
columns x ≥ OW are junk and dropped (or, for a gradient laid out the same way, hold zeros). The kernels
parallelise so that no two threads write one element: forward over (image, 4 output channels) blocks,
backward-input over (image, 4 input channels) blocks (each loaded value feeds 4 multiply-adds; 3 for six
channels), backward-weight over (output channel, input channel) pairs with the batch summed inside, over the
padded planes laid end to end or, where those are mostly padding, over copies with the batch innermost. A plane
of a few KB stays in L1 while every tap adds into it. Weight (K, C, kh, kw).
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


@njit(cache=True, fastmath=True)
def _row5(acc, aoff, src, off, wv, span):
    # acc (4, span) += the five taps of one kernel row for four output channels, wv (4, 5): each tap value is
    # loaded once for 4 multiply-adds, and each accumulator is stored once per 5 taps (a store per multiply-add
    # made the one-tap loop store-bound)
    end = aoff + span
    a0, a1, a2, a3 = acc[0, aoff:end], acc[1, aoff:end], acc[2, aoff:end], acc[3, aoff:end]
    s0, s1, s2, s3, s4 = (src[off:off + span], src[off + 1:off + 1 + span], src[off + 2:off + 2 + span],
                          src[off + 3:off + 3 + span], src[off + 4:off + 4 + span])
    w00, w01, w02, w03, w04 = wv[0, 0], wv[0, 1], wv[0, 2], wv[0, 3], wv[0, 4]
    w10, w11, w12, w13, w14 = wv[1, 0], wv[1, 1], wv[1, 2], wv[1, 3], wv[1, 4]
    w20, w21, w22, w23, w24 = wv[2, 0], wv[2, 1], wv[2, 2], wv[2, 3], wv[2, 4]
    w30, w31, w32, w33, w34 = wv[3, 0], wv[3, 1], wv[3, 2], wv[3, 3], wv[3, 4]
    for q in range(span):
        v0, v1, v2, v3, v4 = s0[q], s1[q], s2[q], s3[q], s4[q]
        a0[q] += w00 * v0 + w01 * v1 + w02 * v2 + w03 * v3 + w04 * v4
        a1[q] += w10 * v0 + w11 * v1 + w12 * v2 + w13 * v3 + w14 * v4
        a2[q] += w20 * v0 + w21 * v1 + w22 * v2 + w23 * v3 + w24 * v4
        a3[q] += w30 * v0 + w31 * v1 + w32 * v2 + w33 * v3 + w34 * v4


@njit(cache=True, fastmath=True)
def _row5_3(acc, aoff, src, off, wv, span):
    # _row5 for three channels: six-channel layers (LeNet's 1→6 forward, 16→6 backward) split into two blocks of
    # three rather than four + two, whose two zero-weight rows were a quarter of the work
    end = aoff + span
    a0, a1, a2 = acc[0, aoff:end], acc[1, aoff:end], acc[2, aoff:end]
    s0, s1, s2, s3, s4 = (src[off:off + span], src[off + 1:off + 1 + span], src[off + 2:off + 2 + span],
                          src[off + 3:off + 3 + span], src[off + 4:off + 4 + span])
    w00, w01, w02, w03, w04 = wv[0, 0], wv[0, 1], wv[0, 2], wv[0, 3], wv[0, 4]
    w10, w11, w12, w13, w14 = wv[1, 0], wv[1, 1], wv[1, 2], wv[1, 3], wv[1, 4]
    w20, w21, w22, w23, w24 = wv[2, 0], wv[2, 1], wv[2, 2], wv[2, 3], wv[2, 4]
    for q in range(span):
        v0, v1, v2, v3, v4 = s0[q], s1[q], s2[q], s3[q], s4[q]
        a0[q] += w00 * v0 + w01 * v1 + w02 * v2 + w03 * v3 + w04 * v4
        a1[q] += w10 * v0 + w11 * v1 + w12 * v2 + w13 * v3 + w14 * v4
        a2[q] += w20 * v0 + w21 * v1 + w22 * v2 + w23 * v3 + w24 * v4


@njit(cache=True, inline="always")
def _block(channels):
    """Channels per parallel block: 3 when they split into threes but not fours, else 4."""
    return 3 if channels % 4 != 0 and channels % 3 == 0 else 4


@njit(cache=True, fastmath=True)
def _row(acc, aoff, src, off, wv, span):
    # any kernel width: one tap at a time, still 4 output channels per loaded value
    end = aoff + span
    a0, a1, a2, a3 = acc[0, aoff:end], acc[1, aoff:end], acc[2, aoff:end], acc[3, aoff:end]
    for kx in range(wv.shape[1]):
        tap = src[off + kx:off + kx + span]
        w0, w1, w2, w3 = wv[0, kx], wv[1, kx], wv[2, kx], wv[3, kx]
        for q in range(span):
            v = tap[q]
            a0[q] += w0 * v
            a1[q] += w1 * v
            a2[q] += w2 * v
            a3[q] += w3 * v


@njit(parallel=True, cache=True, fastmath=True)
def _forward(xp, w, b, wp, y):
    # xp (N, C, Hp·Wp) -> y (N, K, OH, OW); one parallel iteration per (image, block of 4 output channels)
    n, c_in = xp.shape[0], xp.shape[1]
    k_out, kh, kw = w.shape[0], w.shape[2], w.shape[3]
    oh, ow = y.shape[2], y.shape[3]
    span = (oh - 1) * wp + ow
    size = _block(k_out)
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
                if kw == 5 and size == 3:
                    _row5_3(acc, 0, xp[i, c], ky * wp, wv, span)
                elif kw == 5:  # LeNet's width: the row-fused kernel
                    _row5(acc, 0, xp[i, c], ky * wp, wv, span)
                else:
                    _row(acc, 0, xp[i, c], ky * wp, wv, span)
        for j in range(kb):
            for oy in range(oh):
                for ox in range(ow):
                    y[i, k0 + j, oy, ox] = acc[j, oy * wp + ox] + b[k0 + j]


@njit(parallel=True, cache=True, fastmath=True)
def _backward_input(gp, w, wp, gxp):
    # gp (N, K, (OH + 1)·Wp): each gradient row shifted right by kw − 1 behind kw − 1 zeros, so that the scatter
    # gxp[q + ky·Wp + kx] += w · g[q] becomes the gather gxp[ky·Wp + q] += Σ w[kw − 1 − kx'] · gp[q + kx'] over
    # q < (OH − 1)·Wp + OW + kw − 1, which _row5/_row compute for 4 input channels at once.
    # -> gxp (N, C, Hp·Wp); one parallel iteration per (image, block of 4 input channels)
    n, k_out = gp.shape[0], gp.shape[1]
    c_in, kh, kw = w.shape[1], w.shape[2], w.shape[3]
    span = gp.shape[2] - wp  # OH·Wp = (OH − 1)·Wp + OW + kw − 1
    size = _block(c_in)
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
                if kw == 5 and size == 3:
                    _row5_3(acc, ky * wp, gp[i, k], 0, wv, span)
                elif kw == 5:
                    _row5(acc, ky * wp, gp[i, k], 0, wv, span)
                else:
                    _row(acc, ky * wp, gp[i, k], 0, wv, span)
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


@njit(parallel=True, cache=True)
def _batch_last(x, top, left, hp, wp):
    # x (N, C, H, W) -> (C, Hp, Wp, N): zero-padded, the batch innermost. Copied 16 images at a time so that each
    # write is a contiguous run (image by image, every write went to a different cache line: 3× slower)
    n, c, h, w = x.shape
    out = np.empty((c, hp, wp, n), x.dtype)
    for t in prange(c * hp):
        ch, py = t // hp, t % hp
        dst, y = out[ch, py], py - top
        if y < 0 or y >= h:
            dst[:] = 0
            continue
        dst[:left] = 0
        dst[left + w:] = 0
        for i0 in range(0, n, 16):
            for px in range(w):
                d = dst[px + left]
                for i in range(i0, min(n, i0 + 16)):
                    d[i] = x[i, ch, y, px]
    return out


@njit(parallel=True, cache=True, fastmath=True)
def _backward_weight_batch_last(gt, xt, gw):
    # gt (K, OH, OW, N), xt (C, Hp, Wp, N) -> gw (K, C, kh, kw): every sum runs over the batch, contiguous, and
    # touches only real output positions. One parallel iteration per (k, c, ky), five taps per pass for kw = 5.
    k_out, oh, ow, n = gt.shape
    c_in, kh, kw = gw.shape[1], gw.shape[2], gw.shape[3]
    for t in prange(k_out * c_in * kh):
        k, c, ky = t // (c_in * kh), t // kh % c_in, t % kh
        if kw == 5:
            a0 = a1 = a2 = a3 = a4 = gt.dtype.type(0)
            for oy in range(oh):
                src = xt[c, oy + ky]
                for ox in range(ow):
                    g = gt[k, oy, ox]
                    s0, s1, s2, s3, s4 = src[ox], src[ox + 1], src[ox + 2], src[ox + 3], src[ox + 4]
                    for i in range(n):
                        v = g[i]
                        a0 += v * s0[i]
                        a1 += v * s1[i]
                        a2 += v * s2[i]
                        a3 += v * s3[i]
                        a4 += v * s4[i]
            gw[k, c, ky, 0], gw[k, c, ky, 1], gw[k, c, ky, 2], gw[k, c, ky, 3], gw[k, c, ky, 4] = a0, a1, a2, a3, a4
            continue
        for kx in range(kw):
            s = gt.dtype.type(0)
            for oy in range(oh):
                for ox in range(ow):
                    g, tap = gt[k, oy, ox], xt[c, oy + ky, ox + kx]
                    for i in range(n):
                        s += g[i] * tap[i]
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


def batch_last_pays(n, hp, wp, oh, ow):
    """Backward-weight's form: the plane form sums over Hp·Wp positions per image for OH·OW real ones, the
    batch-last form over the real ones only but pays for two transposes, and wants a batch of a vector or more.
    At b256, LeNet's conv2 (196 positions for 100): 2.73 -> 1.72 ms; conv1 (1024 for 784): 1.41 -> 1.52."""
    return n >= 16 and hp * wp >= 1.5 * oh * ow


def conv2d_backward_weight(grad, x, w_shape, stride, padding):
    n, _, h, w = x.shape
    (ph, pw), hp, wp = padding, h + 2 * padding[0], w + 2 * padding[1]
    gw = np.empty(w_shape, grad.dtype)
    oh, ow = grad.shape[2], grad.shape[3]
    if batch_last_pays(n, hp, wp, oh, ow):
        _backward_weight_batch_last(_batch_last(np.ascontiguousarray(grad), 0, 0, oh, ow),
                                    _batch_last(x, ph, pw, hp, wp), gw)
        return gw
    _backward_weight(_pad_channel_major(np.ascontiguousarray(grad), 0, 0, hp, wp),
                     _pad_channel_major(x, ph, pw, hp, wp), wp, w_shape[2], gw)
    return gw
