"""The report of what a model computes, layer by layer, without running a kernel: output shapes, parameters,
multiply-adds and memory (the layers from nbcnn.shape_trace), for `nbcnn summary` and nbcnn.profile."""
from dataclasses import asdict, dataclass

import numpy as np

from .shape_trace import trace

MULT_ADDS_NOTE = ("Mult-Adds count convolution and linear layers only (one multiply and one add, bias excluded); "
                  "batch norm, pooling, activations, LRN and residual additions are listed but not counted.")


@dataclass
class Summary:
    input_shape: tuple
    layers: list  # of shape_trace.TracedLayer
    total_params: int
    trainable_params: int
    param_bytes: int
    buffer_values: int  # batch-norm running statistics: saved with the model, never trained
    buffer_bytes: int
    activation_bytes: int  # every leaf layer's output, per image
    total_mult_adds: int  # per image

    @property
    def non_trainable_params(self):
        return self.total_params - self.trainable_params

    def to_dict(self):
        out = asdict(self)
        out["non_trainable_params"] = self.non_trainable_params
        out["mult_adds_note"] = MULT_ADDS_NOTE
        return out


def summarize(model, input_shape, dtype=np.float32):
    """Summary of `model` on an input of shape (N, C, H, W); the model's weights are never read."""
    layers = trace(model, input_shape, dtype)
    params = list(model.parameters())
    buffers = [b for _, b in model.named_buffers()]
    return Summary(
        input_shape=tuple(input_shape), layers=layers,
        total_params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
        param_bytes=sum(p.numel() * p.dtype.itemsize for p in params),
        buffer_values=sum(b.numel() for b in buffers),
        buffer_bytes=sum(b.numel() * b.dtype.itemsize for b in buffers),
        activation_bytes=sum(row.activation_bytes for row in layers),
        total_mult_adds=sum(row.mult_adds for row in layers))
