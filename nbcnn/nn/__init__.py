"""Layers with PyTorch's names and argument names."""
from . import functional, init
from .module import Module, Parameter
from .conv import Conv2d
from .linear import Linear, Flatten
from .pool import MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
from .norm import BatchNorm1d, BatchNorm2d, LocalResponseNorm
from .activation import ReLU, Sigmoid, Tanh, GELU, Dropout
from .container import Sequential, CrossEntropyLoss
