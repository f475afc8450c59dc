"""Optimiser updates, in place over flat views of a parameter and its state (update rules as PyTorch's docs)."""
import math

from numba import njit, prange

from ..update_rules import adam_rule, lookahead_rule, rmsprop_rule, sgd_rule

_sgd_rule = njit(inline="always")(sgd_rule)
_adam_rule = njit(inline="always")(adam_rule)
_rmsprop_rule = njit(inline="always")(rmsprop_rule)
_lookahead_rule = njit(inline="always")(lookahead_rule)


@njit(parallel=True, cache=True, fastmath=True)
def _sgd(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, first, decoupled):
    for i in prange(p.size):
        p[i], buf[i] = _sgd_rule(p[i], g[i], buf[i], lr, momentum, dampening, weight_decay, nesterov, first,
                                   decoupled)


@njit(parallel=True, cache=True, fastmath=True)
def _adam(p, g, m, v, step_size, beta1, beta2, eps, sqrt_correction2, weight_decay):
    for i in prange(p.size):
        p[i], m[i], v[i] = _adam_rule(p[i], g[i], m[i], v[i], step_size, beta1, beta2, eps, sqrt_correction2,
                                      weight_decay)


@njit(parallel=True, cache=True, fastmath=True)
def _rmsprop(p, g, sq, buf, lr, alpha, eps, weight_decay, momentum):
    for i in prange(p.size):
        p[i], sq[i], buf[i] = _rmsprop_rule(p[i], g[i], sq[i], buf[i], lr, alpha, eps, weight_decay, momentum)


@njit(parallel=True, cache=True, fastmath=True)
def _lookahead(fast, slow, alpha):
    for i in prange(fast.size):
        fast[i], slow[i] = _lookahead_rule(fast[i], slow[i], alpha)


def sgd_update(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first_step, decoupled=False):
    """buf: the momentum buffer (any array of param's size when momentum is 0); decoupled: SGDW's weight decay."""
    _sgd(param.reshape(-1), grad.reshape(-1), buf.reshape(-1), lr, momentum, dampening, weight_decay,
         nesterov, first_step, decoupled)


def adam_update(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step):
    """step counts from 1; the bias corrections are 1 − β₁ᵗ and 1 − β₂ᵗ."""
    step_size = lr / (1 - beta1 ** step)
    _adam(param.reshape(-1), grad.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1), step_size,
          beta1, beta2, eps, math.sqrt(1 - beta2 ** step), weight_decay)


def rmsprop_update(param, grad, square_avg, buf, lr, alpha, eps, weight_decay, momentum):
    _rmsprop(param.reshape(-1), grad.reshape(-1), square_avg.reshape(-1), buf.reshape(-1), lr, alpha, eps,
             weight_decay, momentum)


def lookahead_update(fast, slow, alpha):
    """slow += alpha · (fast − slow), then fast = slow, in place."""
    _lookahead(fast.reshape(-1), slow.reshape(-1), alpha)
