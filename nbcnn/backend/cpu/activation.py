"""Activations over flat views: one parallel pass, no temporaries."""
import numpy as np
from numba import njit, prange


# No fastmath on ReLU: it lets LLVM assume there is no NaN. NaN <= 0 is false, so a NaN passes forward, and its
# gradient passes backward, as in PyTorch (whose ReLU backward tests `output <= 0`).
@njit(parallel=True, cache=True)
def _relu(x, y):
    for i in prange(x.size):
        y[i] = 0 if x[i] <= 0 else x[i]


@njit(parallel=True, cache=True)
def _relu_grad(g, y, gx):
    for i in prange(g.size):
        gx[i] = 0 if y[i] <= 0 else g[i]


@njit(parallel=True, cache=True)
def _sigmoid(x, y):
    for i in prange(x.size):
        v = x[i]
        if v >= 0:  # two branches keep exp from overflowing
            y[i] = 1 / (1 + np.exp(-v))
        else:
            e = np.exp(v)
            y[i] = e / (1 + e)


@njit(parallel=True, cache=True, fastmath=True)
def _sigmoid_grad(g, y, gx):
    for i in prange(g.size):
        gx[i] = g[i] * y[i] * (1 - y[i])


@njit(parallel=True, cache=True, fastmath=True)
def _tanh_grad(g, y, gx):
    for i in prange(g.size):
        gx[i] = g[i] * (1 - y[i] * y[i])


def _unary(kernel, x):
    x = np.ascontiguousarray(x)
    y = np.empty_like(x)
    kernel(x.reshape(-1), y.reshape(-1))
    return y


def _binary(kernel, g, y):
    g = np.ascontiguousarray(g)
    gx = np.empty_like(g)
    kernel(g.reshape(-1), y.reshape(-1), gx.reshape(-1))
    return gx


def relu_forward(x):
    return _unary(_relu, x)


def relu_backward(grad, y):
    return _binary(_relu_grad, grad, y)


def sigmoid_forward(x):
    return _unary(_sigmoid, x)


def sigmoid_backward(grad, y):
    return _binary(_sigmoid_grad, grad, y)


def tanh_forward(x):
    return np.tanh(x)


def tanh_backward(grad, y):
    return _binary(_tanh_grad, grad, y)
