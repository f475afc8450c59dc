"""Stride-1 direct convolution with the images of a batch block innermost, for few-channel layers whose padded
planes are mostly padding (LeNet's 6→16 at 14×14: 196 padded positions for 100 outputs), at batches of 16 up.

conv_direct's padded planes make every pass compute the junk columns between rows (LeNet's conv2: 136 positions
per 100 outputs) in spans of 136, where direct_rows' passes run at half their speed. Here the input is copied
into blocks of B images (B ≤ 64), zero-padded, each row laid out (Wp, B): every tap of a kernel row is then the
same row shifted by B, and one pass covers a whole output row of the block, OW·B positions, all of them real
(against conv_direct, copies included, in bench/README.md). The outputs are written back from the accumulators
into (N, K, OH, OW), so only inputs are copied.
Backward-weight reads the gradient in the same blocks: a row's positions and a block's images make one
contiguous reduction per tap, real positions only. Weight (K, C, kh, kw).
"""
import numba
import numpy as np
from numba import njit, prange

from .direct_rows import block, kernel_row

_MAX_BLOCK = 64  # 64 images × a 10-wide row: a 640-long pass, in the passes' fast range


def supports(w_shape, stride, padding):
    return tuple(stride) == (1, 1)


def pays(n, hp, wp, oh, ow, forward=True):
    """Whether this form beats conv_direct's planes. It needs a batch of 16 or more: at b8 the planes are faster
    (one block of 8 images makes short passes). A forward pass also needs planes at least 1.5 times the size of
    the output, whose junk positions it skips: with one input channel (LeNet's conv1, 1024 padded positions for
    784) each output takes 25 multiply-adds, and writing it back from the blocks costs more than the planes'
    junk. Backward passes gain at any plane size. Measured in bench/README.md."""
    return n >= 16 and (not forward or hp * wp >= 1.5 * oh * ow)


