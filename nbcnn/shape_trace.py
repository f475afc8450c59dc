"""Shape inference without running a kernel: a model's output shape, and per layer its output shape, parameters
and multiply-adds. Model constructors call `output_shape` to size their classifier and to reject an input too
small for them; nbcnn.summary reports `trace`'s layers.

The model's own forward runs under an observer (`function.observed_by`) that answers each leaf layer with zeros
of the layer's output shape, taken from the formulas in nbcnn.shapes, instead of calling its kernel. Containers
run their forward as written, so residual additions, concatenations and flattening route the zeros exactly as a
real pass routes data; that glue is elementwise NumPy work, which costs microseconds even at 224×224. A leaf
type without a rule here runs for real (Identity, a user's own parameter-free layer).

Multiply-adds count convolution and linear layers only (one multiply and one add, bias excluded). Batch norm,
pooling, activations, LRN and residual additions are elementwise or comparison work: listed, counted as 0.
"""
from dataclasses import dataclass

import numpy as np

from . import nn, shapes
from .function import no_grad, observed_by
from .tensor import Tensor


@dataclass
class TracedLayer:
    name: str
    type: str
    output_shape: tuple
    params: int  # owned by this layer, counted at its first call only
    mult_adds: int  # per image
    activations: int  # output values per image
    activation_bytes: int  # per image


def trace(model, input_shape, dtype=np.float32):
    """[TracedLayer] of every leaf layer `model` calls on an input of `input_shape`, in call order."""
    tracer = _ShapeTracer(model, "")
    tracer.run(model, input_shape, dtype)
    return tracer.layers


def output_shape(module, input_shape, prefix=""):
    """The shape `module` returns for `input_shape`; a ValueError names the first layer the input cannot pass.

    `prefix` is the module's dotted name inside its model, so that errors name layers as the model does.
    """
    return _ShapeTracer(module, prefix).run(module, input_shape, np.float32).shape


class _ShapeTracer:
    def __init__(self, model, prefix):
        self.names = {id(m): name for name, m in model.named_modules(prefix)}
        self.counted = set()
        self.layers = []

    def run(self, model, input_shape, dtype):
        with no_grad(), observed_by(self):
            return model(Tensor(np.zeros(input_shape, dtype)))

    def call(self, module, args):
        if module._modules:
            return module.forward(*args)
        name = self.names.get(id(module), type(module).__name__)
        rule = next((_RULES[cls] for cls in type(module).__mro__ if cls in _RULES), None)
        if rule is None:
            out, mult_adds = module.forward(*args), 0
        else:
            shape, mult_adds = rule(module, name, args[0].shape)
            out = Tensor(np.zeros(shape, args[0].dtype))
        params = 0 if id(module) in self.counted else sum(p.numel() for p in module.parameters())
        self.counted.add(id(module))
        per_image = int(np.prod(out.shape[1:], dtype=np.int64))
        self.layers.append(TracedLayer(name, type(module).__name__, out.shape, params, mult_adds, per_image,
                                        per_image * out.dtype.itemsize))
        return out


# ---------------------------------------------------------------------- rules: (output shape, mult-adds per image)
def _conv(m, name, x):
    out = shapes.conv2d_output_shape(name, x, m.out_channels, m.kernel_size, m.stride, m.padding,
                                     in_channels=m.in_channels)
    return out, shapes.conv2d_mult_adds(out, m.in_channels, m.kernel_size)


def _linear(m, name, x):
    if len(x) != 2 or x[1] != m.in_features:
        raise ValueError(f"{name}: expected input (N, {m.in_features}), got {tuple(x)}")
    return (x[0], m.out_features), m.in_features * m.out_features


def _pool(m, name, x):
    return shapes.pool2d_output_shape(name, x, m.kernel_size, m.stride, m.padding, m.ceil_mode), 0


def _global_pool(m, name, x):
    if len(x) != 4:
        raise ValueError(f"{name}: expected input of shape (N, C, H, W), got {tuple(x)}")
    return (x[0], x[1], 1, 1), 0


def _flatten(m, name, x):
    return tuple(x[:m.start_dim]) + (int(np.prod(x[m.start_dim:], dtype=np.int64)),), 0


def _elementwise(m, name, x):
    return tuple(x), 0


_RULES = {
    nn.Conv2d: _conv, nn.Linear: _linear, nn.MaxPool2d: _pool, nn.AvgPool2d: _pool,
    nn.AdaptiveAvgPool2d: _global_pool, nn.Flatten: _flatten,
    nn.BatchNorm1d: _elementwise, nn.BatchNorm2d: _elementwise, nn.LocalResponseNorm: _elementwise,
    nn.ReLU: _elementwise, nn.Sigmoid: _elementwise, nn.Tanh: _elementwise, nn.Dropout: _elementwise,
}
