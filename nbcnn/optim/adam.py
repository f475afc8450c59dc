"""Adam (Kingma & Ba), with bias correction and L2 weight decay as in PyTorch's Adam."""
from .optimizer import Optimizer


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Adam: betas must lie in [0, 1), got {betas}")
        super().__init__(params, dict(lr=lr, beta1=betas[0], beta2=betas[1], eps=eps, weight_decay=weight_decay))

    def init_state(self, param, backend):
        return {"exp_avg": backend.zeros_like(param), "exp_avg_sq": backend.zeros_like(param), "step": 0}

    def update(self, param, grad, state, group, backend):
        state["step"] += 1
        backend.adam_update(param, grad, state["exp_avg"], state["exp_avg_sq"], group["lr"], group["beta1"],
                            group["beta2"], group["eps"], group["weight_decay"], state["step"])
