"""Convolution as lowered matrix products: im2col on a tile of output rows, one BLAS product, scatter back.
Any stride and padding; conv.py sends it what the stride-1 algorithms do not take.

Lowering a whole image writes C·kh·kw copies of every pixel (115 MB for one 64-channel 224×224 image), which
makes the pass memory-bound and the process large. A tile is a run of consecutive output rows, across image
boundaries when the images are small, sized so its lowered columns stay in the L2 cache while the product
reads them. Weight (K, C, kh, kw); stride and padding are (h, w).
Columns are laid out (C·kh·kw, tile): row (c, ky, kx), column (image, oy, ox) counted from the tile's first
output row r0, so a tile of global output rows [r0, r0 + nr) is the column range [r0·OW, (r0 + nr)·OW).
"""
import numba
import numpy as np
from numba import njit, prange

from ...shapes import conv_output_size
from . import blas, blas_threads

_CHUNK_BYTES = 4 << 20  # lowered columns per tile; no longer "at least one image", which was 115 MB at 224²


def supports(w_shape, stride, padding):
    return True


@njit(cache=True, inline="always")
def _span(r0, nr, oh, t, per_image):
    """Iteration t of a loop over (image, plane) pairs of a tile -> (image, plane, first and end output row)."""
    i = r0 // oh + t // per_image
    return i, t % per_image, max(0, r0 - i * oh), min(oh, r0 + nr - i * oh)


@njit(cache=True, inline="always")
def _images(r0, nr, oh):
    return (r0 + nr - 1) // oh - r0 // oh + 1


