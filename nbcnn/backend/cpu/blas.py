"""Matrix products on SciPy's BLAS, one single-threaded call per Numba thread: how nbcnn's kernels reach BLAS.

Numba's OpenMP threads spin for a while after each kernel; an OpenBLAS product started in that window shares the
two cores with them. With NumPy's two-threaded OpenBLAS after Numba kernels, im2col convolution of LeNet-5's
first layer took 64 ms instead of 7. Splitting a product over Numba's own threads, each part one
single-threaded BLAS call, leaves no second thread pool to fight over the cores.
"""
import numba
import numpy as np
from numba import njit, prange

from . import blas_threads

_PARALLEL_FLOPS = 1 << 22  # below this a product runs on one thread: splitting costs more than it saves


@njit(parallel=True, cache=True)
def _rows_parallel(a, b, out, workers):
    m = a.shape[0]
    for p in prange(workers):
        lo, hi = p * m // workers, (p + 1) * m // workers
        if hi > lo:
            np.dot(a[lo:hi], b, out[lo:hi])


@njit(cache=True)
def _serial(a, b, out):
    np.dot(a, b, out)


def _operand(a):
    return a if a.flags.c_contiguous or a.flags.f_contiguous else np.ascontiguousarray(a)


def matmul(a, b, out=None):
    """a (M, K) @ b (K, N) into out (M, N), C-contiguous, allocated when None. Falls back to NumPy for arrays BLAS
    does not take (other dtypes, mixed dtypes, not 2-D)."""
    if a.dtype != b.dtype or a.dtype not in (np.float32, np.float64) or a.ndim != 2 or b.ndim != 2:
        return np.matmul(a, b, out=out)
    (m, k), n = a.shape, b.shape[1]
    if out is None:
        out = np.empty((m, n), a.dtype)
    a, b = _operand(a), _operand(b)
    workers = numba.get_num_threads()
    with blas_threads.single():
        if 2 * m * n * k < _PARALLEL_FLOPS or workers == 1:
            _serial(a, b, out)
        elif _split_rows(a, b, workers):
            _rows_parallel(np.ascontiguousarray(a), b, out, min(workers, m))
        else:  # split the columns, as the rows of outᵀ = bᵀ aᵀ
            out_t = np.empty((n, m), a.dtype)
            _rows_parallel(np.ascontiguousarray(b.T), a.T, out_t, min(workers, n))
            out[...] = out_t.T
    return out


def _split_rows(a, b, workers):
    """Split a's rows (True) or b's columns. A thread's part must be contiguous: rows when a is C-ordered and has
    enough of them, since the column split pays for transposing its result (a 512 × 4608 weight gradient went
    from 180 to 35 GFLOP/s that way); columns when only b allows it; else the side whose copy is smaller."""
    (m, k), n = a.shape, b.shape[1]
    rows_free = a.flags.c_contiguous and m >= 2 * workers
    cols_free = b.flags.f_contiguous and n >= 2 * workers
    if rows_free and (m >= 8 * workers or not cols_free):
        return True
    if cols_free:
        return False
    return m * k <= k * n
