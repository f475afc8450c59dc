"""Stride-1 convolution as shifted matrix products, without im2col.

With the input zero-padded and laid out channels-last, (N, Hp, Wp, C) seen as rows q of C values, the output
computed over the whole padded grid is, for each kernel tap (ky, kx), the contiguous row block starting at
q + ky·Wp + kx times the tap's (C, K) weight matrix: Y[q] = Σ_taps X[q + ky·Wp + kx] @ W[ky, kx]. Rows whose
(y, x) lies past the output (OH, OW) are junk and are dropped on the way back to (N, K, OH, OW). The rows are cut
into tiles whose (rows, K) output stays in L2 while all kh·kw taps add into it, then goes straight to
(N, K, OH, OW); each tap's product adds into the tile (BLAS's beta = 1).
Backward-input is the same product on the gradient padded by (kh − 1 − ph, kw − 1 − pw) with the kernel flipped
and its channel axes swapped; backward-weight is Σ over tiles of X[block + shift]ᵀ @ G[block] for each tap, with
G the gradient laid out on the same padded grid (zeros in the junk rows). Weight (K, C, kh, kw).
"""
import numpy as np
from numba import njit, prange

from . import blas


_TILE_BYTES = 2 << 20  # a tile's (rows, K) output and (rows, C) input block; 4096 rows at C = K = 64
_TILE_ROWS = None  # tests set a fixed row count


def _tile_rows(c_in, k_out, itemsize):
    return _TILE_ROWS or max(128, _TILE_BYTES // ((c_in + k_out) * itemsize))


def supports(w_shape, stride, padding):
    """Stride 1 and padding below the kernel size (so backward-input's padding kh − 1 − ph is not negative)."""
    kh, kw = w_shape[2], w_shape[3]
    return tuple(stride) == (1, 1) and 0 <= padding[0] < kh and 0 <= padding[1] < kw


@njit(parallel=True, cache=True)
def _to_grid(x, top, left, hp, wp, tail):
    # x (N, C, H, W) -> rows (N·Hp·Wp + tail, C): x[i, c, y, x] at row (i, y + top, x + left), zeros elsewhere
    n, c, h, w = x.shape
    g = np.empty((n * hp * wp + tail, c), x.dtype)
    g[n * hp * wp:] = 0
    for t in prange(n * hp):
        i, py = t // hp, t % hp
        rows = g[t * wp:(t + 1) * wp]
        y = py - top
        if y < 0 or y >= h:
            rows[:] = 0
            continue
        rows[:left] = 0
        rows[left + w:] = 0
        for ch in range(c):
            src = x[i, ch, y]
            for px in range(w):
                rows[left + px, ch] = src[px]
    return g


@njit(cache=True)
def _scatter_tile(tile, q0, hp, wp, bias, y):
    # rows [q0, q0 + len(tile)) of the (N·Hp·Wp, K) grid -> y (N, K, OH, OW), keeping rows (i, y < OH, x < OW)
    # and adding the bias. One thread: the tile is still in this core's cache, and a parallel launch per tile
    # would hand the cores back and forth with BLAS's threads.
    k_out, oh, ow = y.shape[1], y.shape[2], y.shape[3]
    for r in range(tile.shape[0]):
        q = q0 + r
        i, py, px = q // (hp * wp), q // wp % hp, q % wp
        if py < oh and px < ow:
            for k in range(k_out):
                y[i, k, py, px] = tile[r, k] + bias[k]


def _grid_forward(xg, taps, hp, wp, bias, y):
    """y (N, K, OH, OW) = bias + Σ_taps xg[q + ky·Wp + kx] @ taps[ky, kx] over grid rows q; taps (kh, kw, C, K)."""
    kh, kw, _, k_out = taps.shape
    rows, step = y.shape[0] * hp * wp, _tile_rows(xg.shape[1], k_out, xg.itemsize)
    tile = np.empty((min(rows, step), k_out), xg.dtype)  # reused: it stays in L2
    for q0 in range(0, rows, step):
        q1 = min(rows, q0 + step)
        out = tile[:q1 - q0]
        for ky in range(kh):
            for kx in range(kw):
                s = ky * wp + kx
                blas.matmul(xg[q0 + s:q1 + s], taps[ky, kx], out, beta=0.0 if ky == kx == 0 else 1.0)
        _scatter_tile(out, q0, hp, wp, bias, y)
    return y


def conv2d_forward(x, weight, bias, stride, padding):
    n, _, h, w = x.shape
    k_out, _, kh, kw = weight.shape
    (ph, pw), hp, wp = padding, h + 2 * padding[0], w + 2 * padding[1]
    taps = np.ascontiguousarray(weight.transpose(2, 3, 1, 0))  # (kh, kw, C, K)
    xg = _to_grid(x, ph, pw, hp, wp, (kh - 1) * wp + kw - 1)
    bias = np.zeros(k_out, x.dtype) if bias is None else bias
    return _grid_forward(xg, taps, hp, wp, bias, np.empty((n, k_out, hp - kh + 1, wp - kw + 1), x.dtype))


def conv2d_backward_input(grad, weight, x_shape, stride, padding):
    n, c_in, h, w = x_shape
    k_out, _, kh, kw = weight.shape
    th, tw = kh - 1 - padding[0], kw - 1 - padding[1]
    hp, wp = grad.shape[2] + 2 * th, grad.shape[3] + 2 * tw
    taps = np.ascontiguousarray(weight[:, :, ::-1, ::-1].transpose(2, 3, 0, 1))  # flipped, (kh, kw, K, C)
    gg = _to_grid(np.ascontiguousarray(grad), th, tw, hp, wp, (kh - 1) * wp + kw - 1)
    return _grid_forward(gg, taps, hp, wp, np.zeros(c_in, grad.dtype), np.empty(x_shape, grad.dtype))


def conv2d_backward_weight(grad, x, w_shape, stride, padding):
    n, c_in, h, w = x.shape
    k_out, _, kh, kw = w_shape
    (ph, pw), hp, wp = padding, h + 2 * padding[0], w + 2 * padding[1]
    xg = _to_grid(x, ph, pw, hp, wp, (kh - 1) * wp + kw - 1)
    gg = _to_grid(np.ascontiguousarray(grad), 0, 0, hp, wp, 0)  # (N·Hp·Wp, K), zeros in the junk rows
    taps = np.zeros((kh, kw, c_in, k_out), x.dtype)
    rows, step = n * hp * wp, _tile_rows(c_in, k_out, x.itemsize)
    for q0 in range(0, rows, step):
        q1 = min(rows, q0 + step)
        for ky in range(kh):
            for kx in range(kw):
                s = ky * wp + kx
                blas.matmul(xg[q0 + s:q1 + s].T, gg[q0:q1], taps[ky, kx], beta=1.0)  # (C, K) += X_blockᵀ G_block
    return np.ascontiguousarray(taps.transpose(3, 2, 0, 1))
