"""Convolution as one matrix product per block of images over channels-last lowered rows: any kernel, stride and
padding; conv.py sends it the strided layers on small maps (the CIFAR ResNets' 3×3 stride-2 layers).

Why channels last: `conv_im2col` lowers planes, one output row of one tap at a time, so each copy is an output
row long (16 elements on a 16² map) and a stride-2 copy first splits the input row by phase. Here each image is
first copied padded with its channels innermost, xp[y, x, c]; the kw taps of one kernel row at output (oy, ox)
are then xp[oy·sh + ky, ox·sw : ox·sw + kw, :], one contiguous run of kw·C elements whatever the stride. A
lowered row (one output pixel) is kh such runs, and the product is
    out (pixels, K) = lowered (pixels, kh·kw·C) @ w (kh·kw·C, K),
the orientation in which OpenBLAS runs narrow K fastest (bench/README.md, "The ResNet paper's CIFAR networks").
Blocks hold whole images: at least _MIN_ROWS pixels, more while a block's lowered rows and outputs fit in half
the L2 cache. Backward-input multiplies the output gradient by wᵀ and scatters the lowered
rows back over the padded image (a thread owns its images: no two threads add to one pixel); backward-weight sums
loweredᵀ @ gradient per thread. Weight (K, C, kh, kw); stride and padding are (h, w).
"""
import numba
import numpy as np
from numba import njit, prange

from ...shapes import conv_output_size
from . import openblas
from .cache_size import l2_bytes
from .gemm import gemm

_STRIP = 16  # pixels per pass of the (pixels, K) <-> (K, pixels) transposes: 16 rows of K stay in L1
_MIN_ROWS = 512  # pixels per product at least: 256 ran backward-weight at half the rate (conv_algorithms --strided)


def supports(w_shape, stride, padding):
    return True


@njit(cache=True)
def _to_channels_last(x, i, ph, pw, xp):
    """xp (Hp, Wp, C) ← image i of x (N, C, H, W), zero-padded."""
    c_in, h, w = x.shape[1], x.shape[2], x.shape[3]
    xp[:] = 0
    for yy in range(h):  # row by row: one padded row (W·C) stays in L1 while every channel lands in it
        dst = xp[yy + ph]
        for c in range(c_in):
            src = x[i, c, yy]
            for q in range(w):
                dst[q + pw, c] = src[q]


@njit(cache=True)
def _from_channels_last(xp, ph, pw, i, gx):
    """Image i of gx (N, C, H, W) ← the inside of xp (Hp, Wp, C): the inverse of _to_channels_last."""
    c_in, h, w = gx.shape[1], gx.shape[2], gx.shape[3]
    for yy in range(h):
        src = xp[yy + ph]
        for c in range(c_in):
            dst = gx[i, c, yy]
            for q in range(w):
                dst[q] = src[q + pw, c]


@njit(cache=True, inline="always")
def _block(blk, per_block, n):
    """(first image, image count) of block blk."""
    first = blk * per_block
    return first, min(per_block, n - first)


@njit(cache=True)
def _lower(xp, kh, kw, sh, sw, oh, ow, row0, col):
    """col[row0 + oy·OW + ox, (ky·kw + kx)·C + c] = xp[oy·sh + ky, ox·sw + kx, c] for one image."""
    c_in = xp.shape[2]
    run = kw * c_in
    flat = xp.reshape(xp.shape[0], xp.shape[1] * c_in)
    for oy in range(oh):
        for ox in range(ow):
            dst = col[row0 + oy * ow + ox]
            for ky in range(kh):
                src = flat[oy * sh + ky, ox * sw * c_in:ox * sw * c_in + run]
                out = dst[ky * run:(ky + 1) * run]
                for q in range(run):
                    out[q] = src[q]


