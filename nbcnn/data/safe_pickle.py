"""Unpickling data files that may hold only plain data and numpy arrays.

A pickle can call any importable function while it loads; an allow-list of the few globals that CIFAR's files
name means a hostile file fails at its first forbidden global, before anything runs.
"""
import codecs
import pickle
from pathlib import Path

import numpy as np

from .errors import DataError

try:
    from numpy._core.multiarray import _reconstruct, scalar
    from numpy._core.numeric import _frombuffer
except ImportError:  # numpy < 2
    from numpy.core.multiarray import _reconstruct, scalar
    from numpy.core.numeric import _frombuffer

# (module, name) a pickle may ask for -> what it gets. Old files say numpy.core, numpy 2 writes numpy._core;
# protocol 5 rebuilds arrays with _frombuffer; Python 3 writes bytes at protocol 2 as _codecs.encode(text, "latin1").
# None of these can do more than build an array or a string.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.multiarray", "scalar"): scalar,
    ("numpy._core.multiarray", "scalar"): scalar,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,
}


class _AllowListUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing global {module}.{name}: only numpy arrays and plain data "
                                         f"are allowed") from None


def safe_load(path):
    """Unpickle a data file (Python 2 pickles included: their strings come back as bytes)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            return _AllowListUnpickler(f, encoding="bytes").load()
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror})") from e
    except Exception as e:  # a corrupt pickle can fail in many ways; all mean the same to the caller
        raise DataError(f"{path}: not a valid data pickle ({type(e).__name__}: {e})") from e
