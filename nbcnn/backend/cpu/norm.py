"""Batch normalisation over (N, C, H, W), one channel per parallel iteration, statistics in float64.

The kernels see (N, C, H·W): each image's plane of a channel is summed in the array's dtype, where the loop
vectorises with several accumulators (fastmath), and the planes' sums are added in float64. Summing element by
element into one float64 made every pass a chain of dependent additions (the figures are in bench/README.md,
"Measurements behind the kernels").
"""
import numpy as np
from numba import njit, prange

from .. import norm_math

_scale_shift = njit(inline="always")(norm_math.bn_scale_shift)
_input_grad_rule = njit(inline="always")(norm_math.bn_input_grad)
_running_update = njit(inline="always")(norm_math.running_update)


@njit(cache=True, fastmath=True)
def _sum(a):
    s = a.dtype.type(0)
    for q in range(a.shape[0]):
        s += a[q]
    return s


@njit(cache=True, fastmath=True)
def _squared_deviations(a, mu):
    s = a.dtype.type(0)
    for q in range(a.shape[0]):
        d = a[q] - mu
        s += d * d
    return s


@njit(cache=True, fastmath=True)
def _grad_sums(g, a, mu):
    """(Σ g, Σ g·(a − mu)) over one plane."""
    sg = sgx = g.dtype.type(0)
    for q in range(g.shape[0]):
        sg += g[q]
        sgx += g[q] * (a[q] - mu)
    return sg, sgx


@njit(cache=True, fastmath=True)
def _affine(a, scale, shift, out):
    for q in range(a.shape[0]):
        out[q] = a[q] * scale + shift


@njit(cache=True, fastmath=True)
def _input_grad(g, a, k, offset, mu, slope, out):
    for q in range(g.shape[0]):
        out[q] = _input_grad_rule(g[q], a[q], k, mu, offset, slope)


@njit(parallel=True, cache=True)
def _bn_train(x, gamma, beta, eps, y, mean, var):
    # x, y (N, C, H·W)
    n, c, hw = x.shape
    m = n * hw
    t = x.dtype.type
    for ch in prange(c):
        s = 0.0
        for i in range(n):
            s += _sum(x[i, ch])
        mu = s / m
        ss = 0.0  # two passes: a single E[x²] − E[x]² pass cancels badly in float32
        for i in range(n):
            ss += _squared_deviations(x[i, ch], t(mu))
        v = ss / m
        mean[ch], var[ch] = mu, v
        scale, shift = _scale_shift(gamma[ch], beta[ch], mu, v, eps)
        for i in range(n):
            _affine(x[i, ch], t(scale), t(shift), y[i, ch])


@njit(parallel=True, cache=True)
def _bn_eval(x, mean, var, gamma, beta, eps, y):
    n, c = x.shape[0], x.shape[1]
    t = x.dtype.type
    for ch in prange(c):
        scale, shift = _scale_shift(gamma[ch], beta[ch], mean[ch], var[ch], eps)
        for i in range(n):
            _affine(x[i, ch], t(scale), t(shift), y[i, ch])


@njit(parallel=True, cache=True)
def _bn_grad(gy, x, gamma, mean, var, eps, batch_stats, gx, ggamma, gbeta):
    n, c, hw = x.shape
    t = x.dtype.type
    for ch in prange(c):
        invstd = 1.0 / np.sqrt(var[ch] + eps)
        sg, sgx = 0.0, 0.0
        for i in range(n):
            a, b = _grad_sums(gy[i, ch], x[i, ch], t(mean[ch]))
            sg += a
            sgx += b
        sgx *= invstd
        gbeta[ch], ggamma[ch] = sg, sgx
        if batch_stats:
            _apply_input_grad(gy, x, ch, gamma[ch], mean[ch], invstd, sg, sgx, n * hw, gx)
        else:
            for i in range(n):
                _affine(gy[i, ch], t(gamma[ch] * invstd), t(0), gx[i, ch])


@njit(parallel=True, cache=True)
def _bn_grad_given_sums(gy, x, gamma, mean, var, eps, sum_dy, sum_dy_xhat, total, gx):
    for ch in prange(x.shape[1]):
        invstd = 1.0 / np.sqrt(var[ch] + eps)
        _apply_input_grad(gy, x, ch, gamma[ch], mean[ch], invstd, sum_dy[ch], sum_dy_xhat[ch], total, gx)


