"""Array plumbing and broadcasting arithmetic for the CPU backend: NumPy does these at one core's memory speed,
which is enough except for the large same-shape sums of residual connections (forward, and gradients meeting in
backward), where both cores pay."""
import numpy as np
from numba import njit, prange

from ..broadcast import stretched_axes
from . import blas

_PARALLEL_ADD = 1 << 15  # elements; below this a parallel launch costs more than it saves


@njit(parallel=True, cache=True)
def _add(a, b, out):
    for i in prange(a.size):
        out[i] = a[i] + b[i]


def asarray(array):
    return np.asarray(array, order="C")  # unlike ascontiguousarray, keeps 0-d arrays 0-d


def to_numpy(array):
    return array


def zeros(shape, dtype):
    return np.zeros(shape, dtype)


def zeros_like(a):
    return np.zeros_like(a)


def ones_like(a):
    return np.ones_like(a)


def full(shape, value, dtype):
    return np.full(shape, value, dtype)


def astype(a, dtype):
    return a.astype(dtype)


def copy(a):
    return a.copy()


def may_share_memory(a, b):
    return np.may_share_memory(a, b)


def add(a, b):
    if (a.shape == b.shape and a.dtype == b.dtype and a.size >= _PARALLEL_ADD and a.flags.c_contiguous
            and b.flags.c_contiguous):  # both cores on a residual sum, where NumPy's one is memory-bound
        out = np.empty_like(a)
        _add(a.reshape(-1), b.reshape(-1), out.reshape(-1))
        return out
    return np.add(a, b)


def sub(a, b):
    return np.subtract(a, b)


def mul(a, b):
    return np.multiply(a, b)


def div(a, b):
    return np.divide(a, b)


def neg(a):
    return np.negative(a)


def exp(a):
    return np.exp(a)


def log(a):
    return np.log(a)


def matmul(a, b):
    return blas.matmul(a, b)


def transpose2d(a):
    return np.ascontiguousarray(a.T)


def sum(a, axis, keepdims):
    return np.sum(a, axis=axis, keepdims=keepdims, dtype=a.dtype)


def sum_to_shape(grad, shape):
    """Undo broadcasting: sum `grad` over the axes along which an input of `shape` was stretched."""
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    return np.sum(grad, axis=stretched_axes(grad.shape, shape), keepdims=True, dtype=grad.dtype).reshape(shape)


def concatenate(arrays, axis):
    return np.concatenate(arrays, axis=axis)


def split(a, sizes, axis):
    bounds = np.cumsum(sizes)[:-1]
    return [np.ascontiguousarray(part) for part in np.split(a, bounds, axis=axis)]


# Slicing and padding are one copy each way, so NumPy's strided copy is the kernel: memory-bound, and the arrays
# involved (a CIFAR shortcut's (N, 16, 32, 32) input) are far smaller than the residual sums that pay for threads.
def strided_slice(a, starts, steps, shape):
    """out[i] = a[starts + i·steps] on each axis, for out of `shape`: basic slicing, and padding's gradient."""
    return np.ascontiguousarray(a[_window(starts, steps, shape)])


def strided_embed(a, shape, starts, steps, fill):
    """An array of `shape` holding `fill`, with a written at starts + i·steps on each axis: padding, and
    slicing's gradient (fill 0)."""
    out = np.full(shape, fill, a.dtype)
    out[_window(starts, steps, a.shape)] = a
    return out


def _window(starts, steps, shape):
    return tuple(slice(s, s + (n - 1) * step + 1, step) for s, step, n in zip(starts, steps, shape))

