"""The CPU backend: Numba-parallel kernels and NumPy plumbing, exporting every name in backend.KERNELS."""
import os

import numba

# Threading layer: OpenMP first. A parallel launch costs 2 µs under GNU OpenMP and 125 µs under workqueue, whose
# threads sleep between kernels: LeNet-5's 40-odd small kernels a step spent most of their time waking threads
# (training step 3.3× faster with OpenMP, ResNet-34's forward 1.4×). OpenMP's idle threads spin for a while after
# each kernel, which used to starve OpenBLAS's threads; since nbcnn stops OpenBLAS's own spinning
# (OPENBLAS_THREAD_TIMEOUT, nbcnn/__init__.py) and Winograd runs BLAS inside Numba's threads, OpenMP wins on every
# bench row. GNU OpenMP is not fork-safe: nbcnn never forks; code that forks after a kernel ran should use spawn.
# Set before the first parallel launch; an explicit NUMBA_THREADING_LAYER wins.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER_PRIORITY = ["omp", "tbb", "workqueue"]

from . import heap

heap.keep_freed_memory()

from .arrays import (asarray, to_numpy, zeros, zeros_like, ones_like, full, astype, copy, may_share_memory, add,
                     sub, mul, div, neg, exp, log, matmul, transpose2d, sum, sum_to_shape, concatenate, split,
                     strided_slice, strided_embed)
from .activation import (relu_forward, relu_backward, sigmoid_forward, sigmoid_backward, tanh_forward,
                         tanh_backward, gelu_forward, gelu_backward)
from .linear import linear_forward, linear_backward_input, linear_backward_weight
from .conv import conv2d_forward, conv2d_backward_input, conv2d_backward_weight, conv2d_backward_bias
from .pool import (max_pool2d_forward, max_pool2d_backward, avg_pool2d_forward, avg_pool2d_backward,
                   global_avg_pool2d_forward, global_avg_pool2d_backward)
from .norm import (batch_norm_forward_train, batch_norm_forward_eval, batch_norm_backward_train,
                   batch_norm_backward_eval, batch_norm_backward_global, batch_norm_update_running)
from .lrn import lrn_forward, lrn_backward
from .dropout import dropout_forward, dropout_backward
from .loss import cross_entropy_forward, cross_entropy_backward
from .optim import sgd_update, adam_update, rmsprop_update, lookahead_update