@njit(cache=True, inline="always")
def _valid(kx, sw, pw, w, ow):
    """Output columns [lo, hi) whose input column ox·sw − pw + kx lies inside the image."""
    lo = min(max(0, (pw - kx + sw - 1) // sw), ow)
    return lo, max(min(ow, (w + pw - kx + sw - 1) // sw), lo)


@njit(parallel=True, cache=True)
def _im2col(x, r0, nr, kh, kw, sh, sw, ph, pw, oh, ow, col):
    # One (image, channel, kernel row) per parallel iteration: a 3-channel stem has 21 of them per image where
    # (image, channel) gave 3 to share between the threads. A strided input row is first split into its sw phases
    # (columns q, q + sw, q + 2·sw, …) so that every tap is a contiguous, vectorising copy (the stride-2 copy was
    # element by element).
    c_in, h, w = x.shape[1], x.shape[2], x.shape[3]
    per_image = c_in * kh
    for t in prange(_images(r0, nr, oh) * per_image):
        i, cky, oy0, oy1 = _span(r0, nr, oh, t, per_image)
        c, ky = cky // kh, cky % kh
        phases = np.empty((sw, (w + sw - 1) // sw), x.dtype)
        for oy in range(oy0, oy1):
            start = (i * oh + oy - r0) * ow
            iy = oy * sh - ph + ky
            if iy < 0 or iy >= h:
                for kx in range(kw):
                    col[(c * kh + ky) * kw + kx, start:start + ow] = 0
                continue
            src = x[i, c, iy]
            if sw > 1:
                for q in range(sw):
                    phase = phases[q]
                    for j in range((w - q + sw - 1) // sw):
                        phase[j] = src[j * sw + q]
            for kx in range(kw):
                dst = col[(c * kh + ky) * kw + kx, start:start + ow]
                lo, hi = _valid(kx, sw, pw, w, ow)
                dst[:lo] = 0
                dst[hi:] = 0
                off = kx - pw  # input column ox·sw + off = (ox + off // sw)·sw + off % sw
                if sw == 1:
                    part = src[lo + off:hi + off]
                else:
                    part = phases[off % sw, lo + off // sw:hi + off // sw]
                out = dst[lo:hi]
                for q in range(hi - lo):
                    out[q] = part[q]


@njit(parallel=True, cache=True)
def _col2im(col, r0, nr, kh, kw, sh, sw, ph, pw, oh, ow, gx):
    # adds into gx, zeroed by the caller: neighbouring tiles overlap on the input rows they read
    c_in, h, w = gx.shape[1], gx.shape[2], gx.shape[3]
    for t in prange(_images(r0, nr, oh) * c_in):  # one (image, channel) plane each: no two write one pixel
        i, c, oy0, oy1 = _span(r0, nr, oh, t, c_in)
        for ky in range(kh):
            for kx in range(kw):
                row = (c * kh + ky) * kw + kx
                lo, hi = _valid(kx, sw, pw, w, ow)
                for oy in range(oy0, oy1):
                    iy = oy * sh - ph + ky
                    if iy < 0 or iy >= h:
                        continue
                    src = col[row, (i * oh + oy - r0) * ow:(i * oh + oy - r0 + 1) * ow]
                    dst, off = gx[i, c, iy], kx - pw
                    if sw == 1:
                        for ox in range(lo, hi):
                            dst[ox + off] += src[ox]
                    else:
                        for ox in range(lo, hi):
                            dst[ox * sw + off] += src[ox]


@njit(parallel=True, cache=True)
def _scatter_output(out, bias, r0, nr, oh, y):
    # out (K, tile) -> y (N, K, OH·OW), adding the bias on the way
    k_out, ow = y.shape[1], y.shape[2] // oh
    for t in prange(_images(r0, nr, oh) * k_out):
        i, k, oy0, oy1 = _span(r0, nr, oh, t, k_out)
        b, shift = bias[k], (i * oh - r0) * ow
        for p in range(oy0 * ow, oy1 * ow):
            y[i, k, p] = out[k, p + shift] + b


@njit(parallel=True, cache=True)
def _gather_grad(gy, r0, nr, oh, g):
    # gy (N, K, OH·OW) -> g (K, tile), the layout of the lowered product
    k_out, ow = gy.shape[1], gy.shape[2] // oh
    for t in prange(_images(r0, nr, oh) * k_out):
        i, k, oy0, oy1 = _span(r0, nr, oh, t, k_out)
        shift = (i * oh - r0) * ow
        for p in range(oy0 * ow, oy1 * ow):
            g[k, p + shift] = gy[i, k, p]


class _Lowering:
    """The geometry of one convolution call and its tiling into runs of output rows."""

    def __init__(self, x_shape, w_shape, stride, padding, itemsize):
        self.n, self.c, self.h, self.w = x_shape
        self.k, _, self.kh, self.kw = w_shape
        (self.sh, self.sw), (self.ph, self.pw) = stride, padding
        self.oh = conv_output_size(self.h, self.kh, self.ph, self.sh)
        self.ow = conv_output_size(self.w, self.kw, self.pw, self.sw)
        self.rows = self.c * self.kh * self.kw
        self.plane = self.oh * self.ow
        per_row = itemsize * self.rows * self.ow
        self.tile_rows = max(1, min(self.n * self.oh, _CHUNK_BYTES // per_row))
        self.tile = self.tile_rows * self.ow  # columns of the largest tile

    def tiles(self):
        """(first global output row, rows, columns) of each tile."""
        total = self.n * self.oh
        for r0 in range(0, total, self.tile_rows):
            nr = min(self.tile_rows, total - r0)
            yield r0, nr, nr * self.ow

    def im2col(self, x, r0, nr, col):
        _im2col(x, r0, nr, self.kh, self.kw, self.sh, self.sw, self.ph, self.pw, self.oh, self.ow, col)

    def col2im(self, col, r0, nr, gx):
        _col2im(col, r0, nr, self.kh, self.kw, self.sh, self.sw, self.ph, self.pw, self.oh, self.ow, gx)


@njit(parallel=True, cache=True)
def _tile_products(a, b_space, out_space, widths):
    """out_j (M, w_j) = a (M, K) @ b_j (K, w_j) for the tiles j of a group, a tile per thread. Whole tiles keep
    each product's M at the layer's: split by rows instead, a 3-channel 7×7 stem's 64 × 147 × 7056 product ran at
    44 GFLOP/s a thread against 65."""
    m, k = a.shape
    for j in prange(widths.shape[0]):
        w = widths[j]
        np.dot(a, b_space[j, :k * w].reshape((k, w)), out_space[j, :m * w].reshape((m, w)))


@njit(parallel=True, cache=True)
def _tile_weight_products(g_space, col_space, widths, parts):
    """parts[j] += g_j (K, w_j) @ col_jᵀ for the tiles j of a group, a tile per thread."""
    k_out, rows = parts.shape[1], parts.shape[2]
    for j in prange(widths.shape[0]):
        w = widths[j]
        parts[j] += np.dot(g_space[j, :k_out * w].reshape((k_out, w)), col_space[j, :rows * w].reshape((rows, w)).T)


def _view(buffer, rows, cols):
    """A contiguous (rows, cols) matrix at the start of a flat buffer."""
    return buffer[:rows * cols].reshape(rows, cols)


def _groups(geo):
    """The tiles in groups of one per thread, with their widths; one group of one tile when there are fewer
    tiles than threads (its product is then split by rows instead)."""
    tiles, workers = list(geo.tiles()), numba.get_num_threads()
    if len(tiles) < workers:
        workers = 1
    for g0 in range(0, len(tiles), workers):
        group = tiles[g0:g0 + workers]
        yield group, np.array([cols for _, _, cols in group], np.int64)


def _products(a, b_space, out_space, group, widths, m, k):
    with blas_threads.single():
        if len(group) == 1:
            blas.matmul(a, _view(b_space[0], k, widths[0]), _view(out_space[0], m, widths[0]))
        else:
            _tile_products(a, b_space, out_space, widths)


def _spaces(geo, workers, dtype):
    return (np.empty((workers, geo.rows * geo.tile), dtype), np.empty((workers, geo.k * geo.tile), dtype))


def conv2d_forward(x, weight, bias, stride, padding):
    geo = _Lowering(x.shape, weight.shape, stride, padding, x.itemsize)
    w2 = np.ascontiguousarray(weight.reshape(geo.k, geo.rows))
    bias = np.zeros(geo.k, x.dtype) if bias is None else bias
    y = np.empty((geo.n, geo.k, geo.plane), x.dtype)
    col_space, out_space = _spaces(geo, numba.get_num_threads(), x.dtype)
    for group, widths in _groups(geo):
        for j, (r0, nr, cols) in enumerate(group):
            geo.im2col(x, r0, nr, _view(col_space[j], geo.rows, cols))
        _products(w2, col_space, out_space, group, widths, geo.k, geo.rows)
        for j, (r0, nr, cols) in enumerate(group):
            _scatter_output(_view(out_space[j], geo.k, cols), bias, r0, nr, geo.oh, y)
    return y.reshape(geo.n, geo.k, geo.oh, geo.ow)


def conv2d_backward_input(grad, weight, x_shape, stride, padding):
    geo = _Lowering(x_shape, weight.shape, stride, padding, grad.itemsize)
    w2t = np.ascontiguousarray(weight.reshape(geo.k, geo.rows).T)
    gy = np.ascontiguousarray(grad).reshape(geo.n, geo.k, geo.plane)
    gx = np.zeros(x_shape, grad.dtype)
    col_space, g_space = _spaces(geo, numba.get_num_threads(), grad.dtype)
    for group, widths in _groups(geo):
        for j, (r0, nr, cols) in enumerate(group):
            _gather_grad(gy, r0, nr, geo.oh, _view(g_space[j], geo.k, cols))
        _products(w2t, g_space, col_space, group, widths, geo.rows, geo.k)
        for j, (r0, nr, cols) in enumerate(group):
            geo.col2im(_view(col_space[j], geo.rows, cols), r0, nr, gx)
    return gx


def conv2d_backward_weight(grad, x, w_shape, stride, padding):
    geo = _Lowering(x.shape, w_shape, stride, padding, x.itemsize)
    gy = np.ascontiguousarray(grad).reshape(geo.n, geo.k, geo.plane)
    workers = numba.get_num_threads()
    col_space, g_space = _spaces(geo, workers, grad.dtype)
    parts = np.zeros((workers, geo.k, geo.rows), grad.dtype)
    for group, widths in _groups(geo):
        for j, (r0, nr, cols) in enumerate(group):
            geo.im2col(x, r0, nr, _view(col_space[j], geo.rows, cols))
            _gather_grad(gy, r0, nr, geo.oh, _view(g_space[j], geo.k, cols))
        with blas_threads.single():
            if len(group) == 1:
                cols = widths[0]
                parts[0] += blas.matmul(_view(g_space[0], geo.k, cols), _view(col_space[0], geo.rows, cols).T)
            else:
                _tile_weight_products(g_space, col_space, widths, parts)
    return parts.sum(axis=0).reshape(w_shape)
