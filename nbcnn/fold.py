"""Batch norm folded into the convolution before it, for inference: `optimize_for_inference(model, input_shape)`.

In eval mode batch norm is a per-channel affine map with fixed statistics, y = (x − μ)·s + β with s = γ/√(var + ε),
and a convolution followed by it equals one convolution with its weights scaled per output channel,
W' = W·s, and bias b' = (b − μ)·s + β: the batch-norm pass disappears from inference at no cost in accuracy
(float32 rounding aside).

Which convolution feeds which batch norm is read from the model's own forward pass, traced once on zeros of the
input shape (the tape records every op with its inputs: function.observed_by), not from layer names: a pair is
folded only when the convolution's output goes to that batch norm alone and each of the two layers runs once per
forward pass. Everything else is left as it is, so any model gives an equal model.
"""
import copy
from collections import Counter

import numpy as np

from . import nn, ops
from .function import enable_grad, observed_by
from .models.common import Identity
from .tensor import Tensor


def optimize_for_inference(model, input_shape):
    """A copy of `model` in eval mode with each foldable batch norm folded into its convolution (and replaced by an
    Identity), for inputs of `input_shape` (N, C, H, W); `model` itself is not changed."""
    folded = copy.deepcopy(model).eval()
    pairs = _conv_bn_pairs(folded, tuple(int(n) for n in input_shape))
    names = {id(m): name for name, m in folded.named_modules()}
    for conv, bn in pairs:
        _fold(conv, bn)
        _replace(folded, names[id(bn)], Identity())
    return folded


def _conv_bn_pairs(model, input_shape):
    tracer = _Tracer()
    params = list(model.parameters())
    dtype, device = (params[0].dtype, params[0].device) if params else (np.dtype(np.float32), "cpu")
    x = Tensor(np.zeros(input_shape, dtype), requires_grad=True, device=device)  # so that every op is recorded
    with enable_grad(), observed_by(tracer):
        out = model(x)
    made_by = {id(r.result): r for r in tracer.records}
    consumers = Counter(id(t) for r in tracer.records for t in r.inputs)
    calls = Counter(id(r.module) for r in tracer.records)
    pairs = []
    for r in tracer.records:
        if not (r.op is ops.BatchNorm and isinstance(r.module, nn.BatchNorm2d) and r.module.running_mean is not None):
            continue
        source = made_by.get(id(r.inputs[0]))
        if (source is not None and source.op is ops.Conv2d and isinstance(source.module, nn.Conv2d)
                and consumers[id(source.result)] == 1 and source.result is not out
                and calls[id(source.module)] == 1 and calls[id(r.module)] == 1):
            pairs.append((source.module, r.module))
    return pairs


class _Record:
    def __init__(self, op, module, inputs, result):
        self.op, self.module, self.result = op, module, result
        self.inputs = [t for t in inputs if isinstance(t, Tensor)]


class _Tracer:
    """The observer: each recorded op with the innermost layer that applied it."""

    def __init__(self):
        self.records, self.layers = [], []

    def call(self, module, args):
        self.layers.append(module)
        try:
            return module.forward(*args)
        finally:
            self.layers.pop()

    def recorded(self, node, inputs, options, result):
        self.records.append(_Record(type(node), self.layers[-1] if self.layers else None, inputs, result))


def _fold(conv, bn):
    """conv ← bn ∘ conv, in float64 and rounded once to the weights' dtype."""
    mean, var = (np.asarray(t.numpy(), np.float64) for t in (bn.running_mean, bn.running_var))
    gamma = np.ones_like(mean) if bn.weight is None else np.asarray(bn.weight.numpy(), np.float64)
    beta = np.zeros_like(mean) if bn.bias is None else np.asarray(bn.bias.numpy(), np.float64)
    scale = gamma / np.sqrt(var + bn.eps)
    weight = conv.weight.numpy().astype(np.float64) * scale.reshape(-1, 1, 1, 1)
    bias = np.zeros_like(mean) if conv.bias is None else conv.bias.numpy().astype(np.float64)
    dtype, device = conv.weight.dtype, conv.weight.device
    conv.weight = nn.Parameter(Tensor(weight.astype(dtype), device=device))
    conv.bias = nn.Parameter(Tensor(((bias - mean) * scale + beta).astype(dtype), device=device))


def _replace(model, dotted_name, new):
    """Put `new` where the layer `dotted_name` is, in the same place of its parent's order (a Sequential runs its
    children in that order; Module.__setattr__ would move it to the end)."""
    *path, name = dotted_name.split(".")
    parent = model
    for part in path:
        parent = parent._modules[part]
    parent._modules[name] = new
    object.__setattr__(parent, name, new)
