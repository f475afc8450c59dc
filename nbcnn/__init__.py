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
from .interop import load_torch_state_dict
from .fold import optimize_for_inference

__version__ = "0.1.0"
float32, float64, int64 = np.float32, np.float64, np.int64

__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled", "manual_seed", "zeros", "ones",
           "randn", "rand", "cat", "from_numpy", "nn", "optim", "float32", "float64", "int64",
           "load_torch_state_dict", "optimize_for_inference"]
