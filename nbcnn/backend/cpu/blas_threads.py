"""Run SciPy's OpenBLAS single-threaded for the length of a kernel that calls it from its own parallel threads.

Numba's np.dot inside a kernel goes to SciPy's BLAS (scipy.linalg.cython_blas), which links its own OpenBLAS,
apart from NumPy's. A kernel that already runs one product per Numba thread wants each product on one thread:
two OpenBLAS pools on top of Numba's would oversubscribe two cores. The setting is process-wide in OpenBLAS, so it
is restored on the way out. Without a SciPy OpenBLAS we can find (another BLAS, another OS) this does nothing.
"""
import contextlib
import ctypes

import scipy.linalg.cython_blas  # noqa: F401  (loads the library, so it is in the process's map)

_NAMES = (("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
          ("openblas_get_num_threads", "openblas_set_num_threads"))


def _scipy_openblas():
    """(get, set) ctypes functions of SciPy's OpenBLAS, or None."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line and "scipy.libs" in line}
    except OSError:
        return None
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        for get_name, set_name in _NAMES:
            if hasattr(lib, get_name) and hasattr(lib, set_name):
                return getattr(lib, get_name), getattr(lib, set_name)
    return None


_CONTROL = _scipy_openblas()


@contextlib.contextmanager
def single():
    if _CONTROL is None:
        yield
        return
    get, set_ = _CONTROL
    before = get()
    set_(1)
    try:
        yield
    finally:
        set_(before)
