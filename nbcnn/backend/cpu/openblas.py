"""NumPy's own OpenBLAS: the matrix products of nbcnn's kernels, and its thread count while they run.

NumPy's wheels bundle an OpenBLAS with 64-bit integers and prefixed names (scipy_cblas_sgemm64_); Numba's np.dot
goes to SciPy's, a separate library. NumPy's ran single-threaded products of the shapes our kernels make faster
than SciPy's (bench/README.md). Found through /proc/self/maps (Linux); elsewhere, or with NumPy on another
BLAS, `library()` is None and gemm.py falls back to Numba's np.dot (SciPy's BLAS); NBCNN_NUMPY_BLAS=0 asks for
that fallback.
"""
import contextlib
import ctypes
import os

import numpy as np  # noqa: F401  (loads NumPy's OpenBLAS, so it is in the process's map)

# (float32 gemm, float64 gemm, get threads, set threads): NumPy ≥ 2.0 wheels, then 1.x wheels
_NAMES = (("scipy_cblas_sgemm64_", "scipy_cblas_dgemm64_", "scipy_openblas_get_num_threads64_",
           "scipy_openblas_set_num_threads64_"),
          ("cblas_sgemm64_", "cblas_dgemm64_", "openblas_get_num_threads64_", "openblas_set_num_threads64_"))


class _Library:
    def __init__(self, lib, names):
        sgemm, dgemm, get_threads, set_threads = (getattr(lib, name) for name in names)
        self.gemm_address = {np.float32: ctypes.cast(sgemm, ctypes.c_void_p).value,
                             np.float64: ctypes.cast(dgemm, ctypes.c_void_p).value}
        self.get_threads, self.set_threads = get_threads, set_threads
        self.set_threads.argtypes = [ctypes.c_int]


def _find():
    if os.environ.get("NBCNN_NUMPY_BLAS", "1") == "0":
        return None
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line and "numpy" in line}
    except OSError:
        return None
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        for names in _NAMES:
            if all(hasattr(lib, name) for name in names):
                return _Library(lib, names)
    return None


_LIBRARY = _find()


def library():
    """NumPy's OpenBLAS (gemm addresses by dtype, thread control), or None when it was not found."""
    return _LIBRARY


@contextlib.contextmanager
def single_threaded():
    """OpenBLAS on one thread while a kernel calls it from each of Numba's threads (two pools on two cores would
    oversubscribe them). The setting is process-wide, so it is restored on the way out."""
    if _LIBRARY is None:
        yield
        return
    before = _LIBRARY.get_threads()
    _LIBRARY.set_threads(1)
    try:
        yield
    finally:
        _LIBRARY.set_threads(before)
