"""Optimiser updates, in place over flat views of a parameter and its state (update rules as PyTorch's docs)."""
import math

from numba import cuda

from ..update_rules import adam_rule, lookahead_rule, rmsprop_rule, sgd_rule
from .arrays import flat, run_flat


_sgd_rule = cuda.jit(device=True)(sgd_rule)
_adam_rule = cuda.jit(device=True)(adam_rule)
_rmsprop_rule = cuda.jit(device=True)(rmsprop_rule)
_lookahead_rule = cuda.jit(device=True)(lookahead_rule)


@cuda.jit
def _sgd(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, first, decoupled):
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        p[i], buf[i] = _sgd_rule(p[i], g[i], buf[i], lr, momentum, dampening, weight_decay, nesterov, first,
                                   decoupled)


@cuda.jit
def _adam(p, g, m, v, step_size, beta1, beta2, eps, sqrt_correction2, weight_decay):
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        p[i], m[i], v[i] = _adam_rule(p[i], g[i], m[i], v[i], step_size, beta1, beta2, eps, sqrt_correction2,
                                      weight_decay)


@cuda.jit
def _rmsprop(p, g, sq, buf, lr, alpha, eps, weight_decay, momentum):
    for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
        p[i], sq[i], buf[i] = _rmsprop_rule(p[i], g[i], sq[i], buf[i], lr, alpha, eps, weight_decay, momentum)


@cuda.jit
def _lookahead(fast, slow, alpha):
    for i in range(cuda.grid(1), fast.size, cuda.gridsize(1)):
        fast[i], slow[i] = _lookahead_rule(fast[i], slow[i], alpha)


def sgd_update(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first_step, decoupled=False):
    """buf: the momentum buffer (any array of param's size when momentum is 0); decoupled: SGDW's weight decay."""
    run_flat(_sgd, param.size, flat(param), flat(grad), flat(buf), lr, momentum, dampening, weight_decay,
             nesterov, first_step, decoupled)


def adam_update(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step):
    """step counts from 1; the bias corrections are 1 − β₁ᵗ and 1 − β₂ᵗ."""
    step_size = lr / (1 - beta1 ** step)
    run_flat(_adam, param.size, flat(param), flat(grad), flat(exp_avg), flat(exp_avg_sq), step_size, beta1, beta2,
             eps, math.sqrt(1 - beta2 ** step), weight_decay)


def rmsprop_update(param, grad, square_avg, buf, lr, alpha, eps, weight_decay, momentum):
    run_flat(_rmsprop, param.size, flat(param), flat(grad), flat(square_avg), flat(buf), lr, alpha, eps,
             weight_decay, momentum)


def lookahead_update(fast, slow, alpha):
    """slow += alpha · (fast − slow), then fast = slow, in place."""
    run_flat(_lookahead, fast.size, flat(fast), flat(slow), alpha)
