"""The CPU backend: Numba-parallel kernels and NumPy plumbing, exporting every name in backend.KERNELS."""
from ... import runtime

runtime.before_cpu_kernels()  # Numba's threading layer and malloc's thresholds (nbcnn/runtime.py)

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
