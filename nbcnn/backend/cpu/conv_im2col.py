"""Convolution as lowered matrix products: im2col on a tile of output rows, then BLAS products that read and write
the tensors' own planes (gemm.py takes strided operands), so there is no scatter or gather pass.
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
from . import openblas
from .gemm import gemm

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


@njit(cache=True)
def _lower(x, r0, nr, kh, kw, sh, sw, ph, pw, oh, ow, col):
    # One tile, on the calling thread (each thread lowers its own tiles). A strided input row is first split into
    # its sw phases (columns q, q + sw, q + 2·sw, …) so that every tap is a contiguous, vectorising copy (the
    # stride-2 copy was element by element).
    c_in, h, w = x.shape[1], x.shape[2], x.shape[3]
    per_image = c_in * kh
    phases = np.empty((sw, (w + sw - 1) // sw), x.dtype)
    for t in range(_images(r0, nr, oh) * per_image):
        i, cky, oy0, oy1 = _span(r0, nr, oh, t, per_image)
        c, ky = cky // kh, cky % kh
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
        self.workers = numba.get_num_threads()
        # As many tiles as fit _CHUNK_BYTES, rounded up to a multiple of the threads so that each gets an equal
        # share (14 tiles of ResNet's stem left one thread idle for the 15th).
        total, fit = self.n * self.oh, max(1, _CHUNK_BYTES // (itemsize * self.rows * self.ow))
        tiles = -(-total // fit)
        self.tile_rows = max(1, -(-total // (-(-tiles // self.workers) * self.workers)))
        self.tile = self.tile_rows * self.ow  # columns of the largest tile
        self.shape = (self.kh, self.kw, self.sh, self.sw, self.ph, self.pw, self.oh, self.ow)

    def space(self, rows, dtype):
        """A workspace per thread for `rows` rows of a tile's columns."""
        return np.empty((self.workers, rows * self.tile), dtype)


@njit(cache=True, inline="always")
def _segments(r0, nr, oh, ow):
    """(image, first column in the tile, first column in the image's plane, width) of each image a tile meets."""
    out = []
    for i in range(r0 // oh, (r0 + nr - 1) // oh + 1):
        lo, hi = max(r0, i * oh), min(r0 + nr, (i + 1) * oh)
        out.append((i, (lo - r0) * ow, (lo - i * oh) * ow, (hi - lo) * ow))
    return out


@njit(parallel=True, cache=True)
def _forward_tiles(x, a, shape, tile_rows, space, y):
    """y (N, K, OH·OW) = a (K, R) @ lowered columns. Thread p lowers tiles p, p + P, … into its own workspace and
    multiplies each straight into y's planes. R = C·kh·kw, plus a row of ones when a's last column is the bias."""
    kh, kw, sh, sw, ph, pw, oh, ow = shape
    rows, r = x.shape[1] * kh * kw, a.shape[1]
    total, workers = y.shape[0] * oh, space.shape[0]
    for p in prange(workers):
        for r0 in range(p * tile_rows, total, workers * tile_rows):
            nr = min(tile_rows, total - r0)
            col = space[p, :r * nr * ow].reshape((r, nr * ow))
            _lower(x, r0, nr, kh, kw, sh, sw, ph, pw, oh, ow, col)
            if r > rows:
                col[rows] = 1
            for i, c0, p0, width in _segments(r0, nr, oh, ow):
                gemm(a, col[:, c0:c0 + width], y[i, :, p0:p0 + width])
    return y


@njit(parallel=True, cache=True)
def _weight_tiles(x, gy, shape, tile_rows, space, parts):
    """parts[p] (K, R) = Σ over thread p's tiles of gy's columns @ the lowered columnsᵀ; the caller sums them."""
    kh, kw, sh, sw, ph, pw, oh, ow = shape
    rows, total, workers = parts.shape[2], gy.shape[0] * oh, space.shape[0]
    for p in prange(workers):
        parts[p] = 0
        for r0 in range(p * tile_rows, total, workers * tile_rows):
            nr = min(tile_rows, total - r0)
            col = space[p, :rows * nr * ow].reshape((rows, nr * ow))
            _lower(x, r0, nr, kh, kw, sh, sw, ph, pw, oh, ow, col)
            for i, c0, p0, width in _segments(r0, nr, oh, ow):
                gemm(gy[i, :, p0:p0 + width], col[:, c0:c0 + width].T, parts[p], 1.0)
    return parts


@njit(parallel=True, cache=True)
def _input_grad_products(a, gy, oh, ow, r0s, tile_rows, space):
    """The lowered gradient of tiles r0s, one per thread: col_j (R, w_j) = a (R, K) @ gy's columns of tile j."""
    rows, total = a.shape[0], gy.shape[0] * oh
    for j in prange(r0s.shape[0]):
        r0 = r0s[j]
        nr = min(tile_rows, total - r0)
        col = space[j, :rows * nr * ow].reshape((rows, nr * ow))
        for i, c0, p0, width in _segments(r0, nr, oh, ow):
            gemm(a, gy[i, :, p0:p0 + width], col[:, c0:c0 + width])


def conv2d_forward(x, weight, bias, stride, padding):
    geo = _Lowering(x.shape, weight.shape, stride, padding, x.itemsize)
    a = weight.reshape(geo.k, geo.rows)
    if bias is not None:  # the bias as one more column of the weight, against a row of ones in the columns
        a = np.concatenate([a, bias.reshape(geo.k, 1).astype(x.dtype)], axis=1)
    y = np.empty((geo.n, geo.k, geo.plane), x.dtype)
    with openblas.single_threaded():
        _forward_tiles(x, np.ascontiguousarray(a), geo.shape, geo.tile_rows, geo.space(a.shape[1], x.dtype), y)
    return y.reshape(geo.n, geo.k, geo.oh, geo.ow)


def conv2d_backward_input(grad, weight, x_shape, stride, padding):
    # col2im adds into the input rows that neighbouring tiles share, so the tiles' products run in parallel and
    # their scatters one after another (each parallel over planes)
    geo = _Lowering(x_shape, weight.shape, stride, padding, grad.itemsize)
    a = np.ascontiguousarray(weight.reshape(geo.k, geo.rows).T)
    gy = np.ascontiguousarray(grad).reshape(geo.n, geo.k, geo.plane)
    gx = np.zeros(x_shape, grad.dtype)
    space = geo.space(geo.rows, grad.dtype)
    starts = np.arange(0, geo.n * geo.oh, geo.tile_rows)
    for g0 in range(0, len(starts), geo.workers):
        group = starts[g0:g0 + geo.workers]
        with openblas.single_threaded():
            _input_grad_products(a, gy, geo.oh, geo.ow, group, geo.tile_rows, space)
        for j, r0 in enumerate(group):
            nr = min(geo.tile_rows, geo.n * geo.oh - r0)
            _col2im(space[j, :geo.rows * nr * geo.ow].reshape(geo.rows, nr * geo.ow), r0, nr, *geo.shape, gx)
    return gx


def conv2d_backward_weight(grad, x, w_shape, stride, padding):
    geo = _Lowering(x.shape, w_shape, stride, padding, x.itemsize)
    gy = np.ascontiguousarray(grad).reshape(geo.n, geo.k, geo.plane)
    parts = np.empty((geo.workers, geo.k, geo.rows), grad.dtype)
    with openblas.single_threaded():
        _weight_tiles(x, gy, geo.shape, geo.tile_rows, geo.space(geo.rows, x.dtype), parts)
    return parts.sum(axis=0).reshape(w_shape)
