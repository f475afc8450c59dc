"""Pooling layers."""
from .. import shapes
from . import functional as F
from .module import Module


class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False):
        super().__init__()
        self.kernel_size = shapes.pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else shapes.pair(stride, "stride")
        self.padding = shapes.pair(padding, "padding")
        self.ceil_mode = bool(ceil_mode)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}" + \
            (", ceil_mode=True" if self.ceil_mode else "")


class MaxPool2d(_Pool2d):
    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode)


class AvgPool2d(_Pool2d):
    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode)


class AdaptiveAvgPool2d(Module):
    """Only output size (1, 1): global average pooling, as ResNet and GoogLeNet use it."""

    def __init__(self, output_size=(1, 1)):
        super().__init__()
        if shapes.pair(output_size, "output_size") != (1, 1):
            raise ValueError(f"AdaptiveAvgPool2d: only output_size (1, 1) is supported, got {output_size}")
        self.output_size = (1, 1)

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