@njit(cache=True, inline="always")
def _apply_input_grad(gy, x, ch, gamma, mu, invstd, sum_dy, sum_dy_xhat, count, gx):
    """Channel ch of dx with batch statistics whose sums Σdy and Σdy·x̂ run over `count` values."""
    t = x.dtype.type
    k, offset, slope = gamma * invstd, sum_dy / count, sum_dy_xhat / count * invstd
    for i in range(x.shape[0]):
        _input_grad(gy[i, ch], x[i, ch], t(k), t(offset), t(mu), t(slope), gx[i, ch])


@njit(cache=True)
def _update_running(running_mean, running_var, mean, var, ratio, keep, momentum):
    for ch in prange(mean.size):
        running_mean[ch] = _running_update(running_mean[ch], mean[ch], keep, momentum)
        running_var[ch] = _running_update(running_var[ch], var[ch] * ratio, keep, momentum)


def _planes(a):
    """(N, C, …) as a contiguous (N, C, H·W) view."""
    return np.ascontiguousarray(a).reshape(a.shape[0], a.shape[1], -1)


def batch_norm_forward_train(x, gamma, beta, eps):
    c = x.shape[1]
    gamma = np.ones(c, x.dtype) if gamma is None else gamma
    beta = np.zeros(c, x.dtype) if beta is None else beta
    y = np.empty(x.shape, x.dtype)  # C order: _planes(y) is a view the kernel writes through
    mean, var = np.empty(c, x.dtype), np.empty(c, x.dtype)
    _bn_train(_planes(x), gamma, beta, eps, _planes(y), mean, var)
    return y, mean, var


def batch_norm_forward_eval(x, mean, var, gamma, beta, eps):
    c = x.shape[1]
    gamma = np.ones(c, x.dtype) if gamma is None else gamma
    beta = np.zeros(c, x.dtype) if beta is None else beta
    y = np.empty(x.shape, x.dtype)  # C order: _planes(y) is a view the kernel writes through
    _bn_eval(_planes(x), mean.astype(x.dtype), var.astype(x.dtype), gamma, beta, eps, _planes(y))
    return y


def _backward(grad, x, gamma, mean, var, eps, batch_stats):
    c = x.shape[1]
    gamma = np.ones(c, x.dtype) if gamma is None else gamma
    gx = np.empty(x.shape, x.dtype)
    ggamma, gbeta = np.empty(c, x.dtype), np.empty(c, x.dtype)
    _bn_grad(_planes(grad), _planes(x), gamma, mean.astype(x.dtype), var.astype(x.dtype), eps, batch_stats,
             _planes(gx), ggamma, gbeta)
    return gx, ggamma, gbeta


def batch_norm_backward_train(grad, x, gamma, mean, var, eps):
    return _backward(grad, x, gamma, mean, var, eps, True)


def batch_norm_backward_eval(grad, x, gamma, mean, var, eps):
    return _backward(grad, x, gamma, mean, var, eps, False)


def batch_norm_backward_global(grad, x, gamma, mean, var, eps, sum_dy, sum_dy_xhat, total):
    """dx with batch statistics whose gradient sums Σdy and Σdy·x̂ (per channel, float64) run over `total`
    values of a larger batch than x's (synchronised batch norm)."""
    c = x.shape[1]
    gamma = np.ones(c, x.dtype) if gamma is None else gamma
    gx = np.empty(x.shape, x.dtype)
    _bn_grad_given_sums(_planes(grad), _planes(x), gamma, mean.astype(x.dtype), var.astype(x.dtype), eps,
                        sum_dy, sum_dy_xhat, total, _planes(gx))
    return gx


def batch_norm_update_running(running_mean, running_var, mean, var, count, momentum):
    """In place: run = (1 − momentum)·run + momentum·batch, the variance made unbiased (m/(m − 1))."""
    dtype = running_mean.dtype.type
    _update_running(running_mean, running_var, mean, var, var.dtype.type(count / max(count - 1, 1)),
                    dtype(1 - momentum), dtype(momentum))
