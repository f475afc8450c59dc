"""Max, average and global average pooling, one thread per output element.

Average pooling's backward pass gathers: each input pixel sums the gradients of the windows that hold it, so
overlapping windows need no atomics. Max pooling's backward knows only argmax (the kernel signature carries no
window geometry), so it scatters with atomic adds; where windows overlap, the order of those adds may vary.
"""

from numba import cuda

from ...shapes import window_output_shape
from ..pool_math import window_area, window_max
from .arrays import empty, flat, run_flat, zeros
from .reduce import reduce


_window_max = cuda.jit(device=True)(window_max)
_window_area = cuda.jit(device=True)(window_area)


@cuda.jit(device=True)
def _windows(y, ph, k, s, n_out):
    """The range of outputs along one axis whose window (size k, stride s, padding ph) covers input position y."""
    return max(0, -((k - 1 - y - ph) // s)), min(n_out, (y + ph) // s + 1)


@cuda.jit
def _max_pool(x, kh, kw, sh, sw, ph, pw, y, argmax):
    _, c, h, w = x.shape
    oh, ow = y.shape[2], y.shape[3]
    for t in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        ox, oy, ch, i = t % ow, t // ow % oh, t // (ow * oh) % c, t // (ow * oh * c)
        best, where = _window_max(x, i, ch, oy * sh - ph, ox * sw - pw, kh, kw)
        y[i, ch, oy, ox] = best
        argmax[i, ch, oy, ox] = where


@cuda.jit
def _max_pool_grad(gy, argmax, gx):
    _, c, oh, ow = gy.shape
    w = gx.shape[3]
    for t in range(cuda.grid(1), gy.size, cuda.gridsize(1)):
        ox, oy, ch, i = t % ow, t // ow % oh, t // (ow * oh) % c, t // (ow * oh * c)
        k = argmax[i, ch, oy, ox]
        cuda.atomic.add(gx, (i, ch, k // w, k % w), gy[i, ch, oy, ox])


@cuda.jit
def _avg_pool(x, kh, kw, sh, sw, ph, pw, y):
    _, c, h, w = x.shape
    oh, ow = y.shape[2], y.shape[3]
    for t in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        ox, oy, ch, i = t % ow, t // ow % oh, t // (ow * oh) % c, t // (ow * oh * c)
        y0, x0 = oy * sh - ph, ox * sw - pw
        s = 0.0
        for ky in range(max(0, -y0), min(kh, h - y0)):
            for kx in range(max(0, -x0), min(kw, w - x0)):
                s += x[i, ch, y0 + ky, x0 + kx]
        y[i, ch, oy, ox] = s / _window_area(y0, x0, kh, kw, h + ph, w + pw)


@cuda.jit
def _avg_pool_grad(gy, kh, kw, sh, sw, ph, pw, gx):
    _, c, h, w = gx.shape
    oh, ow = gy.shape[2], gy.shape[3]
    for t in range(cuda.grid(1), gx.size, cuda.gridsize(1)):
        xx, yy, ch, i = t % w, t // w % h, t // (w * h) % c, t // (w * h * c)
        oy0, oy1 = _windows(yy, ph, kh, sh, oh)
        ox0, ox1 = _windows(xx, pw, kw, sw, ow)
        s = 0.0
        for oy in range(oy0, oy1):
            for ox in range(ox0, ox1):
                s += gy[i, ch, oy, ox] / _window_area(oy * sh - ph, ox * sw - pw, kh, kw, h + ph, w + pw)
        gx[i, ch, yy, xx] = s


@cuda.jit
def _spread(g, plane, scale, gx):
    # gx (N, C, H, W) = g (N, C, 1, 1) · scale, over flat views
    for t in range(cuda.grid(1), gx.size, cuda.gridsize(1)):
        gx[t] = g[t // plane] * scale


def max_pool2d_forward(x, kernel, stride, padding, ceil_mode=False, record=True):
    shape = window_output_shape(x.shape, kernel, stride, padding, ceil_mode)  # window_max cuts ceil_mode's windows
    y, argmax = empty(shape, x.dtype), empty(shape, "int32")  # argmax: flat index into the input plane
    run_flat(_max_pool, y.size, x, *kernel, *stride, *padding, y, argmax)
    return y, (argmax if record else None)  # one kernel for both: without a record the index is dropped


def max_pool2d_backward(grad, argmax, x_shape):
    gx = zeros(x_shape, grad.dtype)
    run_flat(_max_pool_grad, grad.size, grad, argmax, gx)
    return gx


def avg_pool2d_forward(x, kernel, stride, padding, ceil_mode=False):
    y = empty(window_output_shape(x.shape, kernel, stride, padding, ceil_mode), x.dtype)
    run_flat(_avg_pool, y.size, x, *kernel, *stride, *padding, y)
    return y


def avg_pool2d_backward(grad, x_shape, kernel, stride, padding):
    gx = empty(x_shape, grad.dtype)
    run_flat(_avg_pool_grad, gx.size, grad, *kernel, *stride, *padding, gx)
    return gx


def global_avg_pool2d_forward(x):
    return reduce(x, (2, 3), x.dtype, 1.0 / (x.shape[2] * x.shape[3]))


def global_avg_pool2d_backward(grad, x_shape):
    plane = x_shape[2] * x_shape[3]
    gx = empty(x_shape, grad.dtype)
    run_flat(_spread, gx.size, flat(grad), plane, grad.dtype.type(1.0 / plane), flat(gx))
    return gx
