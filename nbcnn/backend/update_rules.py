"""The optimisers' per-element update rules (as PyTorch documents them), written once in plain Python and
compiled by each backend around its own loop, so the CPU and CUDA updates cannot drift apart."""
import math


def sgd_rule(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, first, decoupled):
    """(new parameter, new momentum buffer); the first step seeds the buffer with the gradient.

    decoupled: weight decay shrinks the parameter by lr · weight_decay directly (Loshchilov & Hutter's SGDW, the
    convention of PyTorch's AdamW) instead of adding weight_decay · p to the gradient, where momentum would
    amplify it by up to 1 / (1 − momentum)."""
    if decoupled:
        d = g
        p = p - lr * weight_decay * p
    else:
        d = g + weight_decay * p
    if momentum != 0:
        buf = d if first else momentum * buf + (1 - dampening) * d
        d = d + momentum * buf if nesterov else buf
    return p - lr * d, buf


def adam_rule(p, g, m, v, step_size, beta1, beta2, eps, sqrt_correction2, weight_decay):
    """(new parameter, first moment, second moment); step_size already holds lr / (1 − β₁ᵗ)."""
    d = g + weight_decay * p
    m = beta1 * m + (1 - beta1) * d
    v = beta2 * v + (1 - beta2) * d * d
    return p - step_size * m / (math.sqrt(v) / sqrt_correction2 + eps), m, v


def rmsprop_rule(p, g, square_avg, buf, lr, alpha, eps, weight_decay, momentum):
    """(new parameter, new running square average, new momentum buffer)."""
    d = g + weight_decay * p
    square_avg = alpha * square_avg + (1 - alpha) * d * d
    step = d / (math.sqrt(square_avg) + eps)
    if momentum > 0:
        buf = momentum * buf + step
        step = buf
    return p - lr * step, square_avg, buf


def lookahead_rule(fast, slow, alpha):
    """(new fast weight, new slow weight): the slow weight moves alpha of the way to the fast one, and the fast
    weight restarts from it (Zhang et al. 2019's Lookahead; alpha = 1 just copies)."""
    slow = slow + alpha * (fast - slow)
    return slow, slow
