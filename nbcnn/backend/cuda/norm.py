"""Batch normalisation over (N, C, H, W), viewed as (N, C, P) with P = H·W.

Statistics are per-channel block reductions in float64 (one block per channel, its threads striding over the
N·P values, two passes so the variance does not cancel); the elementwise passes then run over every element.
"""
import math

import numpy as np
from numba import cuda, float64

from .. import norm_math
from . import launch
from .arrays import empty, flat, full, run_flat
from .reduce import CAPACITY, block_sum

_scale_shift = cuda.jit(device=True)(norm_math.bn_scale_shift)
_input_grad = cuda.jit(device=True)(norm_math.bn_input_grad)
_running_update = cuda.jit(device=True)(norm_math.running_update)


@cuda.jit
def _stats(x, gamma, beta, eps, mean, var, scale, shift):
    n, c, p = x.shape
    m = n * p
    cache = cuda.shared.array(CAPACITY, float64)
    for ch in range(cuda.blockIdx.x, c, cuda.gridDim.x):
        s = 0.0
        for j in range(cuda.threadIdx.x, m, cuda.blockDim.x):
            s += x[j // p, ch, j % p]
        mu = block_sum(cache, s) / m
        ss = 0.0
        for j in range(cuda.threadIdx.x, m, cuda.blockDim.x):
            d = x[j // p, ch, j % p] - mu
            ss += d * d
        v = block_sum(cache, ss) / m
        if cuda.threadIdx.x == 0:
            mean[ch], var[ch] = mu, v
            scale[ch], shift[ch] = _scale_shift(gamma[ch], beta[ch], mu, v, eps)


@cuda.jit
def _affine(x, c, p, scale, shift, y):
    for t in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        ch = t // p % c
        y[t] = x[t] * scale[ch] + shift[ch]


@cuda.jit
def _eval(x, c, p, mean, var, gamma, beta, eps, y):
    for t in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        ch = t // p % c
        sc, sh = _scale_shift(gamma[ch], beta[ch], mean[ch], var[ch], eps)
        y[t] = x[t] * sc + sh


@cuda.jit
def _grad_sums(gy, x, mean, var, eps, sg, sgx, ggamma, gbeta):
    n, c, p = x.shape
    m = n * p
    cache = cuda.shared.array(CAPACITY, float64)
    for ch in range(cuda.blockIdx.x, c, cuda.gridDim.x):
        invstd = 1.0 / math.sqrt(var[ch] + eps)
        mu = mean[ch]
        a, b = 0.0, 0.0
        for j in range(cuda.threadIdx.x, m, cuda.blockDim.x):
            g = gy[j // p, ch, j % p]
            a += g
            b += g * (x[j // p, ch, j % p] - mu) * invstd
        a = block_sum(cache, a)
        b = block_sum(cache, b)
        if cuda.threadIdx.x == 0:
            sg[ch], sgx[ch] = a, b
            gbeta[ch], ggamma[ch] = a, b


@cuda.jit
def _grad_input(gy, x, c, p, gamma, mean, var, eps, sg, sgx, m, batch_stats, gx):
    for t in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        ch = t // p % c
        invstd = 1.0 / math.sqrt(var[ch] + eps)
        k = gamma[ch] * invstd
        if batch_stats:
            gx[t] = _input_grad(gy[t], x[t], k, mean[ch], sg[ch] / m, sgx[ch] / m * invstd)
        else:
            gx[t] = k * gy[t]


@cuda.jit
def _update_running(running_mean, running_var, mean, var, ratio, keep, momentum):
    for t in range(cuda.grid(1), mean.size, cuda.gridsize(1)):
        running_mean[t] = _running_update(running_mean[t], mean[t], keep, momentum)
        running_var[t] = _running_update(running_var[t], var[t] * ratio, keep, momentum)


def _view(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h * w)


def _or_constant(a, x, value):
    """`a`, or a per-channel constant when the layer has no affine parameters."""
    return full((x.shape[1],), value, x.dtype) if a is None else a


def batch_norm_forward_train(x, gamma, beta, eps):
    n, c, h, w = x.shape
    gamma, beta = _or_constant(gamma, x, 1), _or_constant(beta, x, 0)
    y, mean, var = empty(x.shape, x.dtype), empty((c,), x.dtype), empty((c,), x.dtype)
    scale, shift = empty((c,), np.float64), empty((c,), np.float64)
    blocks, threads = launch.per_group(c, n * h * w)
    _stats[blocks, threads](_view(x), gamma, beta, eps, mean, var, scale, shift)
    run_flat(_affine, x.size, flat(x), c, h * w, scale, shift, flat(y))
    return y, mean, var


def batch_norm_forward_eval(x, mean, var, gamma, beta, eps):
    _, c, h, w = x.shape
    gamma, beta = _or_constant(gamma, x, 1), _or_constant(beta, x, 0)
    y = empty(x.shape, x.dtype)
    run_flat(_eval, x.size, flat(x), c, h * w, mean, var, gamma, beta, eps, flat(y))
    return y


def _backward(grad, x, gamma, mean, var, eps, batch_stats):
    n, c, h, w = x.shape
    gamma = _or_constant(gamma, x, 1)
    gx, ggamma, gbeta = empty(x.shape, x.dtype), empty((c,), x.dtype), empty((c,), x.dtype)
    sg, sgx = empty((c,), np.float64), empty((c,), np.float64)
    blocks, threads = launch.per_group(c, n * h * w)
    _grad_sums[blocks, threads](_view(grad), _view(x), mean, var, eps, sg, sgx, ggamma, gbeta)
    run_flat(_grad_input, x.size, flat(grad), flat(x), c, h * w, gamma, mean, var, eps, sg, sgx, n * h * w,
             batch_stats, flat(gx))
    return gx, ggamma, gbeta


def batch_norm_backward_train(grad, x, gamma, mean, var, eps):
    return _backward(grad, x, gamma, mean, var, eps, True)


def batch_norm_backward_eval(grad, x, gamma, mean, var, eps):
    return _backward(grad, x, gamma, mean, var, eps, False)


def batch_norm_backward_global(grad, x, gamma, mean, var, eps, sum_dy, sum_dy_xhat, total):
    """dx with batch statistics whose gradient sums Σdy and Σdy·x̂ (per channel, float64) run over `total`
    values of a larger batch than x's (synchronised batch norm)."""
    _, c, h, w = x.shape
    gx = empty(x.shape, x.dtype)
    run_flat(_grad_input, x.size, flat(grad), flat(x), c, h * w, _or_constant(gamma, x, 1), mean, var, eps, sum_dy,
             sum_dy_xhat, total, True, flat(gx))
    return gx


def batch_norm_update_running(running_mean, running_var, mean, var, count, momentum):
    """In place: run = (1 − momentum)·run + momentum·batch, the variance made unbiased (m/(m − 1))."""
    # factors in the statistics' dtype, rounded as NumPy rounds the CPU backend's in-place updates
    ratio, dtype = var.dtype.type(count / max(count - 1, 1)), running_mean.dtype.type
    run_flat(_update_running, mean.size, running_mean, running_var, mean, var, ratio, dtype(1 - momentum),
             dtype(momentum))
