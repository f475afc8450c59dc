"""Convolution as lowered matrix products: im2col on a chunk of images, one BLAS product, scatter back.

Lowering a whole batch writes C·kh·kw copies of every pixel, which makes the pass memory-bound; chunks of
images sized to stay in cache keep the product fed. Weight (K, C, kh, kw); stride and padding are (h, w).
Columns are laid out (C·kh·kw, images·OH·OW): row (c, ky, kx), column (image, oy, ox).
"""
import numpy as np
from numba import njit, prange

from ...shapes import conv_output_size

_CHUNK_BYTES = 4 << 20


@njit(parallel=True, cache=True)
def _im2col(x, n0, nb, kh, kw, sh, sw, ph, pw, oh, ow, col):
    c_in, h, w = x.shape[1], x.shape[2], x.shape[3]
    plane = oh * ow
    for t in prange(nb * c_in):
        i, c = t // c_in, t % c_in
        for ky in range(kh):
            for kx in range(kw):
                row = (c * kh + ky) * kw + kx
                # output columns whose input column lies inside the image
                lo = min(max(0, (pw - kx + sw - 1) // sw), ow)
                hi = max(min(ow, (w + pw - kx + sw - 1) // sw), lo)
                for oy in range(oh):
                    base = i * plane + oy * ow
                    iy = oy * sh - ph + ky
                    if iy < 0 or iy >= h:
                        col[row, base:base + ow] = 0
                        continue
                    col[row, base:base + lo] = 0
                    for ox in range(lo, hi):
                        col[row, base + ox] = x[n0 + i, c, iy, ox * sw - pw + kx]
                    col[row, base + hi:base + ow] = 0


@njit(parallel=True, cache=True)
def _col2im(col, n0, nb, kh, kw, sh, sw, ph, pw, oh, ow, gx):
    c_in, h, w = gx.shape[1], gx.shape[2], gx.shape[3]
    plane = oh * ow
    for t in prange(nb * c_in):  # one (image, channel) plane per iteration: no two write the same pixel
        i, c = t // c_in, t % c_in
        gx[n0 + i, c] = 0
        for ky in range(kh):
            for kx in range(kw):
                row = (c * kh + ky) * kw + kx
                lo = min(max(0, (pw - kx + sw - 1) // sw), ow)
                hi = max(min(ow, (w + pw - kx + sw - 1) // sw), lo)
                for oy in range(oh):
                    iy = oy * sh - ph + ky
                    if iy < 0 or iy >= h:
                        continue
                    base = i * plane + oy * ow
                    for ox in range(lo, hi):
                        gx[n0 + i, c, iy, ox * sw - pw + kx] += col[row, base + ox]


@njit(parallel=True, cache=True)
def _scatter_output(out, bias, n0, nb, y):
    # out (K, nb·P) -> y[n0:n0+nb] (N, K, P), adding the bias on the way
    k_out, plane = y.shape[1], y.shape[2]
    for t in prange(nb * k_out):
        i, k = t // k_out, t % k_out
        b = bias[k]
        for p in range(plane):
            y[n0 + i, k, p] = out[k, i * plane + p] + b


@njit(parallel=True, cache=True)
def _gather_grad(gy, n0, nb, g):
    # gy[n0:n0+nb] (N, K, P) -> g (K, nb·P), the layout of the lowered product
    k_out, plane = gy.shape[1], gy.shape[2]
    for t in prange(nb * k_out):
        i, k = t // k_out, t % k_out
        for p in range(plane):
            g[k, i * plane + p] = gy[n0 + i, k, p]


class _Lowering:
    """The geometry of one convolution call and its chunking over images."""

    def __init__(self, x_shape, w_shape, stride, padding):
        self.n, self.c, self.h, self.w = x_shape
        self.k, _, self.kh, self.kw = w_shape
        (self.sh, self.sw), (self.ph, self.pw) = stride, padding
        self.oh = conv_output_size(self.h, self.kh, self.ph, self.sh)
        self.ow = conv_output_size(self.w, self.kw, self.pw, self.sw)
        self.rows = self.c * self.kh * self.kw
        self.plane = self.oh * self.ow
        self.chunk = max(1, min(self.n, _CHUNK_BYTES // max(1, 4 * self.rows * self.plane)))

    def chunks(self):
        for n0 in range(0, self.n, self.chunk):
            yield n0, min(self.chunk, self.n - n0)

    def im2col(self, x, n0, nb, col):
        _im2col(x, n0, nb, self.kh, self.kw, self.sh, self.sw, self.ph, self.pw, self.oh, self.ow, col)

    def col2im(self, col, n0, nb, gx):
        _col2im(col, n0, nb, self.kh, self.kw, self.sh, self.sw, self.ph, self.pw, self.oh, self.ow, gx)


def conv2d_forward(x, weight, bias, stride, padding):
    geo = _Lowering(x.shape, weight.shape, stride, padding)
    w2 = weight.reshape(geo.k, geo.rows)
    bias = np.zeros(geo.k, x.dtype) if bias is None else bias
    y = np.empty((geo.n, geo.k, geo.plane), x.dtype)
    col = np.empty((geo.rows, geo.chunk * geo.plane), x.dtype)
    out = np.empty((geo.k, geo.chunk * geo.plane), x.dtype)
    for n0, nb in geo.chunks():
        cols = nb * geo.plane
        geo.im2col(x, n0, nb, col)
        np.matmul(w2, col[:, :cols], out=out[:, :cols])
        _scatter_output(out, bias, n0, nb, y)
    return y.reshape(geo.n, geo.k, geo.oh, geo.ow)


def conv2d_backward_input(grad, weight, x_shape, stride, padding):
    geo = _Lowering(x_shape, weight.shape, stride, padding)
    w2t = np.ascontiguousarray(weight.reshape(geo.k, geo.rows).T)
    gy = np.ascontiguousarray(grad).reshape(geo.n, geo.k, geo.plane)
    gx = np.empty(x_shape, grad.dtype)
    g = np.empty((geo.k, geo.chunk * geo.plane), grad.dtype)
    col = np.empty((geo.rows, geo.chunk * geo.plane), grad.dtype)
    for n0, nb in geo.chunks():
        cols = nb * geo.plane
        _gather_grad(gy, n0, nb, g)
        np.matmul(w2t, g[:, :cols], out=col[:, :cols])
        geo.col2im(col, n0, nb, gx)
    return gx


def conv2d_backward_weight(grad, x, w_shape, stride, padding):
    geo = _Lowering(x.shape, w_shape, stride, padding)
    gy = np.ascontiguousarray(grad).reshape(geo.n, geo.k, geo.plane)
    gw = np.zeros((geo.k, geo.rows), grad.dtype)
    g = np.empty((geo.k, geo.chunk * geo.plane), grad.dtype)
    col = np.empty((geo.rows, geo.chunk * geo.plane), grad.dtype)
    for n0, nb in geo.chunks():
        cols = nb * geo.plane
        geo.im2col(x, n0, nb, col)
        _gather_grad(gy, n0, nb, g)
        gw += g[:, :cols] @ col[:, :cols].T
    return gw.reshape(w_shape)


def conv2d_backward_bias(grad):
    return grad.sum(axis=(0, 2, 3), dtype=grad.dtype)
