"""Backends: one module of kernels per device, with the same names and signatures.

`KERNELS` is the contract: every backend exports each name, and a test checks it. Autograd Functions look a
kernel up on the backend of their input's device, so a faster kernel is swapped in here, never in autograd.
"""
import importlib

KERNELS = (
    # arrays
    "asarray", "to_numpy", "zeros", "zeros_like", "ones_like", "full", "astype", "copy", "may_share_memory",
    # elementwise and reductions (NumPy broadcasting semantics)
    "add", "sub", "mul", "div", "neg", "exp", "log", "matmul", "transpose2d",
    "sum", "sum_to_shape", "concatenate", "split",
    # basic slicing with positive steps, and constant padding: each is the other's gradient
    "strided_slice", "strided_embed",
    # activations
    "relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward", "tanh_forward", "tanh_backward",
    "gelu_forward", "gelu_backward",
    # linear layer, weight (out, in)
    "linear_forward", "linear_backward_input", "linear_backward_weight",
    # convolution, weight (K, C, kh, kw); stride and padding are (h, w) pairs
    "conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight", "conv2d_backward_bias",
    # pooling
    "max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward",
    "global_avg_pool2d_forward", "global_avg_pool2d_backward",
    # normalisation
    "batch_norm_forward_train", "batch_norm_forward_eval", "batch_norm_backward_train",
    "batch_norm_backward_eval", "batch_norm_backward_global", "batch_norm_update_running", "lrn_forward",
    "lrn_backward",
    # regularisation and loss
    "dropout_forward", "dropout_backward", "cross_entropy_forward", "cross_entropy_backward",
    # optimisers, updating parameters and state in place
    "sgd_update", "adam_update", "rmsprop_update", "lookahead_update",
)

DEVICES = ("cpu", "cuda")
_loaded = {}


def get(device):
    """The kernel module for `device` ('cpu' or 'cuda'), imported on first use."""
    if device not in _loaded:
        if device not in DEVICES:
            raise ValueError(f"unknown device {device!r}; choose one of {', '.join(DEVICES)}")
        _loaded[device] = importlib.import_module(f"{__name__}.{device}")
    return _loaded[device]


def normalize_device(device):
    name = str(device).split(":")[0]
    if name not in DEVICES:
        raise ValueError(f"unknown device {device!r}; choose one of {', '.join(DEVICES)}")
    return name
