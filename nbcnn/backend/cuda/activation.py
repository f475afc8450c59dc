"""Activations over flat views, one grid-stride pass each."""
import math

from numba import cuda

from .arrays import empty, flat, run_flat


@cuda.jit
def _relu(x, y):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        y[i] = 0 if x[i] <= 0 else x[i]  # NaN passes, as on the CPU


@cuda.jit
def _relu_grad(g, y, gx):
    for i in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        gx[i] = 0 if y[i] <= 0 else g[i]


@cuda.jit
def _sigmoid(x, y):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        v = x[i]
        if v >= 0:  # two branches keep exp from overflowing
            y[i] = 1 / (1 + math.exp(-v))
        else:
            e = math.exp(v)
            y[i] = e / (1 + e)


@cuda.jit
def _sigmoid_grad(g, y, gx):
    for i in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        gx[i] = g[i] * y[i] * (1 - y[i])


@cuda.jit
def _tanh(x, y):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        y[i] = math.tanh(x[i])


@cuda.jit
def _tanh_grad(g, y, gx):
    for i in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        gx[i] = g[i] * (1 - y[i] * y[i])


def _unary(kernel, x):
    y = empty(x.shape, x.dtype)
    run_flat(kernel, x.size, flat(x), flat(y))
    return y


def _binary(kernel, g, y):
    gx = empty(g.shape, g.dtype)
    run_flat(kernel, g.size, flat(g), flat(y), flat(gx))
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
    return _unary(_tanh, x)


def tanh_backward(grad, y):
    return _binary(_tanh_grad, grad, y)
