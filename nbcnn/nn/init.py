"""Weight initialisers (He / Xavier), in place, drawing from nbcnn's seeded generator."""
import math

import numpy as np

from .. import backend as backends
from ..random import generator


def fans(shape):
    """(fan_in, fan_out) of a linear (out, in) or conv (K, C, kh, kw) weight."""
    receptive = int(np.prod(shape[2:], dtype=np.int64)) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def gain(nonlinearity, param=None):
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity in ("linear", "sigmoid", "conv2d"):
        return 1.0
    raise ValueError(f"unknown nonlinearity {nonlinearity!r}")


def _fill(tensor, values):
    tensor.data = backends.get(tensor.device).asarray(np.asarray(values, dtype=tensor.dtype, order="C"))
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    # drawn in the tensor's own precision: VGG's 100 M-weight layers would spend seconds in float64 draws
    u = generator().random(tensor.shape, dtype=_draw_dtype(tensor))
    u *= b - a  # in place: no second 400 MB temporary for VGG's first FC layer
    u += a
    return _fill(tensor, u)


def normal_(tensor, mean=0.0, std=1.0):
    z = generator().standard_normal(tensor.shape, dtype=_draw_dtype(tensor))
    z *= std
    z += mean
    return _fill(tensor, z)


def _draw_dtype(tensor):
    return np.float32 if tensor.dtype == np.float32 else np.float64


def constant_(tensor, value):
    return _fill(tensor, np.full(tensor.shape, value))


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    fan = fans(tensor.shape)[0 if mode == "fan_in" else 1]
    bound = gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    fan = fans(tensor.shape)[0 if mode == "fan_in" else 1]
    return normal_(tensor, 0.0, gain(nonlinearity, a) / math.sqrt(fan))


def xavier_uniform_(tensor, gain=1.0):
    fan_in, fan_out = fans(tensor.shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    fan_in, fan_out = fans(tensor.shape)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def default_layer_init(weight, bias):
    """PyTorch's default for Conv2d and Linear: He-uniform with a = √5, i.e. U(±1/√fan_in), bias alike."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1 / math.sqrt(fans(weight.shape)[0])
        uniform_(bias, -bound, bound)
