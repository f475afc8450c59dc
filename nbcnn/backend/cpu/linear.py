"""Fully connected layer as BLAS products; weight (out, in)."""


def linear_forward(x, weight, bias):
    y = x @ weight.T
    if bias is not None:
        y += bias
    return y


def linear_backward_input(grad, weight):
    return grad @ weight


def linear_backward_weight(grad, x):
    return grad.T @ x
