"""Sums over axes. One block per output element: its threads stride over the summed elements, then meet in a
shared-memory tree (`block_sum`). Accumulation is in float64 (int64 for integers), rounded once to the output.
"""
import math

import numpy as np
import numba
from numba import cuda

from ..broadcast import normalize_axes, stretched_axes
from . import launch
from .arrays import empty, flat
from .elementwise import contiguous_strides, offset, padded

CAPACITY = 1024  # the most threads a CUDA block can have, so any block fits its shared cache


@cuda.jit(device=True)
def block_sum(cache, value):
    """The sum of `value` over the block's threads (blockDim.x a power of two), returned to every thread."""
    t = cuda.threadIdx.x
    cache[t] = value
    cuda.syncthreads()
    width = cuda.blockDim.x // 2
    while width > 0:
        if t < width:
            cache[t] += cache[t + width]
        cuda.syncthreads()
        width //= 2
    total = cache[0]
    cuda.syncthreads()  # every thread has read the total before the cache is reused
    return total


def _sum_kernel(dtype):
    acc_type, zero = numba.from_dtype(np.dtype(dtype)), np.dtype(dtype).type(0)

    @cuda.jit
    def kernel(a, kept_shape, kept_strides, summed_shape, summed_strides, count, scale, out):
        cache = cuda.shared.array(CAPACITY, acc_type)
        for o in range(cuda.blockIdx.x, out.size, cuda.gridDim.x):
            base = offset(o, kept_shape, kept_strides)
            s = zero
            for j in range(cuda.threadIdx.x, count, cuda.blockDim.x):
                s += a[base + offset(j, summed_shape, summed_strides)]
            total = block_sum(cache, s)
            if cuda.threadIdx.x == 0:
                out[o] = total * scale

    return kernel


_FLOAT_SUM, _INT_SUM = _sum_kernel(np.float64), _sum_kernel(np.int64)


def reduce(a, axes, dtype, scale=1.0):
    """scale · (sum of `a` over `axes`), keeping them as size-1 dimensions, in `dtype`."""
    shape, strides = tuple(a.shape), contiguous_strides(a.shape)
    out = empty(tuple(1 if d in axes else n for d, n in enumerate(shape)), dtype)
    if not out.size:
        return out
    kept = [d for d in range(len(shape)) if d not in axes]
    count = math.prod(shape[d] for d in axes)
    floating = a.dtype.kind == "f" or np.dtype(dtype).kind == "f"
    kernel, scale = (_FLOAT_SUM, float(scale)) if floating else (_INT_SUM, int(scale))
    blocks, threads = launch.per_group(out.size, count)
    kernel[blocks, threads](flat(a), padded([shape[d] for d in kept], 1), padded([strides[d] for d in kept], 0),
                            padded([shape[d] for d in axes], 1), padded([strides[d] for d in axes], 0), count,
                            scale, flat(out))
    return out


def sum(a, axis, keepdims):
    axes = normalize_axes(axis, len(a.shape))
    out = reduce(a, axes, a.dtype)
    return out if keepdims else out.reshape(tuple(n for d, n in enumerate(a.shape) if d not in axes))


def sum_to_shape(grad, shape):
    """Undo broadcasting: sum `grad` over the axes along which an input of `shape` was stretched."""
    shape = tuple(shape)
    if tuple(grad.shape) == shape:
        return grad
    return reduce(grad, stretched_axes(tuple(grad.shape), shape), grad.dtype).reshape(shape)

