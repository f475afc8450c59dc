"""Activations over flat views: one parallel pass, no temporaries (the math in backend/activation_math.py)."""
import numpy as np
from numba import njit, prange

from .. import activation_math as math_

_relu = njit(inline="always")(math_.relu)
_relu_grad = njit(inline="always")(math_.relu_grad)
_sigmoid = njit(inline="always")(math_.sigmoid)
_sigmoid_grad = njit(inline="always")(math_.sigmoid_grad)
_tanh_grad = njit(inline="always")(math_.tanh_grad)
_gelu = njit(inline="always")(math_.gelu)
_gelu_grad = njit(inline="always")(math_.gelu_grad)


@njit(parallel=True, cache=True)  # no fastmath: a NaN must pass (activation_math.py)
def _relu_map(x, y):
    for i in prange(x.size):
        y[i] = _relu(x[i])


@njit(parallel=True, cache=True)
def _relu_grad_map(g, y, gx):
    for i in prange(g.size):
        gx[i] = _relu_grad(g[i], y[i])


@njit(parallel=True, cache=True)
def _sigmoid_map(x, y):
    for i in prange(x.size):
        y[i] = _sigmoid(x[i])


@njit(parallel=True, cache=True, fastmath=True)
def _sigmoid_grad_map(g, y, gx):
    for i in prange(g.size):
        gx[i] = _sigmoid_grad(g[i], y[i])


@njit(parallel=True, cache=True, fastmath=True)
def _tanh_grad_map(g, y, gx):
    for i in prange(g.size):
        gx[i] = _tanh_grad(g[i], y[i])


@njit(parallel=True, cache=True)
def _gelu_map(x, y):
    for i in prange(x.size):
        y[i] = _gelu(x[i])


@njit(parallel=True, cache=True)
def _gelu_grad_map(g, x, gx):
    for i in prange(g.size):
        gx[i] = _gelu_grad(g[i], x[i])


def _unary(kernel, x):
    x = np.ascontiguousarray(x)
    y = np.empty_like(x)
    kernel(x.reshape(-1), y.reshape(-1))
    return y


def _binary(kernel, g, saved):
    g, saved = np.ascontiguousarray(g), np.ascontiguousarray(saved)
    gx = np.empty_like(g)
    kernel(g.reshape(-1), saved.reshape(-1), gx.reshape(-1))
    return gx


def relu_forward(x):
    return _unary(_relu_map, x)


def relu_backward(grad, y):
    return _binary(_relu_grad_map, grad, y)


def sigmoid_forward(x):
    return _unary(_sigmoid_map, x)


def sigmoid_backward(grad, y):
    return _binary(_sigmoid_grad_map, grad, y)


def tanh_forward(x):
    return np.tanh(x)


def tanh_backward(grad, y):
    return _binary(_tanh_grad_map, grad, y)


def gelu_forward(x):
    return _unary(_gelu_map, x)


def gelu_backward(grad, x):
    """grad · gelu'(x), where x is the forward's input."""
    return _binary(_gelu_grad_map, grad, x)
