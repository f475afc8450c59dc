"""Lookahead (Zhang et al. 2019) around any optimiser, with the weight-averaging schedule of the fast CIFAR recipes.

Every `every` steps the slow copy of each tensor moves alpha of the way to the trained (fast) one, and the fast one
restarts from it. With alpha near 1 early and lower late, the slow copy becomes an exponential moving average of
the recent weights that training keeps building on: airbench's "LookaheadState", which averages batch norm's
running statistics along with the weights so that they match the averaged weights.
"""
import numpy as np

from .. import backend as backends


class Lookahead:
    """optimizer: the inner optimiser (schedules are built on it, not on this wrapper). alpha: a number, or a
    function of the step count giving one. start: the step of the first synchronisation, which only records the
    slow copy. tensors: further tensors to average, e.g. the model's floating-point buffers."""

    def __init__(self, optimizer, every=5, alpha=0.5, start=0, tensors=()):
        if every < 1:
            raise ValueError(f"Lookahead: every must be at least 1, got {every}")
        self.optimizer, self.every, self.alpha, self.start = optimizer, every, alpha, start
        params = [p for group in optimizer.param_groups for p in group["params"]]
        self.tensors = params + [t for t in tensors if t.dtype.kind == "f"]
        self.steps = 0
        self.slow = None  # backend arrays, one per tensor, once the first synchronisation has run

    @property
    def param_groups(self):
        return self.optimizer.param_groups

    def zero_grad(self):
        self.optimizer.zero_grad()

    def step(self):
        self.optimizer.step()
        self.steps += 1
        if self.steps < self.start or (self.steps - self.start) % self.every:
            return
        if self.slow is None:  # the first synchronisation only records the slow copy
            self.slow = [backends.get(t.device).copy(t.data) for t in self.tensors]
        else:
            self.synchronize(self.alpha(self.steps) if callable(self.alpha) else self.alpha)

    def synchronize(self, alpha):
        """slow += alpha · (fast − slow); fast = slow. It runs right after an optimiser step, which has already
        marked the parameters as changed for the tape."""
        for t, slow in zip(self.tensors, self.slow):
            backends.get(t.device).lookahead_update(t.data, slow, float(alpha))

    def state_dict(self):
        out = {f"inner.{k}": v for k, v in self.optimizer.state_dict().items()}
        out["lookahead.steps"] = np.asarray(self.steps)
        for i, (t, slow) in enumerate(zip(self.tensors, self.slow or ())):
            out[f"lookahead.slow.{i}"] = np.array(backends.get(t.device).to_numpy(slow))
        return out

    def load_state_dict(self, state):
        self.optimizer.load_state_dict({k[6:]: v for k, v in state.items() if k.startswith("inner.")})
        self.steps = int(state["lookahead.steps"])
        if "lookahead.slow.0" in state:
            self.slow = [backends.get(t.device).asarray(np.array(state[f"lookahead.slow.{i}"], t.dtype))
                         for i, t in enumerate(self.tensors)]
        else:
            self.slow = None