@njit(cache=True)
def _unlower(col, row0, kh, kw, sh, sw, oh, ow, xp):
    """The adjoint of _lower: xp[oy·sh + ky, ox·sw + kx, c] += col[row0 + oy·OW + ox, (ky·kw + kx)·C + c]."""
    c_in = xp.shape[2]
    run = kw * c_in
    flat = xp.reshape(xp.shape[0], xp.shape[1] * c_in)
    xp[:] = 0
    for oy in range(oh):
        for ox in range(ow):
            src = col[row0 + oy * ow + ox]
            for ky in range(kh):
                dst = flat[oy * sh + ky, ox * sw * c_in:ox * sw * c_in + run]
                part = src[ky * run:(ky + 1) * run]
                for q in range(run):
                    dst[q] += part[q]


@njit(cache=True)
def _rows_of(g, i, row0, out):
    """out[row0 + pixel, k] = g[i, k, pixel]: one image's gradient (K, OH·OW) as lowered rows."""
    k_out, plane = g.shape[1], g.shape[2]
    for q0 in range(0, plane, _STRIP):
        for k in range(k_out):
            src = g[i, k]
            for q in range(q0, min(q0 + _STRIP, plane)):
                out[row0 + q, k] = src[q]


@njit(cache=True)
def _planes_of(out, row0, bias, i, y):
    """y[i, k, pixel] = out[row0 + pixel, k] + bias[k]: the inverse of _rows_of, plus the bias."""
    k_out, plane = y.shape[1], y.shape[2]
    for q0 in range(0, plane, _STRIP):
        for k in range(k_out):
            dst, add = y[i, k], bias[k]
            for q in range(q0, min(q0 + _STRIP, plane)):
                dst[q] = out[row0 + q, k] + add


