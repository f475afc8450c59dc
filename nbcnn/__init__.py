"""nbcnn: a convolutional-network engine whose kernels are Python compiled with Numba.

Data flows Tensor → autograd Function (nbcnn.ops) → backend kernel (nbcnn.backend.cpu / .cuda).
"""
import numpy as np

from .tensor import Tensor, tensor
from .function import no_grad, enable_grad, is_grad_enabled
from .random import manual_seed
from .creation import zeros, ones, randn, rand, cat, from_numpy
from . import nn, optim

__version__ = "0.1.0"
float32, float64, int64 = np.float32, np.float64, np.int64

__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled", "manual_seed", "zeros", "ones",
           "randn", "rand", "cat", "from_numpy", "nn", "optim", "float32", "float64", "int64"]
