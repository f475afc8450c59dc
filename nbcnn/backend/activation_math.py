"""GELU's per-element math (Hendrycks & Gimpel; PyTorch's exact erf form), compiled by both backends around their
own loops so the CPU and CUDA activations cannot drift apart.

gelu(x) = x·Φ(x) with Φ the standard normal CDF, Φ(x) = (1 + erf(x/√2))/2; its derivative is Φ(x) + x·φ(x) with
φ(x) = exp(−x²/2)/√(2π). The backward needs the input, not the output: gelu is not invertible below its minimum.
"""
import math

_INV_SQRT2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327


def gelu(x):
    return 0.5 * x * (1.0 + math.erf(x * _INV_SQRT2))


def gelu_grad(g, x):
    """g · gelu'(x)."""
    cdf = 0.5 * (1.0 + math.erf(x * _INV_SQRT2))
    return g * (cdf + x * _INV_SQRT_2PI * math.exp(-0.5 * x * x))
