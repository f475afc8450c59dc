"""Dense matrix products on the tiled GEMM: matmul and the fully connected layer, weight (out, in).

geo = (A row stride, A column stride, B row stride, B column stride, C row stride): transposes are stride swaps.
"""
import numpy as np
from numba import cuda

from . import gemm
from .arrays import empty, flat


@cuda.jit(device=True)
def _a_at(geo, row, col):
    return row * geo[0] + col * geo[1]


@cuda.jit(device=True)
def _b_at(geo, row, col):
    return row * geo[2] + col * geo[3]


@cuda.jit(device=True)
def _out_at(geo, row, col):
    return row * geo[4] + col


@cuda.jit(device=True)
def _bias_at(geo, row, col):
    return col


def _product(a, a_strides, b, b_strides, m, n, k, bias=None):
    out = empty((m, n), np.result_type(a.dtype, b.dtype))
    bias_at = gemm.no_bias if bias is None else _bias_at
    gemm.run(_a_at, _b_at, _out_at, bias_at, flat(a), flat(b), flat(out if bias is None else bias), flat(out),
             a_strides + b_strides + (n,), m, n, k)
    return out


def matmul(a, b):
    (m, k), n = a.shape, b.shape[1]
    return _product(a, (k, 1), b, (n, 1), m, n, k)


def linear_forward(x, weight, bias):
    # x (N, in) · weightᵀ (in, out)
    (batch, features), outs = x.shape, weight.shape[0]
    return _product(x, (features, 1), weight, (1, features), batch, outs, features, bias)


def linear_backward_input(grad, weight):
    # grad (N, out) · weight (out, in)
    (batch, outs), features = grad.shape, weight.shape[1]
    return _product(grad, (outs, 1), weight, (features, 1), batch, features, outs)


def linear_backward_weight(grad, x):
    # gradᵀ (out, N) · x (N, in)
    (batch, outs), features = grad.shape, x.shape[1]
    return _product(grad, (1, outs), x, (features, 1), outs, features, batch)
