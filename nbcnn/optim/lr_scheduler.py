"""Learning-rate schedules with PyTorch's names, arguments and values.

Each schedule is a closed form `lr_at(base, t)` of its step count t, so its whole state is `last_epoch` (steps
taken; "epoch" is PyTorch's name, the trainer steps once per optimiser step) and the base rates: a resumed
schedule gives exactly the values an uninterrupted one would. As in PyTorch, building one sets the rate of step
0, and the base is each group's `initial_lr`, recorded by the first schedule built on the optimiser, so
schedules built one after another for SequentialLR or ChainedScheduler all start from the optimiser's own rate.
"""
import bisect
import math


class LRScheduler:
    def __init__(self, optimizer):
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def lr_at(self, base_lr, t):
        raise NotImplementedError

    def step(self):
        self.last_epoch += 1
        self._apply()

    def _apply(self):
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(base, self.last_epoch)

    def get_last_lr(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs)}

    def load_state_dict(self, state):
        self.last_epoch = int(state["last_epoch"])
        self.base_lrs = [float(v) for v in state["base_lrs"]]
        self._apply()


class StepLR(LRScheduler):
    """lr = base · γ^⌊t / step_size⌋."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be at least 1, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, base_lr, t):
        return base_lr * self.gamma ** (t // self.step_size)


class MultiStepLR(LRScheduler):
    """lr = base · γ^(milestones reached by t); a milestone listed twice counts twice, as in PyTorch."""

    def __init__(self, optimizer, milestones, gamma=0.1):
        self.milestones, self.gamma = sorted(int(m) for m in milestones), gamma
        super().__init__(optimizer)

    def lr_at(self, base_lr, t):
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, t)


class ConstantLR(LRScheduler):
    """lr = base · factor for t < total_iters, then base (the ResNet paper's warm-up at a tenth of the rate)."""

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5):
        if not 0 <= factor <= 1:
            raise ValueError(f"ConstantLR: factor must lie in [0, 1], got {factor}")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer)

    def lr_at(self, base_lr, t):
        return base_lr * self.factor if t < self.total_iters else base_lr


class LinearLR(LRScheduler):
    """lr = base · (start_factor + (end_factor − start_factor) · min(t, total_iters) / total_iters)."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must lie in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must lie in [0, 1], got {end_factor}")
        if total_iters < 1:
            raise ValueError(f"LinearLR: total_iters must be at least 1, got {total_iters}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer)

    def lr_at(self, base_lr, t):
        progress = min(t, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class CosineAnnealingLR(LRScheduler):
    """lr = η_min + (base − η_min)·(1 + cos(π·t / T_max))/2; past T_max it rises again, as PyTorch's does."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be at least 1, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, base_lr, t):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2


class SequentialLR(LRScheduler):
    """schedulers[i] from milestones[i − 1] on, counting its steps from that milestone."""

    def __init__(self, optimizer, schedulers, milestones):
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expected {len(schedulers) - 1} milestones for {len(schedulers)} "
                             f"schedulers, got {len(milestones)}")
        self.schedulers, self.milestones = list(schedulers), list(milestones)
        super().__init__(optimizer)

    def lr_at(self, base_lr, t):
        i = bisect.bisect_right(self.milestones, t)
        return self.schedulers[i].lr_at(base_lr, t - (self.milestones[i - 1] if i else 0))


class ChainedScheduler(LRScheduler):
    """Every schedule at once, each applied to what the one before it gives: for the multiplicative schedules
    here, base × the product of their factors, as PyTorch's ChainedScheduler gives. A warm-up chained to a
    schedule keeps the schedule's milestones where they were (the ResNet paper's 32k and 48k iterations)."""

    def __init__(self, schedulers, optimizer=None):
        self.schedulers = list(schedulers)
        super().__init__(optimizer or self.schedulers[0].optimizer)

    def lr_at(self, base_lr, t):
        for schedule in self.schedulers:
            base_lr = schedule.lr_at(base_lr, t)
        return base_lr



class OneCycleLR(LRScheduler):
    """Smith's one-cycle policy: from max_lr / div_factor up to max_lr over the first pct_start of total_steps,
    then down to max_lr / (div_factor · final_div_factor) (three_phase: back down to the start first, then on to
    the minimum), annealing by cosine or linearly; momentum (or Adam's β₁) cycles the other way between
    max_momentum and base_momentum when cycle_momentum is on. Each group's base is its max_lr."""

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False):
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
            total_steps = epochs * steps_per_epoch
        if total_steps < 1:
            raise ValueError(f"OneCycleLR: total_steps must be at least 1, got {total_steps}")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must lie in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.total_steps, self.anneal_strategy = total_steps, anneal_strategy
        self.div_factor, self.final_div_factor = div_factor, final_div_factor
        up = float(pct_start * total_steps) - 1
        self._ends = [up, 2 * up, total_steps - 1] if three_phase else [up, total_steps - 1]
        start, peak, end = 1 / div_factor, 1.0, 1 / (div_factor * final_div_factor)
        self._lr_points = [start, peak, start, end] if three_phase else [start, peak, end]
        self._momentum_key = None
        if cycle_momentum:
            self._momentum_key = next((k for k in ("momentum", "beta1") if k in optimizer.defaults), None)
            if self._momentum_key is None:
                raise ValueError("OneCycleLR: cycle_momentum needs an optimiser with momentum or betas")
            self._momenta = ([max_momentum, base_momentum, max_momentum, max_momentum] if three_phase
                             else [max_momentum, base_momentum, max_momentum])
        lrs = max_lr if isinstance(max_lr, (list, tuple)) else [max_lr] * len(optimizer.param_groups)
        for group, lr in zip(optimizer.param_groups, lrs):
            group["initial_lr"] = lr
        super().__init__(optimizer)

    def lr_at(self, base_lr, t):
        return self._anneal_at(t, [base_lr * f for f in self._lr_points])

    def _apply(self):
        super()._apply()
        if self._momentum_key:
            for group in self.optimizer.param_groups:
                group[self._momentum_key] = self._anneal_at(self.last_epoch, self._momenta)

    def _anneal_at(self, t, points):
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {t} times, past total_steps = {self.total_steps}")
        start = 0
        for i, end in enumerate(self._ends):
            if t <= end or i == len(self._ends) - 1:
                pct = (t - start) / (end - start) if end != start else 1.0  # PyTorch divides by zero here
                return self._anneal(points[i], points[i + 1], pct)
            start = end

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "linear":
            return (end - start) * pct + start
        return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)
