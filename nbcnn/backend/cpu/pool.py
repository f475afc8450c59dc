"""Max, average and global average pooling; one (image, channel) plane per parallel iteration."""
import numpy as np
from numba import njit, prange

from ...shapes import window_output_shape
from ..pool_math import window_area, window_max

_window_max = njit(inline="always")(window_max)
_window_area = njit(inline="always")(window_area)


@njit(parallel=True, cache=True)
def _max_pool(x, kh, kw, sh, sw, ph, pw, y, argmax):
    n, c = x.shape[0], x.shape[1]
    oh, ow = y.shape[2], y.shape[3]
    for t in prange(n * c):
        i, ch = t // c, t % c
        for oy in range(oh):
            y0 = oy * sh - ph
            for ox in range(ow):
                best, where = _window_max(x, i, ch, y0, ox * sw - pw, kh, kw)
                y[i, ch, oy, ox] = best
                argmax[i, ch, oy, ox] = where


@njit(parallel=True, cache=True)
def _max_pool_2x2(x, y, code):
    """Kernel 2, stride 2, no padding (LeNet's pools): the four candidates of a window compared in row-major
    order with a strict > or a NaN, which are window_max's tie and NaN rules, as selects the loop can vectorise.
    The record is the maximum's place in its window, 0–3 row-major, one byte (a flat int32 index was four)."""
    n, c = x.shape[0], x.shape[1]
    oh, ow = y.shape[2], y.shape[3]
    for t in prange(n * c):
        i, ch = t // c, t % c
        plane = x[i, ch]
        for oy in range(oh):
            top, bottom = plane[2 * oy], plane[2 * oy + 1]
            best, where = y[i, ch, oy], code[i, ch, oy]
            for ox in range(ow):
                a, b, c2, d = top[2 * ox], top[2 * ox + 1], bottom[2 * ox], bottom[2 * ox + 1]
                m, k = a, 0
                if (b > m) | (b != b):
                    m, k = b, 1
                if (c2 > m) | (c2 != c2):
                    m, k = c2, 2
                if (d > m) | (d != d):
                    m, k = d, 3
                best[ox] = m
                where[ox] = k


@njit(parallel=True, cache=True)
def _max_pool_2x2_grad(gy, code, gx):
    # each window's four gradients written once, the maximum's and three zeros: no zeroing pass and scatter
    n, c, oh, ow = gy.shape
    for t in prange(n * c):
        i, ch = t // c, t % c
        plane = gx[i, ch]
        plane[2 * oh:] = 0  # an odd last row or column belongs to no window
        for oy in range(oh):
            top, bottom = plane[2 * oy], plane[2 * oy + 1]
            g, where = gy[i, ch, oy], code[i, ch, oy]
            top[2 * ow:] = 0
            bottom[2 * ow:] = 0
            for ox in range(ow):
                v, k = g[ox], where[ox]
                top[2 * ox] = v if k == 0 else 0
                top[2 * ox + 1] = v if k == 1 else 0
                bottom[2 * ox] = v if k == 2 else 0
                bottom[2 * ox + 1] = v if k == 3 else 0


@njit(cache=True, inline="always")
def _max3(r, q, m, k, base):
    """Running (max, index) over r[q], r[q + 1], r[q + 2] with a strict >; a NaN is left to the caller."""
    if r[q] > m:
        m, k = r[q], base + q
    if r[q + 1] > m:
        m, k = r[q + 1], base + q + 1
    if r[q + 2] > m:
        m, k = r[q + 2], base + q + 2
    return m, k


@njit(cache=True, fastmath={"reassoc"})  # reassociation lets the sum vectorise; full fastmath would assume no NaN
def _holds_nan(rows):
    """Whether the sum of `rows` is NaN: they hold a NaN (or infinities of both signs)."""
    s = 0.0
    for v in rows.ravel():
        s += v
    return s != s


