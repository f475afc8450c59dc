"""Activations over flat views, one grid-stride pass each (the math in backend/activation_math.py)."""
import math

from numba import cuda

from .. import activation_math as math_
from .arrays import empty, flat, run_flat

_relu = cuda.jit(device=True)(math_.relu)
_relu_grad = cuda.jit(device=True)(math_.relu_grad)
_sigmoid = cuda.jit(device=True)(math_.sigmoid)
_sigmoid_grad = cuda.jit(device=True)(math_.sigmoid_grad)
_tanh_grad = cuda.jit(device=True)(math_.tanh_grad)
_gelu = cuda.jit(device=True)(math_.gelu)
_gelu_grad = cuda.jit(device=True)(math_.gelu_grad)


@cuda.jit
def _relu_map(x, y):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        y[i] = _relu(x[i])


@cuda.jit
def _relu_grad_map(g, y, gx):
    for i in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        gx[i] = _relu_grad(g[i], y[i])


@cuda.jit
def _sigmoid_map(x, y):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        y[i] = _sigmoid(x[i])


@cuda.jit
def _sigmoid_grad_map(g, y, gx):
    for i in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        gx[i] = _sigmoid_grad(g[i], y[i])


@cuda.jit
def _tanh_map(x, y):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        y[i] = math.tanh(x[i])


@cuda.jit
def _tanh_grad_map(g, y, gx):
    for i in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        gx[i] = _tanh_grad(g[i], y[i])


@cuda.jit
def _gelu_map(x, y):
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        y[i] = _gelu(x[i])


@cuda.jit
def _gelu_grad_map(g, x, gx):
    for i in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        gx[i] = _gelu_grad(g[i], x[i])


def _unary(kernel, x):
    y = empty(x.shape, x.dtype)
    run_flat(kernel, x.size, flat(x), flat(y))
    return y


def _binary(kernel, g, saved):
    gx = empty(g.shape, g.dtype)
    run_flat(kernel, g.size, flat(g), flat(saved), flat(gx))
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
    return _unary(_tanh_map, x)


def tanh_backward(grad, y):
    return _binary(_tanh_grad_map, grad, y)


def gelu_forward(x):
    return _unary(_gelu_map, x)


def gelu_backward(grad, x):
    """grad · gelu'(x), where x is the forward's input."""
    return _binary(_gelu_grad_map, grad, x)
