"""Batch normalisation over (N, C, H, W), one channel per parallel iteration, statistics in float64."""
import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def _bn_train(x, gamma, beta, eps, y, mean, var):
    n, c, h, w = x.shape
    m = n * h * w
    for ch in prange(c):
        s = 0.0
        for i in range(n):
            for p in range(h):
                for q in range(w):
                    s += x[i, ch, p, q]
        mu = s / m
        ss = 0.0  # two passes: a single E[x²] − E[x]² pass cancels badly in float32
        for i in range(n):
            for p in range(h):
                for q in range(w):
                    d = x[i, ch, p, q] - mu
                    ss += d * d
        v = ss / m
        mean[ch], var[ch] = mu, v
        scale = gamma[ch] / np.sqrt(v + eps)
        shift = beta[ch] - mu * scale
        for i in range(n):
            for p in range(h):
                for q in range(w):
                    y[i, ch, p, q] = x[i, ch, p, q] * scale + shift


@njit(parallel=True, cache=True)
def _bn_eval(x, mean, var, gamma, beta, eps, y):
    n, c, h, w = x.shape
    for ch in prange(c):
        scale = gamma[ch] / np.sqrt(var[ch] + eps)
        shift = beta[ch] - mean[ch] * scale
        for i in range(n):
            for p in range(h):
                for q in range(w):
                    y[i, ch, p, q] = x[i, ch, p, q] * scale + shift


@njit(parallel=True, cache=True)
def _bn_grad(gy, x, gamma, mean, var, eps, batch_stats, gx, ggamma, gbeta):
    n, c, h, w = x.shape
    m = n * h * w
    for ch in prange(c):
        invstd = 1.0 / np.sqrt(var[ch] + eps)
        mu = mean[ch]
        sg, sgx = 0.0, 0.0
        for i in range(n):
            for p in range(h):
                for q in range(w):
                    g = gy[i, ch, p, q]
                    sg += g
                    sgx += g * (x[i, ch, p, q] - mu) * invstd
        gbeta[ch], ggamma[ch] = sg, sgx
        k = gamma[ch] * invstd
        if batch_stats:  # mean and variance depend on x: dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂))
            a, b = sg / m, sgx / m
            for i in range(n):
                for p in range(h):
                    for q in range(w):
                        xhat = (x[i, ch, p, q] - mu) * invstd
                        gx[i, ch, p, q] = k * (gy[i, ch, p, q] - a - xhat * b)
        else:
            for i in range(n):
                for p in range(h):
                    for q in range(w):
                        gx[i, ch, p, q] = k * gy[i, ch, p, q]


def batch_norm_forward_train(x, gamma, beta, eps):
    c = x.shape[1]
    gamma = np.ones(c, x.dtype) if gamma is None else gamma
    beta = np.zeros(c, x.dtype) if beta is None else beta
    y = np.empty_like(x)
    mean, var = np.empty(c, x.dtype), np.empty(c, x.dtype)
    _bn_train(x, gamma, beta, eps, y, mean, var)
    return y, mean, var


def batch_norm_forward_eval(x, mean, var, gamma, beta, eps):
    c = x.shape[1]
    gamma = np.ones(c, x.dtype) if gamma is None else gamma
    beta = np.zeros(c, x.dtype) if beta is None else beta
    y = np.empty_like(x)
    _bn_eval(x, mean.astype(x.dtype), var.astype(x.dtype), gamma, beta, eps, y)
    return y


def _backward(grad, x, gamma, mean, var, eps, batch_stats):
    c = x.shape[1]
    gamma = np.ones(c, x.dtype) if gamma is None else gamma
    gx = np.empty_like(x)
    ggamma, gbeta = np.empty(c, x.dtype), np.empty(c, x.dtype)
    _bn_grad(np.ascontiguousarray(grad), x, gamma, mean.astype(x.dtype), var.astype(x.dtype), eps, batch_stats,
             gx, ggamma, gbeta)
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
