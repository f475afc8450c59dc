"""Batch normalisation over (N, C, H, W), one channel per parallel iteration, statistics in float64.

The kernels see (N, C, H·W): each image's plane of a channel is summed in the array's dtype, where the loop
vectorises with several accumulators (fastmath), and the planes' sums are added in float64. Summing element by
element into one float64 made every pass a chain of dependent additions: CIFAR ResNet-18's 64-channel 32² batch
norm at b128 took 9.2 ms forward, 8.5 backward.
"""
import numpy as np
from numba import njit, prange


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
    """out = k·(g − offset − (a − mu)·slope): batch norm's input gradient with batch statistics."""
    for q in range(g.shape[0]):
        out[q] = k * (g[q] - offset - (a[q] - mu) * slope)


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
        scale = gamma[ch] / np.sqrt(v + eps)
        shift = beta[ch] - mu * scale
        for i in range(n):
            _affine(x[i, ch], t(scale), t(shift), y[i, ch])


@njit(parallel=True, cache=True)
def _bn_eval(x, mean, var, gamma, beta, eps, y):
    n, c = x.shape[0], x.shape[1]
    t = x.dtype.type
    for ch in prange(c):
        scale = gamma[ch] / np.sqrt(var[ch] + eps)
        shift = beta[ch] - mean[ch] * scale
        for i in range(n):
            _affine(x[i, ch], t(scale), t(shift), y[i, ch])


@njit(parallel=True, cache=True)
def _bn_grad(gy, x, gamma, mean, var, eps, batch_stats, gx, ggamma, gbeta):
    n, c, hw = x.shape
    m = n * hw
    t = x.dtype.type
    for ch in prange(c):
        invstd = 1.0 / np.sqrt(var[ch] + eps)
        mu = mean[ch]
        sg, sgx = 0.0, 0.0
        for i in range(n):
            a, b = _grad_sums(gy[i, ch], x[i, ch], t(mu))
            sg += a
            sgx += b
        sgx *= invstd
        gbeta[ch], ggamma[ch] = sg, sgx
        k = gamma[ch] * invstd
        if batch_stats:  # mean and variance depend on x: dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂))
            offset, slope = sg / m, sgx / m * invstd
            for i in range(n):
                _input_grad(gy[i, ch], x[i, ch], t(k), t(offset), t(mu), t(slope), gx[i, ch])
        else:
            for i in range(n):
                _affine(gy[i, ch], t(k), t(0), gx[i, ch])


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


def batch_norm_update_running(running_mean, running_var, mean, var, count, momentum):
    """In place: run = (1 − momentum)·run + momentum·batch, the variance made unbiased (m/(m − 1))."""
    unbiased = var * (count / max(count - 1, 1))
    running_mean *= 1 - momentum
    running_mean += momentum * mean
    running_var *= 1 - momentum
    running_var += momentum * unbiased
