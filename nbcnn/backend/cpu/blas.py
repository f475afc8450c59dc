"""Matrix products from Python code, one single-threaded BLAS call (gemm.py) per Numba thread.

Numba's OpenMP threads spin for a while after each kernel; an OpenBLAS product started in that window shares the
two cores with them, and a product that should take milliseconds takes ten times as long (bench/README.md).
Splitting a product over Numba's own threads, each part one single-threaded BLAS call, leaves no second thread
pool to fight over the cores.
"""
import numba
import numpy as np
from numba import njit, prange

from . import openblas
from .gemm import gemm

_PARALLEL_FLOPS = 1 << 22  # below this a product runs on one thread: splitting costs more than it saves


@njit(parallel=True, cache=True)
def _rows_parallel(a, b, out, beta, workers):
    m = out.shape[0]
    for p in prange(workers):
        lo, hi = p * m // workers, (p + 1) * m // workers
        gemm(a[lo:hi], b, out[lo:hi], beta)


@njit(parallel=True, cache=True)
def _columns_parallel(a, b, out, beta, workers):
    # gemm takes the column blocks as strided operands: no transposed copy of the result
    n = out.shape[1]
    for p in prange(workers):
        lo, hi = p * n // workers, (p + 1) * n // workers
        gemm(a, b[:, lo:hi], out[:, lo:hi], beta)


@njit(parallel=True, cache=True, fastmath=True)
def _one_row(a, bt, out, beta):
    # out (1, N) = a (1, K) @ btᵀ + beta·out as N dot products, each row of bt (a column of b) streamed from memory
    # once. BLAS packs all of b even for one row, which at batch 1 costs more than the product (VGG-16's
    # 25088 → 4096 layer, bench/README.md); from a few rows up BLAS wins again.
    row = a[0]
    for j in prange(out.shape[1]):
        col = bt[j]
        s = out.dtype.type(0)
        for q in range(col.shape[0]):
            s += row[q] * col[q]
        out[0, j] = s if beta == 0 else s + beta * out[0, j]


@njit(cache=True)
def _serial(a, b, out, beta):
    gemm(a, b, out, beta)


def _operand(a):
    """a itself when its rows or columns are contiguous (what BLAS reads), else a contiguous copy."""
    return a if a.flags.c_contiguous or a.flags.f_contiguous or min(a.strides) == a.itemsize > 0 else \
        np.ascontiguousarray(a)


def matmul(a, b, out=None, beta=0.0):
    """out (M, N) = a (M, K) @ b (K, N) + beta·out, out with contiguous rows (allocated when None). Falls back to
    NumPy for arrays BLAS does not take (other dtypes, mixed dtypes, not 2-D)."""
    if a.dtype != b.dtype or a.dtype not in (np.float32, np.float64) or a.ndim != 2 or b.ndim != 2:
        product = np.matmul(a, b)
        if out is None:
            return product
        out[...] = product if beta == 0 else product + beta * out
        return out
    a, b = _operand(a), _operand(b)
    (m, k), n = a.shape, b.shape[1]
    if out is None:
        out = np.empty((m, n), a.dtype)
    workers = numba.get_num_threads()
    if m == 1 and b.flags.f_contiguous and 2 * n * k >= _PARALLEL_FLOPS:
        _one_row(a, b.T, out, beta)
        return out
    with openblas.single_threaded():
        if 2 * m * n * k < _PARALLEL_FLOPS or workers == 1:
            _serial(a, b, out, beta)
        elif m >= 2 * workers or m >= n:  # rows while each thread gets a few: most calls, one compiled kernel
            _rows_parallel(a, b, out, beta, min(workers, m))
        else:
            _columns_parallel(a, b, out, beta, min(workers, n))
    return out
