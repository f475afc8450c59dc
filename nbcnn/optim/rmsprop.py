"""RMSprop (Hinton's lecture 6e), with optional momentum, as PyTorch's RMSprop (not centred)."""
from .optimizer import Optimizer


class RMSprop(Optimizer):
    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum))

    def init_state(self, param, backend):
        return {"square_avg": backend.zeros_like(param), "momentum_buffer": backend.zeros_like(param), "step": 0}

    def update(self, param, grad, state, group, backend):
        state["step"] += 1
        backend.rmsprop_update(param, grad, state["square_avg"], state["momentum_buffer"], group["lr"],
                               group["alpha"], group["eps"], group["weight_decay"], group["momentum"])
