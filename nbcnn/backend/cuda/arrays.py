"""Device memory for the CUDA backend: allocation, host transfers, fills and casts, joining along an axis,
strided slicing and padding.

Every array this backend hands out is a C-contiguous numba DeviceNDArray, so kernels can walk flat views and
`reshape` (which the ops call directly) stays a free view.
"""
import math

import numpy as np
from numba import cuda

from . import launch


def empty(shape, dtype):
    return cuda.device_array(tuple(shape), np.dtype(dtype))


def flat(a):
    """The 1-D view of a contiguous device array, 0-d ones included."""
    return a.reshape(a.size)


def run_flat(kernel, n, *args):
    """Launch a grid-stride kernel over n items; an empty launch is no launch at all."""
    if n:
        blocks, threads = launch.flat(n)
        kernel[blocks, threads](*args)


@cuda.jit
def _fill(out, value):
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i] = value


@cuda.jit
def _assign(a, out):
    # out[i] = a[i] in out's dtype; copy() uses it too: as fast as a device-to-device memcpy on a GPU, and the
    # simulator runs it as a kernel where its memcpy would convert through NumPy on the host
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i] = a[i]


@cuda.jit
def _copy_rows(src, src_row, src_col, dst, dst_row, dst_col, width, rows):
    # rows × width block from src (row pitch src_row, first column src_col) to dst likewise
    for t in range(cuda.grid(1), rows * width, cuda.gridsize(1)):
        r, c = t // width, t % width
        dst[r * dst_row + dst_col + c] = src[r * src_row + src_col + c]


@cuda.jit
def _transpose(a, rows, cols, out):
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        j, i = t // rows, t % rows
        out[t] = a[i * cols + j]


@cuda.jit(device=True)
def _strided_offset(t, shape, starts, steps, strides):
    # flat index t of an array of `shape` -> flat index of element starts + i·steps of the array with `strides`
    offset = 0
    for k in range(len(shape) - 1, -1, -1):
        offset += (starts[k] + t % shape[k] * steps[k]) * strides[k]
        t //= shape[k]
    return offset


@cuda.jit
def _gather_strided(src, shape, starts, steps, strides, out):
    for t in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[t] = src[_strided_offset(t, shape, starts, steps, strides)]


@cuda.jit
def _scatter_strided(a, shape, starts, steps, strides, out):
    for t in range(cuda.grid(1), a.size, cuda.gridsize(1)):
        out[_strided_offset(t, shape, starts, steps, strides)] = a[t]


def asarray(array):
    if getattr(array, "__cuda_ndarray__", False):
        return array
    return cuda.to_device(np.asarray(array, order="C"))  # unlike ascontiguousarray, keeps 0-d arrays 0-d


def to_numpy(array):
    return array.copy_to_host()


def full(shape, value, dtype):
    out = empty(shape, dtype)
    run_flat(_fill, out.size, flat(out), out.dtype.type(value))
    return out


def zeros(shape, dtype):
    return full(shape, 0, dtype)


def zeros_like(a):
    return full(a.shape, 0, a.dtype)


def ones_like(a):
    return full(a.shape, 1, a.dtype)


def astype(a, dtype):
    out = empty(a.shape, dtype)
    run_flat(_assign, out.size, flat(a), flat(out))
    return out


def copy(a):
    return astype(a, a.dtype)


def may_share_memory(a, b):
    """Conservatively True: autograd then copies a gradient the caller handed in before a leaf keeps it."""
    return True


def transpose2d(a):
    rows, cols = a.shape
    out = empty((cols, rows), a.dtype)
    run_flat(_transpose, out.size, flat(a), rows, cols, flat(out))
    return out


def concatenate(arrays, axis):
    first = arrays[0]
    axis %= len(first.shape)
    total = sum(a.shape[axis] for a in arrays)
    shape = first.shape[:axis] + (total,) + first.shape[axis + 1:]
    out = empty(shape, np.result_type(*[a.dtype for a in arrays]))
    rows, inner = math.prod(shape[:axis]), math.prod(shape[axis + 1:])
    start = 0
    for a in arrays:
        width = a.shape[axis] * inner
        run_flat(_copy_rows, rows * width, flat(a), width, 0, flat(out), total * inner, start * inner, width, rows)
        start += a.shape[axis]
    return out


def split(a, sizes, axis):
    axis %= len(a.shape)
    rows, inner = math.prod(a.shape[:axis]), math.prod(a.shape[axis + 1:])
    parts, start = [], 0
    for size in sizes:
        part = empty(a.shape[:axis] + (size,) + a.shape[axis + 1:], a.dtype)
        width = size * inner
        run_flat(_copy_rows, rows * width, flat(a), a.shape[axis] * inner, start * inner, flat(part), width, 0,
                 width, rows)
        parts.append(part)
        start += size
    return parts


def strided_slice(a, starts, steps, shape):
    """out[i] = a[starts + i·steps] on each axis, for out of `shape`: basic slicing, and padding's gradient."""
    out = empty(shape, a.dtype)
    run_flat(_gather_strided, out.size, flat(a), _ints(shape), _ints(starts), _ints(steps), _strides(a.shape),
             flat(out))
    return out


def strided_embed(a, shape, starts, steps, fill):
    """An array of `shape` holding `fill`, with a written at starts + i·steps on each axis: padding, and
    slicing's gradient (fill 0)."""
    out = full(shape, fill, a.dtype)
    run_flat(_scatter_strided, a.size, flat(a), _ints(a.shape), _ints(starts), _ints(steps), _strides(shape),
             flat(out))
    return out


def _ints(values):
    return tuple(int(v) for v in values)  # one integer type: the kernels index these tuples with a variable


def _strides(shape):
    """C-order strides in elements."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= int(n)
    return tuple(reversed(strides))
