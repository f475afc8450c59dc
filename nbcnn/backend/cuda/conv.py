"""Convolution as implicit GEMM: the tiled product of gemm.py, with im2col elements gathered from the image as
tiles are loaded, so the lowered matrix never exists in memory. Weight (K, C, kh, kw); stride and padding are
(h, w) pairs. Every output element is written by one thread: no atomics, and the sums run in a fixed order.

geo = (N, C, H, W, K, kh, kw, sh, sw, ph, pw, OH, OW). The lowered image has rows (c, ky, kx) and columns
(image, oy, ox), as on the CPU.
"""
from numba import cuda

from ...shapes import conv_output_size
from . import gemm
from .arrays import empty, flat
from .reduce import reduce


@cuda.jit(device=True)
def _image_at(geo, row, col):
    """Offset in x (N, C, H, W) of lowered element (row (c, ky, kx), column (image, oy, ox)); −1 in the padding."""
    window, plane = geo[5] * geo[6], geo[11] * geo[12]
    c, q = row // window, row % window
    i, p = col // plane, col % plane
    iy = p // geo[12] * geo[7] - geo[9] + q // geo[6]
    ix = p % geo[12] * geo[8] - geo[10] + q % geo[6]
    if iy < 0 or iy >= geo[2] or ix < 0 or ix >= geo[3]:
        return -1
    return ((i * geo[1] + c) * geo[2] + iy) * geo[3] + ix


@cuda.jit(device=True)
def _weight_at(geo, k, row):
    """Offset of (k, row (c, ky, kx)) in a weight-shaped array (K, C, kh, kw)."""
    return k * geo[1] * geo[5] * geo[6] + row


@cuda.jit(device=True)
def _output_at(geo, k, col):
    """Offset of (k, column (image, oy, ox)) in an output-shaped array (N, K, OH, OW)."""
    plane = geo[11] * geo[12]
    return (col // plane * geo[4] + k) * plane + col % plane


@cuda.jit(device=True)
def _bias_at(geo, k, col):
    return k


@cuda.jit(device=True)
def _weight_t_at(geo, c, row):
    """Offset of weight[k, c, ky, kx] for row (k, ky, kx) of weightᵀ."""
    window = geo[5] * geo[6]
    return (row // window * geo[1] + c) * window + row % window


@cuda.jit(device=True)
def _grad_window_at(geo, row, col):
    """Offset in grad (N, K, OH, OW) of the output whose window puts tap (ky, kx) of row (k, ky, kx) on input pixel
    col (image, y, x); −1 when no output does (off the output, or between strides)."""
    window, pixels = geo[5] * geo[6], geo[2] * geo[3]
    k, q = row // window, row % window
    i, yx = col // pixels, col % pixels
    ty = yx // geo[3] + geo[9] - q // geo[6]
    tx = yx % geo[3] + geo[10] - q % geo[6]
    if ty < 0 or tx < 0 or ty % geo[7] != 0 or tx % geo[8] != 0:
        return -1
    oy, ox = ty // geo[7], tx // geo[8]
    if oy >= geo[11] or ox >= geo[12]:
        return -1
    return ((i * geo[4] + k) * geo[11] + oy) * geo[12] + ox


@cuda.jit(device=True)
def _input_at(geo, c, col):
    """Offset of (c, column (image, y, x)) in an input-shaped array (N, C, H, W)."""
    pixels = geo[2] * geo[3]
    return (col // pixels * geo[1] + c) * pixels + col % pixels


@cuda.jit(device=True)
def _image_t_at(geo, col, row):
    return _image_at(geo, row, col)


def _geometry(x_shape, w_shape, stride, padding):
    n, c, h, w = x_shape
    k, _, kh, kw = w_shape
    oh, ow = conv_output_size(h, kh, padding[0], stride[0]), conv_output_size(w, kw, padding[1], stride[1])
    return (n, c, h, w, k, kh, kw, *stride, *padding, oh, ow)


def conv2d_forward(x, weight, bias, stride, padding):
    geo = _geometry(x.shape, weight.shape, stride, padding)
    n, c, _, _, k, kh, kw = geo[:7]
    oh, ow = geo[11:]
    y = empty((n, k, oh, ow), x.dtype)
    # y (K, N·OH·OW) = weight (K, C·kh·kw) · lowered x, plus bias[k]
    bias_at = gemm.no_bias if bias is None else _bias_at
    gemm.run(_weight_at, _image_at, _output_at, bias_at, flat(weight), flat(x), flat(y if bias is None else bias),
             flat(y), geo, k, n * oh * ow, c * kh * kw)
    return y


def conv2d_backward_input(grad, weight, x_shape, stride, padding):
    geo = _geometry(x_shape, weight.shape, stride, padding)
    n, c, h, w, k, kh, kw = geo[:7]
    gx = empty(x_shape, grad.dtype)
    # gx (C, N·H·W) = weightᵀ (C, K·kh·kw) · grad gathered back through the windows
    gemm.run(_weight_t_at, _grad_window_at, _input_at, gemm.no_bias, flat(weight), flat(grad), flat(gx), flat(gx),
             geo, c, n * h * w, k * kh * kw)
    return gx


def conv2d_backward_weight(grad, x, w_shape, stride, padding):
    geo = _geometry(x.shape, w_shape, stride, padding)
    n, c, _, _, k, kh, kw = geo[:7]
    oh, ow = geo[11:]
    gw = empty(w_shape, grad.dtype)
    # gw (K, C·kh·kw) = grad (K, N·OH·OW) · lowered xᵀ
    gemm.run(_output_at, _image_t_at, _weight_at, gemm.no_bias, flat(grad), flat(x), flat(gw), flat(gw), geo,
             k, c * kh * kw, n * oh * ow)
    return gw


def conv2d_backward_bias(grad):
    return reduce(grad, (0, 2, 3), grad.dtype).reshape(grad.shape[1])
