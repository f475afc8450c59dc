"""nbcnn: a convolutional-network engine whose kernels are Python compiled with Numba.

Data flows Tensor → autograd Function (nbcnn.ops) → backend kernel (nbcnn.backend.cpu / .cuda).
"""
from . import runtime

runtime.at_import()  # process-wide settings (OpenBLAS, Numba's threading layer, malloc): nbcnn/runtime.py

import numpy as np  # noqa: E402

from .tensor import Tensor, tensor  # noqa: E402
from .function import no_grad, enable_grad, is_grad_enabled
from .random import manual_seed
from .creation import zeros, ones, randn, rand, cat, from_numpy
from . import nn, optim

__version__ = "0.1.0"
float32, float64, int64 = np.float32, np.float64, np.int64

__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled", "manual_seed", "zeros", "ones",
           "randn", "rand", "cat", "from_numpy", "nn", "optim", "float32", "float64", "int64",
           "load_torch_state_dict", "optimize_for_inference"]

# Loaded on first use: the .pth reader brings in nbcnn.data and the folding pass nbcnn.models, together about a
# quarter of a second that every `import nbcnn` and every CLI start would otherwise pay.
_LAZY = {"load_torch_state_dict": ".interop", "optimize_for_inference": ".fold"}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'nbcnn' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value
