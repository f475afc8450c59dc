"""Fully connected layer as BLAS products; weight (out, in)."""
from . import blas


def linear_forward(x, weight, bias):
    y = blas.matmul(x, weight.T)
    if bias is not None:
        y += bias
    return y


def linear_backward_input(grad, weight):
    return blas.matmul(grad, weight)


def linear_backward_weight(grad, x):
    return blas.matmul(grad.T, x)