def block_size(n):
    """Images per block: as even a split as whole blocks of at most 64 allow, rounded up to a multiple of 8."""
    blocks = (n + _MAX_BLOCK - 1) // _MAX_BLOCK
    return ((n + blocks - 1) // blocks + 7) // 8 * 8


@njit(parallel=True, cache=True)
def _to_blocks(x, top, left, hp, wp, bs):
    # x (N, C, H, W) -> (N/B, C, Hp, Wp·B): x[b·B + i, c, y, px] at [b, c, y + top, (px + left)·B + i], zeros
    # around and for a last block's missing images
    n, c, h, w = x.shape
    nb = (n + bs - 1) // bs
    out = np.empty((nb, c, hp, wp * bs), x.dtype)
    for t in prange(nb * c * hp):
        b, ch, py = t // (c * hp), t // hp % c, t % hp
        dst, y = out[b, ch, py], py - top
        if y < 0 or y >= h:
            dst[:] = 0
            continue
        dst[:left * bs] = 0
        dst[(left + w) * bs:] = 0
        images = min(n - b * bs, bs)
        i = 0
        while i + 8 <= images:  # eight images' rows at once: adjacent stores per column
            j = b * bs + i
            s0, s1, s2, s3 = x[j, ch, y], x[j + 1, ch, y], x[j + 2, ch, y], x[j + 3, ch, y]
            s4, s5, s6, s7 = x[j + 4, ch, y], x[j + 5, ch, y], x[j + 6, ch, y], x[j + 7, ch, y]
            for px in range(w):
                o = (px + left) * bs + i
                dst[o], dst[o + 1], dst[o + 2], dst[o + 3] = s0[px], s1[px], s2[px], s3[px]
                dst[o + 4], dst[o + 5], dst[o + 6], dst[o + 7] = s4[px], s5[px], s6[px], s7[px]
            i += 8
        for i in range(i, bs):
            src = x[b * bs + i, ch, y] if i < images else x[0, ch, y]
            for px in range(w):
                dst[(px + left) * bs + i] = src[px] if i < images else 0
    return out


@njit(cache=True)
def _unblock_row(acc, kb, bs, first, y, k0, oy, bias):
    # y[first + i, k0 + j, oy, ox] = acc[j, ox·B + i] + bias[k0 + j] for the block's images, eight at a time
    # (adjacent loads, as _to_blocks's stores, rather than one image at a time)
    images, width = min(y.shape[0] - first, bs), y.shape[3]
    for j in range(kb):
        a, b = acc[j], bias[k0 + j]
        i = 0
        while i + 8 <= images:
            f, k = first + i, k0 + j
            d0, d1, d2, d3 = y[f, k, oy], y[f + 1, k, oy], y[f + 2, k, oy], y[f + 3, k, oy]
            d4, d5, d6, d7 = y[f + 4, k, oy], y[f + 5, k, oy], y[f + 6, k, oy], y[f + 7, k, oy]
            for ox in range(width):
                o = ox * bs + i
                d0[ox], d1[ox], d2[ox], d3[ox] = a[o] + b, a[o + 1] + b, a[o + 2] + b, a[o + 3] + b
                d4[ox], d5[ox], d6[ox], d7[ox] = a[o + 4] + b, a[o + 5] + b, a[o + 6] + b, a[o + 7] + b
            i += 8
        for i in range(i, images):
            dst = y[first + i, k0 + j, oy]
            for ox in range(width):
                dst[ox] = a[ox * bs + i] + b


@njit(parallel=True, cache=True, fastmath=True)
def _forward(xb, w, bias, bs, y):
    # xb (N/B, C, Hp, Wp·B) -> y (N, K, OH, OW); one parallel iteration per (batch block, block of output channels,
    # output row)
    nb, c_in = xb.shape[0], xb.shape[1]
    k_out, oh, ow = y.shape[1], y.shape[2], y.shape[3]
    kh, kw = w.shape[2], w.shape[3]
    size = block(k_out)
    blocks = (k_out + size - 1) // size
    for t in prange(nb * blocks * oh):
        b, k0, oy = t // (blocks * oh), (t // oh % blocks) * size, t % oh
        kb = min(size, k_out - k0)
        acc = np.zeros((4, ow * bs), y.dtype)
        wv = np.zeros((4, kw), y.dtype)  # a last block's missing channels keep weight 0 and are not written
        for c in range(c_in):
            for ky in range(kh):
                for j in range(kb):
                    wv[j] = w[k0 + j, c, ky]
                kernel_row(acc, 0, xb[b, c, oy + ky], 0, bs, wv, ow * bs, size)
        _unblock_row(acc, kb, bs, b * bs, y, k0, oy, bias)


@njit(parallel=True, cache=True, fastmath=True)
def _backward_input(gb, w, ph, pw, bs, gx):
    # gb (N/B, K, OH, (OW + 2·(kw − 1))·B): the gradient's rows with kw − 1 zero columns each side
    # -> gx (N, C, H, W). Input row y takes gradient rows oy = y + ph − ky inside [0, OH); its column x, padded
    # px = x + pw, takes Σ_kx w[ky, kx]·g[oy, px − kx] = Σ_kx' w[ky, kw − 1 − kx']·gb[oy, px + kx'], a gather
    # over the shifted row.
    # One parallel iteration per (batch block, block of input channels, input row).
    nb, k_out, oh = gb.shape[0], gb.shape[1], gb.shape[2]
    c_in, h, w_in = gx.shape[1], gx.shape[2], gx.shape[3]
    kh, kw = w.shape[2], w.shape[3]
    size = block(c_in)
    blocks = (c_in + size - 1) // size
    zero = np.zeros(c_in, gx.dtype)
    for t in prange(nb * blocks * h):
        b, c0, y = t // (blocks * h), (t // h % blocks) * size, t % h
        cb = min(size, c_in - c0)
        acc = np.zeros((4, w_in * bs), gx.dtype)
        wv = np.zeros((4, kw), gx.dtype)
        for ky in range(kh):
            oy = y + ph - ky
            if oy < 0 or oy >= oh:
                continue
            for k in range(k_out):
                for j in range(cb):
                    for kx in range(kw):
                        wv[j, kx] = w[k, c0 + j, ky, kw - 1 - kx]
                kernel_row(acc, 0, gb[b, k, oy], pw * bs, bs, wv, w_in * bs, size)
        _unblock_row(acc, cb, bs, b * bs, gx, c0, y, zero)


@njit(cache=True, fastmath=True)
def _dot5_pair(g, h, src, step, span, out):
    # out[0, kx] += Σ_q g[q]·src[kx·step + q], out[1, kx] the same for h, kx < 5: each source value loaded once for
    # two gradient rows (half the source loads of one row a pass)
    s0, s1, s2 = src[:span], src[step:step + span], src[2 * step:2 * step + span]
    s3, s4 = src[3 * step:3 * step + span], src[4 * step:4 * step + span]
    a0 = a1 = a2 = a3 = a4 = b0 = b1 = b2 = b3 = b4 = g.dtype.type(0)
    for q in range(span):
        u, v = g[q], h[q]
        x0, x1, x2, x3, x4 = s0[q], s1[q], s2[q], s3[q], s4[q]
        a0 += u * x0
        a1 += u * x1
        a2 += u * x2
        a3 += u * x3
        a4 += u * x4
        b0 += v * x0
        b1 += v * x1
        b2 += v * x2
        b3 += v * x3
        b4 += v * x4
    out[0, 0] += a0
    out[0, 1] += a1
    out[0, 2] += a2
    out[0, 3] += a3
    out[0, 4] += a4
    out[1, 0] += b0
    out[1, 1] += b1
    out[1, 2] += b2
    out[1, 3] += b3
    out[1, 4] += b4


@njit(cache=True, fastmath=True)
def _dot_pair(g, h, src, step, span, out):
    # _dot5_pair for any kernel width, one tap a pass
    for kx in range(out.shape[1]):
        tap = src[kx * step:kx * step + span]
        a = b = g.dtype.type(0)
        for q in range(span):
            a += g[q] * tap[q]
            b += h[q] * tap[q]
        out[0, kx] += a
        out[1, kx] += b


@njit(parallel=True, cache=True, fastmath=True)
def _backward_weight(gb, xb, bs, chunks, parts):
    # gb (N/B, K, OH, OW·B), xb (N/B, C, Hp, Wp·B) -> parts (N/B·chunks, K, C, kh, kw), summed by the caller. For a
    # gradient row and the input row ky below it, the sums over a row's positions and the block's images are one
    # contiguous reduction, OW·B long, the taps kx·B apart. One parallel iteration per (batch block, run of
    # gradient rows, pair of output channels, input channel), every kernel row inside: the rows it reads stay in
    # cache for all kh·kw taps (a kernel row an iteration re-read the whole batch per row: LeNet's conv1 at b256,
    # 4.8 MB of gradient, went to memory each time).
    nb, k_out, oh = gb.shape[0], gb.shape[1], gb.shape[2]
    c_in, kh, kw = parts.shape[2], parts.shape[3], parts.shape[4]
    span, pairs = gb.shape[3], (k_out + 1) // 2
    for t in prange(nb * chunks * pairs * c_in):
        bc, k, c = t // (pairs * c_in), t // c_in % pairs * 2, t % c_in
        b, chunk = bc // chunks, bc % chunks
        k1 = min(k + 1, k_out - 1)  # an odd last channel is paired with itself and written once
        acc = np.zeros((kh, 2, kw), np.float64)
        part = np.empty((2, kw), parts.dtype)
        for oy in range(chunk * oh // chunks, (chunk + 1) * oh // chunks):
            g, h = gb[b, k, oy], gb[b, k1, oy]
            for ky in range(kh):
                part[:] = 0
                if kw == 5:
                    _dot5_pair(g, h, xb[b, c, oy + ky], bs, span, part)
                else:
                    _dot_pair(g, h, xb[b, c, oy + ky], bs, span, part)
                acc[ky] += part  # rows summed in float64: the batch's sum stays exact in float32 at any batch
        for ky in range(kh):
            parts[bc, k, c, ky] = acc[ky, 0]
            parts[bc, k1, c, ky] = acc[ky, 1]


def conv2d_forward(x, weight, bias, stride, padding):
    n, _, h, w = x.shape
    k_out, _, kh, kw = weight.shape
    (ph, pw), hp, wp = padding, h + 2 * padding[0], w + 2 * padding[1]
    bias = np.zeros(k_out, x.dtype) if bias is None else bias
    bs = block_size(n)
    y = np.empty((n, k_out, hp - kh + 1, wp - kw + 1), x.dtype)
    _forward(_to_blocks(x, ph, pw, hp, wp, bs), weight, bias, bs, y)
    return y


def conv2d_backward_input(grad, weight, x_shape, stride, padding):
    oh, ow = grad.shape[2], grad.shape[3]
    kw = weight.shape[3]
    bs = block_size(x_shape[0])
    gx = np.empty(x_shape, grad.dtype)
    gb = _to_blocks(np.ascontiguousarray(grad), 0, kw - 1, oh, ow + 2 * (kw - 1), bs)
    _backward_input(gb, weight, padding[0], padding[1], bs, gx)
    return gx


def conv2d_backward_weight(grad, x, w_shape, stride, padding):
    (ph, pw), hp, wp = padding, x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1]
    oh, ow = grad.shape[2], grad.shape[3]
    bs = block_size(x.shape[0])
    nb, pairs = (x.shape[0] + bs - 1) // bs, (w_shape[0] + 1) // 2
    # rows split into runs until there are 8 iterations a thread (LeNet's conv1 at b64: 3 pairs, 6 runs each)
    chunks = min(oh, -(-8 * numba.get_num_threads() // (nb * pairs * w_shape[1])))
    parts = np.empty((nb * chunks,) + tuple(w_shape), np.float64)
    _backward_weight(_to_blocks(np.ascontiguousarray(grad), 0, 0, oh, ow, bs), _to_blocks(x, ph, pw, hp, wp, bs),
                     bs, chunks, parts)
    return parts.sum(axis=0).astype(grad.dtype)
