"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay, either PyTorch's L2 form or
decoupled (Loshchilov & Hutter's SGDW)."""
from .optimizer import Optimizer

WEIGHT_DECAY_MODES = ("l2", "decoupled")


class SGD(Optimizer):
    """weight_decay_mode: "l2" adds weight_decay · p to the gradient, as PyTorch's SGD; "decoupled" multiplies p by
    1 − lr · weight_decay before the step, outside the momentum buffer, as PyTorch's AdamW does. Every option may
    differ between parameter groups."""

    def __init__(self, params, lr=0.01, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 weight_decay_mode="l2"):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov momentum needs momentum > 0 and dampening 0")
        if weight_decay_mode not in WEIGHT_DECAY_MODES:
            raise ValueError(f"SGD: weight_decay_mode must be one of {', '.join(WEIGHT_DECAY_MODES)}, "
                             f"got {weight_decay_mode!r}")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, weight_decay_mode=weight_decay_mode))

    def init_state(self, param, backend):
        return {"momentum_buffer": backend.zeros_like(param), "step": 0}

    def update(self, param, grad, state, group, backend):
        backend.sgd_update(param, grad, state["momentum_buffer"], group["lr"], group["momentum"],
                           group["dampening"], group["weight_decay"], group["nesterov"], state["step"] == 0,
                           group["weight_decay_mode"] == "decoupled")
        state["step"] += 1
