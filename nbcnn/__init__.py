"""nbcnn: a convolutional-network engine whose kernels are Python compiled with Numba.

Data flows Tensor → autograd Function (nbcnn.ops) → backend kernel (nbcnn.backend.cpu / .cuda).
"""
import os

# OpenBLAS (NumPy's and SciPy's) keeps its worker threads spinning for about 2²⁸ cycles after every product; on
# two cores one of them then starves whichever Numba kernel comes next (ResNet-34's forward ran 1.7× slower).
# 2⁴ cycles puts them to sleep at once. OpenBLAS reads this when it loads, so it only works when nbcnn is imported
# before NumPy, as the command line does; otherwise set it in the environment. An explicit setting wins.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import numpy as np  # noqa: E402

from .tensor import Tensor, tensor  # noqa: E402
from .function import no_grad, enable_grad, is_grad_enabled
from .random import manual_seed
from .creation import zeros, ones, randn, rand, cat, from_numpy
from . import nn, optim
from .interop import load_torch_state_dict

__version__ = "0.1.0"
float32, float64, int64 = np.float32, np.float64, np.int64

__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled", "manual_seed", "zeros", "ones",
           "randn", "rand", "cat", "from_numpy", "nn", "optim", "float32", "float64", "int64",
           "load_torch_state_dict"]
