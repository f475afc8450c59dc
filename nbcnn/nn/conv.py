"""Conv2d layer."""
import numpy as np

from .. import shapes
from . import functional as F
from .init import default_layer_init
from .module import Module, Parameter


class Conv2d(Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        super().__init__()
        self.kernel_size = shapes.pair(kernel_size, "kernel_size")
        self.stride = shapes.pair(stride, "stride")
        self.padding = shapes.resolve_padding(padding, self.kernel_size)
        if min(in_channels, out_channels) < 1 or min(self.kernel_size) < 1 or min(self.stride) < 1 \
                or min(self.padding) < 0:
            raise ValueError(f"Conv2d: impossible configuration in_channels={in_channels}, "
                             f"out_channels={out_channels}, kernel_size={kernel_size}, stride={stride}, "
                             f"padding={padding}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.weight = Parameter(np.empty((out_channels, in_channels) + self.kernel_size, np.float32))
        self.bias = Parameter(np.empty(out_channels, np.float32)) if bias else None
        default_layer_init(self.weight, self.bias)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}" + ("" if self.bias is not None else ", bias=False"))