@njit(parallel=True, cache=True)
def _max_pool_3x3s2(x, ph, pw, y, argmax):
    """Kernel 3, stride 2 (ResNet's stem pool): windows wholly inside the image take their nine candidates
    straight, in row-major order with a strict > (window_max's tie rule); border windows, and every window of
    the rare row of windows that holds a NaN, go through window_max. Testing each candidate for NaN instead
    stopped the loop from vectorising; one sum over the three rows costs far less."""
    n, c, h, w = x.shape
    oh, ow = y.shape[2], y.shape[3]
    for t in prange(n * c):
        i, ch = t // c, t % c
        plane = x[i, ch]
        for oy in range(oh):
            y0 = 2 * oy - ph
            best, where = y[i, ch, oy], argmax[i, ch, oy]
            lo, hi = (pw + 1) // 2, (w - 3 + pw) // 2 + 1  # windows [lo, hi) inside horizontally
            if y0 < 0 or y0 + 3 > h or _holds_nan(plane[y0:y0 + 3]):
                lo, hi = 0, 0
            lo, hi = min(lo, ow), max(min(hi, ow), min(lo, ow))
            if hi > lo:
                r0, r1, r2 = plane[y0], plane[y0 + 1], plane[y0 + 2]
            else:  # no window of this row lies inside: the rows are not read
                r0 = r1 = r2 = plane[0]
            for ox in range(lo, hi):
                q = 2 * ox - pw
                m, k = r0[q], y0 * w + q
                m, k = _max3(r0, q, m, k, y0 * w)
                m, k = _max3(r1, q, m, k, (y0 + 1) * w)
                m, k = _max3(r2, q, m, k, (y0 + 2) * w)
                best[ox], where[ox] = m, k
            for ox in range(0, lo):
                best[ox], where[ox] = _window_max(x, i, ch, y0, 2 * ox - pw, 3, 3)
            for ox in range(hi, ow):
                best[ox], where[ox] = _window_max(x, i, ch, y0, 2 * ox - pw, 3, 3)


