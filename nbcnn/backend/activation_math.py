"""The activations' per-element math, compiled by both backends around their own loops (`njit` on the CPU,
`cuda.jit(device=True)` on CUDA) so the CPU and CUDA activations cannot drift apart. Backward rules take what the
forward saved: the output for ReLU, sigmoid and tanh (cheaper than recomputing from the input), the input for GELU,
which is not invertible below its minimum.

ReLU compares `x <= 0` so that a NaN passes forward, and its gradient backward, as in PyTorch (whose ReLU backward
tests `output <= 0`); the CPU compiles it without fastmath, which would let LLVM assume there is no NaN.

gelu(x) = x·Φ(x) (Hendrycks & Gimpel; PyTorch's exact erf form) with Φ the standard normal CDF,
Φ(x) = (1 + erf(x/√2))/2; its derivative is Φ(x) + x·φ(x) with φ(x) = exp(−x²/2)/√(2π).
"""
import math

_INV_SQRT2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327


def relu(x):
    return 0 if x <= 0 else x


def relu_grad(g, y):
    return 0 if y <= 0 else g


def sigmoid(x):
    if x >= 0:  # two branches keep exp from overflowing
        return 1 / (1 + math.exp(-x))
    e = math.exp(x)
    return e / (1 + e)


def sigmoid_grad(g, y):
    return g * y * (1 - y)


def tanh_grad(g, y):
    return g * (1 - y * y)


def gelu(x):
    return 0.5 * x * (1.0 + math.erf(x * _INV_SQRT2))


def gelu_grad(g, x):
    """g · gelu'(x)."""
    cdf = 0.5 * (1.0 + math.erf(x * _INV_SQRT2))
    return g * (cdf + x * _INV_SQRT_2PI * math.exp(-0.5 * x * x))
