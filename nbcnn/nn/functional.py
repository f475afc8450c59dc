"""The functional API, with PyTorch's signatures. Shapes are checked here, before any kernel runs."""
import numpy as np

from .. import ops, shapes
from ..errors import ShapeError
from ..random import get_example_positions, next_seed
from ..tensor import Tensor


def conv2d(input, weight, bias=None, stride=1, padding=0):
    """input (N, C, H, W), weight (K, C, kh, kw), bias (K,); padding an int, a pair, 'same' or 'valid'."""
    kernel = tuple(weight.shape[2:])
    stride, padding = shapes.pair(stride, "stride"), shapes.resolve_padding(padding, kernel)
    shapes.conv2d_output_shape("conv2d", input.shape, weight.shape[0], kernel, stride, padding,
                               in_channels=weight.shape[1])
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ShapeError(f"conv2d: bias of shape {bias.shape} does not match {weight.shape[0]} output channels")
    return ops.Conv2d.apply(input, weight, bias, stride=stride, padding=padding)


def max_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False):
    kernel, stride, padding = _pool_geometry("max_pool2d", input, kernel_size, stride, padding, ceil_mode)
    return ops.MaxPool2d.apply(input, kernel=kernel, stride=stride, padding=padding, ceil_mode=bool(ceil_mode))


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False):
    """Padding counts as zeros in the average; a ceil_mode window hanging past the padding divides by the part
    inside it (PyTorch's count_include_pad=True)."""
    kernel, stride, padding = _pool_geometry("avg_pool2d", input, kernel_size, stride, padding, ceil_mode)
    return ops.AvgPool2d.apply(input, kernel=kernel, stride=stride, padding=padding, ceil_mode=bool(ceil_mode))


def adaptive_avg_pool2d(input, output_size):
    if shapes.pair(output_size, "output_size") != (1, 1):
        raise ShapeError(f"adaptive_avg_pool2d: only output_size (1, 1) is supported, got {output_size}")
    if input.ndim != 4:
        raise ShapeError(f"adaptive_avg_pool2d: expected input (N, C, H, W), got {input.shape}")
    return ops.GlobalAvgPool2d.apply(input)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5, sync=None):
    """Batch statistics in training (running statistics updated in place when given), running ones in eval.
    sync: None, or a strategy that makes training's statistics those of a global batch over several processes
    (nbcnn.distributed.sync_bn.BatchNormSync)."""
    if input.ndim not in (2, 4):
        raise ShapeError(f"batch_norm: expected input (N, C) or (N, C, H, W), got {input.shape}")
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise ShapeError(f"batch_norm: {name} of shape {t.shape} does not match {channels} channels "
                             f"of input {input.shape}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: evaluation mode needs running_mean and running_var")
    if training and input.shape[0] * int(np.prod(input.shape[2:], dtype=np.int64)) < 2:
        raise ShapeError(f"batch_norm: training needs more than one value per channel, got input {input.shape}")
    return ops.BatchNorm.apply(input, weight, bias, running_mean=_data(running_mean),
                               running_var=_data(running_var), training=training, momentum=momentum, eps=eps,
                               sync=sync)


def linear(input, weight, bias=None):
    if input.ndim != 2 or input.shape[1] != weight.shape[1]:
        raise ShapeError(f"linear: expected input (N, {weight.shape[1]}) for weight {weight.shape}, "
                         f"got {input.shape}")
    return ops.Linear.apply(input, weight, bias)


def relu(input):
    return ops.ReLU.apply(input)


def sigmoid(input):
    return ops.Sigmoid.apply(input)


def tanh(input):
    return ops.Tanh.apply(input)


def gelu(input, approximate="none"):
    """x·Φ(x), Φ the standard normal CDF: PyTorch's exact (erf) form; the tanh approximation is not offered."""
    if approximate != "none":
        raise ValueError(f"gelu: only approximate='none' (the exact erf form) is supported, got {approximate!r}")
    return ops.GELU.apply(input)


def dropout(input, p=0.5, training=True):
    if not 0 <= p < 1:
        raise ValueError(f"dropout: probability must lie in [0, 1), got {p}")
    if not training or p == 0:
        return input
    start, step = get_example_positions()  # keys each row's mask by its example's place in the global batch
    return ops.Dropout.apply(input, p=p, seed=next_seed(), start=start, step=step)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    if input.ndim != 4 or size < 1:
        raise ShapeError(f"local_response_norm: expected (N, C, H, W) input and size ≥ 1, got {input.shape}, "
                         f"size {size}")
    return ops.LocalResponseNorm.apply(input, size=size, alpha=alpha, beta=beta, k=k)


def cross_entropy(input, target, label_smoothing=0.0):
    """Mean softmax cross-entropy of logits (N, classes) against integer labels (N,); label_smoothing ε mixes
    each one-hot target with the uniform distribution, (1 − ε)·onehot + ε/classes, as PyTorch does."""
    if not 0 <= label_smoothing <= 1:  # also refuses NaN
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing}")
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target, np.int64), device=input.device)
    if target.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must hold integer class labels, got {target.dtype}")
    return ops.CrossEntropy.apply(input, target, label_smoothing=float(label_smoothing))


def pad(input, pad, mode="constant", value=0.0):
    """`pad` holds (before, after) pairs from the last axis backwards, as in PyTorch: (0, 0, 0, 0, 2, 2) pads
    the channels of an (N, C, H, W) input by two on each side. Constant mode only."""
    if mode != "constant":
        raise ValueError(f"pad: only mode 'constant' is supported, got {mode!r}")
    return ops.Pad.apply(input, pads=shapes.pad_pairs(input.shape, pad), value=value)


def flatten(input, start_dim=1):
    return input.flatten(start_dim)


def _pool_geometry(layer, input, kernel_size, stride, padding, ceil_mode):
    kernel = shapes.pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else shapes.pair(stride, "stride")
    padding = shapes.pair(padding, "padding")
    shapes.pool2d_output_shape(layer, input.shape, kernel, stride, padding, ceil_mode)
    return kernel, stride, padding


def _data(t):
    return None if t is None else t.data