@njit(parallel=True, cache=True)
def _max_pool_values(x, kh, kw, sh, sw, ph, pw, y):
    """The maxima of windows 3 wide (kw = 3) without their places, when no gradient will flow back (inference):
    each output row's window rows are first reduced column by column (a loop that vectorises), then each
    window's three columns. A NaN anywhere in a window is its maximum, as in window_max."""
    n, c, h, w = x.shape
    oh, ow = y.shape[2], y.shape[3]
    for t in prange(n * c):
        i, ch = t // c, t % c
        plane, columns = x[i, ch], np.empty(w, x.dtype)
        for oy in range(oh):
            y0 = oy * sh - ph
            first, last = max(0, y0), min(h, y0 + kh)
            columns[:] = plane[first]
            for r in range(first + 1, last):
                row = plane[r]
                for q in range(w):
                    v = row[q]
                    columns[q] = v if (v > columns[q]) | (v != v) else columns[q]
            out = y[i, ch, oy]
            inner_lo = min(ow, (pw + sw - 1) // sw)  # windows wholly inside horizontally: [inner_lo, inner_hi)
            inner_hi = max(inner_lo, min(ow, (w - kw + pw) // sw + 1))
            for ox in range(inner_lo, inner_hi):  # selects over three columns, a loop that vectorises
                q = ox * sw - pw
                m, v1, v2 = columns[q], columns[q + 1], columns[q + 2]
                m = v1 if (v1 > m) | (v1 != v1) else m
                out[ox] = v2 if (v2 > m) | (v2 != v2) else m
            for ox in range(ow):  # windows cut by the left or right edge
                if inner_lo <= ox < inner_hi:
                    continue
                x0 = ox * sw - pw
                lo, hi = max(0, x0), min(w, x0 + kw)
                m = columns[lo]
                for q in range(lo + 1, hi):
                    if (columns[q] > m) | (columns[q] != columns[q]):
                        m = columns[q]
                out[ox] = m


@njit(parallel=True, cache=True)
def _max_pool_grad(gy, argmax, gx):
    n, c, oh, ow = gy.shape
    w = gx.shape[3]
    for t in prange(n * c):
        i, ch = t // c, t % c
        gx[i, ch] = 0
        for oy in range(oh):
            for ox in range(ow):
                k = argmax[i, ch, oy, ox]
                gx[i, ch, k // w, k % w] += gy[i, ch, oy, ox]


@njit(parallel=True, cache=True)
def _avg_pool(x, kh, kw, sh, sw, ph, pw, y):
    n, c, h, w = x.shape
    oh, ow = y.shape[2], y.shape[3]
    for t in prange(n * c):
        i, ch = t // c, t % c
        for oy in range(oh):
            y0 = oy * sh - ph
            for ox in range(ow):
                x0 = ox * sw - pw
                s = 0.0
                for ky in range(max(0, -y0), min(kh, h - y0)):
                    for kx in range(max(0, -x0), min(kw, w - x0)):
                        s += x[i, ch, y0 + ky, x0 + kx]
                y[i, ch, oy, ox] = s / _window_area(y0, x0, kh, kw, h + ph, w + pw)


@njit(parallel=True, cache=True)
def _avg_pool_grad(gy, kh, kw, sh, sw, ph, pw, gx):
    n, c, h, w = gx.shape
    oh, ow = gy.shape[2], gy.shape[3]
    for t in prange(n * c):
        i, ch = t // c, t % c
        gx[i, ch] = 0
        for oy in range(oh):
            y0 = oy * sh - ph
            for ox in range(ow):
                x0 = ox * sw - pw
                g = gy[i, ch, oy, ox] / _window_area(y0, x0, kh, kw, h + ph, w + pw)
                for ky in range(max(0, -y0), min(kh, h - y0)):
                    for kx in range(max(0, -x0), min(kw, w - x0)):
                        gx[i, ch, y0 + ky, x0 + kx] += g


def max_pool2d_forward(x, kernel, stride, padding, ceil_mode=False, record=True):
    """-> (y, record): the record, which only max_pool2d_backward reads, holds each maximum's flat index into
    its input plane (int32), or for 2×2 windows at stride 2 its place in the window (int8); None when record is
    False (no gradient wanted). ceil_mode's extra windows are cut by the image's edge, which every loop but the
    2×2 one handles."""
    shape = window_output_shape(x.shape, kernel, stride, padding, ceil_mode)
    y = np.empty(shape, x.dtype)
    whole = 2 * shape[2] <= x.shape[2] and 2 * shape[3] <= x.shape[3]
    if tuple(kernel) == tuple(stride) == (2, 2) and tuple(padding) == (0, 0) and whole:
        code = np.empty(shape, np.int8)
        _max_pool_2x2(x, y, code)  # one pass, a byte per window, instead of the general loop
        return y, (code if record else None)
    if not record and kernel[1] == 3:  # _max_pool_values's fast loop is for windows 3 wide
        _max_pool_values(x, *kernel, *stride, *padding, y)
        return y, None
    argmax = np.empty(shape, np.int32)
    if tuple(kernel) == (3, 3) and tuple(stride) == (2, 2):
        _max_pool_3x3s2(x, *padding, y, argmax)  # ResNet's stem pool, unrolled
    else:
        _max_pool(x, *kernel, *stride, *padding, y, argmax)
    return y, (argmax if record else None)


def max_pool2d_backward(grad, argmax, x_shape):
    gx = np.empty(x_shape, grad.dtype)
    if argmax.dtype == np.int8:  # 2×2 windows, every input written in one pass
        _max_pool_2x2_grad(np.ascontiguousarray(grad), argmax, gx)
    else:
        _max_pool_grad(np.ascontiguousarray(grad), argmax, gx)
    return gx


def avg_pool2d_forward(x, kernel, stride, padding, ceil_mode=False):
    y = np.empty(window_output_shape(x.shape, kernel, stride, padding, ceil_mode), x.dtype)
    _avg_pool(x, *kernel, *stride, *padding, y)
    return y


def avg_pool2d_backward(grad, x_shape, kernel, stride, padding):
    gx = np.empty(x_shape, grad.dtype)
    _avg_pool_grad(np.ascontiguousarray(grad), *kernel, *stride, *padding, gx)
    return gx


def global_avg_pool2d_forward(x):
    return x.mean(axis=(2, 3), keepdims=True, dtype=x.dtype)


def global_avg_pool2d_backward(grad, x_shape):
    scale = grad.dtype.type(1.0 / (x_shape[2] * x_shape[3]))
    return np.broadcast_to(grad * scale, x_shape).copy()
