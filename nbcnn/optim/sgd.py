"""Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay (PyTorch's rule)."""
from .optimizer import Optimizer


class SGD(Optimizer):
    def __init__(self, params, lr=0.01, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov momentum needs momentum > 0 and dampening 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov))

    def init_state(self, param, backend):
        return {"momentum_buffer": backend.zeros_like(param), "step": 0}

    def update(self, param, grad, state, group, backend):
        backend.sgd_update(param, grad, state["momentum_buffer"], group["lr"], group["momentum"],
                           group["dampening"], group["weight_decay"], group["nesterov"], state["step"] == 0)
        state["step"] += 1
