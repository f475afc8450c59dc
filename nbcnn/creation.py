"""Tensor constructors and joining, with PyTorch's names."""
import numpy as np

from . import ops
from .random import generator
from .tensor import Tensor


def zeros(*shape, dtype=np.float32, requires_grad=False, device="cpu"):
    return Tensor(np.zeros(_shape(shape), dtype), requires_grad=requires_grad, device=device)


def ones(*shape, dtype=np.float32, requires_grad=False, device="cpu"):
    return Tensor(np.ones(_shape(shape), dtype), requires_grad=requires_grad, device=device)


def randn(*shape, dtype=np.float32, requires_grad=False, device="cpu"):
    return Tensor(generator().standard_normal(_shape(shape)).astype(dtype), requires_grad=requires_grad,
                  device=device)


def rand(*shape, dtype=np.float32, requires_grad=False, device="cpu"):
    return Tensor(generator().random(_shape(shape)).astype(dtype), requires_grad=requires_grad, device=device)


def from_numpy(array):
    return Tensor(array)


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: needs at least one tensor")
    ndim = tensors[0].ndim
    axis = dim % ndim
    for t in tensors[1:]:
        if t.ndim != ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, tensors[0].shape)) if i != axis):
            raise ValueError(f"cat: shapes {[x.shape for x in tensors]} differ outside dimension {dim}")
    return ops.Concat.apply(*tensors, axis=axis)


def _shape(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)
