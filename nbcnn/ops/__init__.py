"""Autograd Functions, one file per op family. They call backend kernels and hold no loops."""
from .arithmetic import Add, Sub, Mul, Div, Neg, Exp, Log, MatMul, Transpose2d, Cast
from .shape import Reshape, Sum, Concat, StridedSlice, Pad
from .activation import ReLU, Sigmoid, Tanh, GELU
from .linear import Linear
from .conv import Conv2d
from .pool import MaxPool2d, AvgPool2d, GlobalAvgPool2d
from .norm import BatchNorm, LocalResponseNorm
from .dropout import Dropout
from .loss import CrossEntropy
from .device import ToDevice
