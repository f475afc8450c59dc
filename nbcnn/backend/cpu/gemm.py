"""out = a @ b + beta·out inside Numba kernels, straight into BLAS: `gemm(a, b, out, beta)`.

Numba's np.dot wants contiguous operands and a fresh output; cblas_?gemm takes leading dimensions and beta, so a
product can read a strided view, write into a slice of a larger array and add to what is there. The kernels call
it from each of Numba's threads with BLAS single-threaded (openblas.single_threaded).

The kernels refer to BLAS by a name, nbcnn_cblas_sgemm / _dgemm, that is bound when this module loads: to NumPy's
OpenBLAS (openblas.py says why that one), or else to `_fallback_gemm` compiled with the same C signature, which
runs Numba's np.dot (SciPy's BLAS, whose thread count nbcnn does not manage). The binding is looked up by name
each time a kernel is compiled or loaded from the JIT cache, so one cache serves both.
"""
import llvmlite.binding
import numpy as np
from numba import carray, cfunc, njit, types
from numba.extending import overload

from . import openblas

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def _signature(scalar):
    ptr, i32, i64 = types.CPointer(scalar), types.int32, types.int64
    return types.void(i32, i32, i32, i64, i64, i64, scalar, ptr, i64, ptr, i64, scalar, ptr, i64)


_SYMBOLS = {np.float32: ("nbcnn_cblas_sgemm", _signature(types.float32)),
            np.float64: ("nbcnn_cblas_dgemm", _signature(types.float64))}
_EXTERNAL = {dtype: types.ExternalFunction(name, sig) for dtype, (name, sig) in _SYMBOLS.items()}


@njit(cache=True)
def _strided(ptr, trans, rows, cols, ld):
    """The (rows, cols) operand BLAS reads at ptr, as a contiguous copy."""
    if trans == _NO_TRANS:
        return np.ascontiguousarray(carray(ptr, (rows, ld))[:, :cols])
    return np.ascontiguousarray(carray(ptr, (cols, ld))[:, :rows].T)


def _fallback_gemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    # row-major only: gemm() below never passes anything else
    product = np.dot(_strided(a, trans_a, m, k, lda), _strided(b, trans_b, k, n, ldb))
    out = carray(c, (m, ldc))[:, :n]
    for i in range(m):
        for j in range(n):
            out[i, j] = alpha * product[i, j] + (beta * out[i, j] if beta != 0 else 0)


def _bind():
    """Point nbcnn's BLAS names at NumPy's OpenBLAS, or at the compiled fallback."""
    library = openblas.library()
    for dtype, (name, sig) in _SYMBOLS.items():
        address = library.gemm_address[dtype] if library else cfunc(sig, cache=True)(_fallback_gemm).address
        llvmlite.binding.add_symbol(name, address)


_bind()


def gemm(a, b, out, beta=0.0):
    """out[...] = a @ b + beta·out for float32 or float64 matrices (beta 0 ignores what out held). Compiled
    inside kernels; from Python it is NumPy's."""
    product = a @ b
    out[...] = product if beta == 0 else product + beta * out


@njit(cache=True)
def _operand(mat):
    """(CBLAS transpose flag, leading dimension) of a matrix whose rows or columns are contiguous; (0, 0) for any
    other (negative or overlapping strides), which the callers never pass."""
    rows, cols = mat.shape
    item = mat.itemsize
    s0, s1 = mat.strides
    if (cols <= 1 or s1 == item) and (rows <= 1 or s0 >= cols * item):
        return _NO_TRANS, max(s0 // item if rows > 1 else cols, 1)
    if (rows <= 1 or s0 == item) and (cols <= 1 or s1 >= rows * item):
        return _TRANS, max(s1 // item if cols > 1 else rows, 1)
    return 0, 0


@overload(gemm)
def _gemm(a, b, out, beta=0.0):
    if not (a.dtype == b.dtype == out.dtype and out.dtype in (types.float32, types.float64)):
        return None  # no such product: Numba reports the types it was given
    dtype = np.float32 if out.dtype == types.float32 else np.float64
    blas, scalar = _EXTERNAL[dtype], dtype

    def impl(a, b, out, beta=0.0):
        m, k = a.shape
        n = b.shape[1]
        if b.shape[0] != k or out.shape[0] != m or out.shape[1] != n:
            raise ValueError("gemm: shapes do not match")
        if n > 1 and out.strides[1] != out.itemsize:
            raise ValueError("gemm: the rows of out must be contiguous")
        if m == 0 or n == 0:
            return
        trans_a, lda = _operand(a)
        trans_b, ldb = _operand(b)
        if lda == 0 or ldb == 0:
            raise ValueError("gemm: an operand has neither contiguous rows nor contiguous columns")
        ldc = max(out.strides[0] // out.itemsize if m > 1 else n, 1)
        blas(_ROW_MAJOR, trans_a, trans_b, m, n, k, scalar(1), a.ctypes, lda, b.ctypes, ldb, scalar(beta),
             out.ctypes, ldc)

    return impl
