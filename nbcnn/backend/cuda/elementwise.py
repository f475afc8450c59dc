"""Elementwise arithmetic with NumPy broadcasting.

Both shapes are padded on the left to RANK dimensions and a stretched dimension gets stride 0, so one kernel per
operator serves every pair of shapes; equal shapes (residual adds, gradient sums) take a plain flat loop.
Result dtypes follow NumPy's rules for arrays.
"""
import functools
import math

import numpy as np
from numba import cuda

from .arrays import empty, flat, run_flat

RANK = 8


def contiguous_strides(shape):
    """Element strides of a C-contiguous array of `shape`."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return tuple(reversed(strides))


def padded(values, fill):
    """`values` as a RANK-tuple of ints, the missing leading entries set to `fill` (1 for sizes, 0 for strides)."""
    if len(values) > RANK:
        raise ValueError(f"the CUDA backend handles at most {RANK} dimensions, got {len(values)}")
    return (fill,) * (RANK - len(values)) + tuple(int(v) for v in values)


@cuda.jit(device=True)
def offset(i, shape, strides):
    """Memory offset of the i-th element, in row-major order, of a RANK-dimensional view."""
    at = 0
    for d in range(RANK - 1, -1, -1):
        at += (i % shape[d]) * strides[d]
        i //= shape[d]
    return at


def _binary(op):
    @cuda.jit
    def same_shape(a, b, out):
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[i] = op(a[i], b[i])

    @cuda.jit
    def broadcast(a, a_strides, b, b_strides, shape, out):
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[i] = op(a[offset(i, shape, a_strides)], b[offset(i, shape, b_strides)])

    return same_shape, broadcast


def _unary(op):
    @cuda.jit
    def kernel(a, out):
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[i] = op(a[i])

    return kernel


@cuda.jit(device=True)
def _add(x, y):
    return x + y


@cuda.jit(device=True)
def _sub(x, y):
    return x - y


@cuda.jit(device=True)
def _mul(x, y):
    return x * y


@cuda.jit(device=True)
def _div(x, y):
    return x / y


@cuda.jit(device=True)
def _neg(x):
    return -x


@cuda.jit(device=True)
def _exp(x):
    return math.exp(x)


@cuda.jit(device=True)
def _log(x):
    return math.log(x)


_ADD, _SUB, _MUL, _DIV = _binary(_add), _binary(_sub), _binary(_mul), _binary(_div)
_NEG, _EXP, _LOG = _unary(_neg), _unary(_exp), _unary(_log)


@functools.cache
def _result_dtype(ufunc, *dtypes):
    return ufunc(*[np.empty(0, d) for d in dtypes]).dtype


def _apply_binary(kernels, ufunc, a, b):
    same_shape, broadcast = kernels
    shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    out = empty(shape, _result_dtype(ufunc, a.dtype, b.dtype))
    if a.shape == b.shape:
        run_flat(same_shape, out.size, flat(a), flat(b), flat(out))
        return out
    run_flat(broadcast, out.size, flat(a), _stretched(a.shape), flat(b), _stretched(b.shape),
             padded(shape, 1), flat(out))
    return out


def _stretched(shape):
    """Strides (RANK-tuple) reading a contiguous array of `shape` broadcast to a larger shape: 0 where stretched."""
    strides = tuple(0 if n == 1 else s for n, s in zip(shape, contiguous_strides(shape)))
    return padded(strides, 0)


def _apply_unary(kernel, ufunc, a):
    out = empty(a.shape, _result_dtype(ufunc, a.dtype))
    run_flat(kernel, out.size, flat(a), flat(out))
    return out


def add(a, b):
    return _apply_binary(_ADD, np.add, a, b)


def sub(a, b):
    return _apply_binary(_SUB, np.subtract, a, b)


def mul(a, b):
    return _apply_binary(_MUL, np.multiply, a, b)


def div(a, b):
    return _apply_binary(_DIV, np.divide, a, b)


def neg(a):
    return _apply_unary(_NEG, np.negative, a)


def exp(a):
    return _apply_unary(_EXP, np.exp, a)


def log(a):
    return _apply_unary(_LOG, np.log, a)