@njit(parallel=True, cache=True)
def _forward(x, w, bias, geo, per_block, workers, y):
    """y (N, K, OH·OW) = the lowered rows of each block @ w (R, K) + bias."""
    kh, kw, sh, sw, ph, pw, oh, ow = geo
    n, c_in, h, width = x.shape
    k_out, plane, r = y.shape[1], oh * ow, w.shape[0]
    blocks = (n + per_block - 1) // per_block
    for p in prange(workers):
        xp = np.empty((h + 2 * ph, width + 2 * pw, c_in), x.dtype)
        col = np.empty((per_block * plane, r), x.dtype)
        out = np.empty((per_block * plane, k_out), x.dtype)
        for blk in range(p * blocks // workers, (p + 1) * blocks // workers):
            first, count = _block(blk, per_block, n)
            for b in range(count):
                _to_channels_last(x, first + b, ph, pw, xp)
                _lower(xp, kh, kw, sh, sw, oh, ow, b * plane, col)
            gemm(col[:count * plane], w, out[:count * plane])
            for b in range(count):
                _planes_of(out, b * plane, bias, first + b, y)
    return y


@njit(parallel=True, cache=True)
def _backward_input(g, w_t, geo, per_block, workers, gx):
    """gx = the lowered rows g_block @ wᵀ, each scattered back over its padded image."""
    kh, kw, sh, sw, ph, pw, oh, ow = geo
    n, c_in, h, width = gx.shape
    k_out, plane, r = g.shape[1], oh * ow, w_t.shape[1]
    blocks = (n + per_block - 1) // per_block
    for p in prange(workers):
        xp = np.empty((h + 2 * ph, width + 2 * pw, c_in), g.dtype)
        rows = np.empty((per_block * plane, k_out), g.dtype)
        col = np.empty((per_block * plane, r), g.dtype)
        for blk in range(p * blocks // workers, (p + 1) * blocks // workers):
            first, count = _block(blk, per_block, n)
            for b in range(count):
                _rows_of(g, first + b, b * plane, rows)
            gemm(rows[:count * plane], w_t, col[:count * plane])
            for b in range(count):
                _unlower(col, b * plane, kh, kw, sh, sw, oh, ow, xp)
                _from_channels_last(xp, ph, pw, first + b, gx)
    return gx


@njit(parallel=True, cache=True)
def _backward_weight(x, g, geo, per_block, parts):
    """parts[p] (R, K) = Σ over worker p's blocks of loweredᵀ @ the gradient's rows; the caller sums them."""
    kh, kw, sh, sw, ph, pw, oh, ow = geo
    n, c_in, h, width = x.shape
    k_out, plane, r = g.shape[1], oh * ow, parts.shape[1]
    blocks = (n + per_block - 1) // per_block
    workers = parts.shape[0]
    for p in prange(workers):
        parts[p] = 0
        xp = np.empty((h + 2 * ph, width + 2 * pw, c_in), x.dtype)
        col = np.empty((per_block * plane, r), x.dtype)
        rows = np.empty((per_block * plane, k_out), x.dtype)
        for blk in range(p * blocks // workers, (p + 1) * blocks // workers):
            first, count = _block(blk, per_block, n)
            for b in range(count):
                _to_channels_last(x, first + b, ph, pw, xp)
                _lower(xp, kh, kw, sh, sw, oh, ow, b * plane, col)
                _rows_of(g, first + b, b * plane, rows)
            gemm(col[:count * plane].T, rows[:count * plane], parts[p], 1.0)
    return parts


class _Geometry:
    def __init__(self, x_shape, w_shape, stride, padding, itemsize):
        n, c_in, h, w = x_shape
        k_out, _, kh, kw = w_shape
        oh, ow = conv_output_size(h, kh, padding[0], stride[0]), conv_output_size(w, kw, padding[1], stride[1])
        self.geo = (kh, kw, *stride, *padding, oh, ow)
        self.rows = kh * kw * c_in
        fits = (l2_bytes() // 2) // (itemsize * (self.rows + k_out) * oh * ow)
        self.per_block = int(min(n, max(1, -(-_MIN_ROWS // (oh * ow)), fits)))
        self.workers = min(numba.get_num_threads(), -(-n // self.per_block))  # a block each at least


def _weight_matrix(weight):
    """(K, C, kh, kw) -> (kh·kw·C, K), rows in the lowered rows' order."""
    k_out = weight.shape[0]
    return np.ascontiguousarray(weight.transpose(2, 3, 1, 0).reshape(-1, k_out))


def conv2d_forward(x, weight, bias, stride, padding):
    g = _Geometry(x.shape, weight.shape, stride, padding, x.itemsize)
    n, k_out = x.shape[0], weight.shape[0]
    bias = np.zeros(k_out, x.dtype) if bias is None else bias.astype(x.dtype, copy=False)
    y = np.empty((n, k_out, g.geo[6] * g.geo[7]), x.dtype)
    with openblas.single_threaded():
        _forward(np.ascontiguousarray(x), _weight_matrix(weight), bias, g.geo, g.per_block, g.workers, y)
    return y.reshape(n, k_out, g.geo[6], g.geo[7])


def conv2d_backward_input(grad, weight, x_shape, stride, padding):
    g = _Geometry(x_shape, weight.shape, stride, padding, grad.itemsize)
    n, k_out = x_shape[0], weight.shape[0]
    gx = np.empty(x_shape, grad.dtype)
    with openblas.single_threaded():
        _backward_input(np.ascontiguousarray(grad).reshape(n, k_out, -1),
                        np.ascontiguousarray(_weight_matrix(weight).T), g.geo, g.per_block, g.workers, gx)
    return gx


def conv2d_backward_weight(grad, x, w_shape, stride, padding):
    g = _Geometry(x.shape, w_shape, stride, padding, x.itemsize)
    n, k_out = x.shape[0], w_shape[0]
    parts = np.empty((g.workers, g.rows, k_out), x.dtype)
    with openblas.single_threaded():
        _backward_weight(np.ascontiguousarray(x), np.ascontiguousarray(grad).reshape(n, k_out, -1), g.geo,
                         g.per_block, parts)
    kh, kw = w_shape[2:]
    return parts.sum(axis=0).reshape(kh, kw, w_shape[1], k_out).transpose(3, 2, 0, 1).copy()
