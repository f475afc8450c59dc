"""Optimisers and schedules by the names the command line uses: the one list of each."""
from .. import optim
from ..optim import lr_scheduler

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")  # momentum: SGD with momentum, 0.9 unless set
SCHEDULES = ("constant", "step", "multistep", "cosine", "linear", "onecycle")
WARMUPS = ("linear", "constant")
UNITS = ("epochs", "iterations")  # of milestones and warm-up


def make_optimizer(cfg, parameters):
    if cfg.optimizer in ("sgd", "momentum"):
        return optim.SGD(parameters, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay,
                         nesterov=cfg.nesterov)
    if cfg.optimizer == "rmsprop":
        return optim.RMSprop(parameters, lr=cfg.lr, weight_decay=cfg.weight_decay, momentum=cfg.momentum)
    if cfg.optimizer == "adam":
        return optim.Adam(parameters, lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")


def make_schedule(cfg, optimizer, steps_per_epoch):
    """The schedule of a resolved config, stepped after every optimiser step; None for a constant rate."""
    total = cfg.iterations or cfg.epochs * steps_per_epoch
    unit = steps_per_epoch if cfg.schedule_unit == "epochs" else 1
    main = _main_schedule(cfg, optimizer, total, unit)
    if not cfg.warmup:
        return main
    if cfg.warmup_mode == "linear":  # from warmup_factor · lr up to lr
        warm = lr_scheduler.LinearLR(optimizer, cfg.warmup_factor, 1.0, total_iters=cfg.warmup * unit)
    else:  # warmup_factor · lr, then lr (the ResNet paper's ResNet-110)
        warm = lr_scheduler.ConstantLR(optimizer, cfg.warmup_factor, total_iters=cfg.warmup * unit)
    return lr_scheduler.ChainedScheduler([warm] + ([main] if main else []))


def _main_schedule(cfg, optimizer, total, unit):
    if cfg.schedule == "constant":
        return None
    if cfg.schedule == "step":  # divide by 10 (gamma) twice, at a third and two thirds of the run
        return lr_scheduler.MultiStepLR(optimizer, [max(1, total // 3), max(1, 2 * total // 3)], cfg.gamma)
    if cfg.schedule == "multistep":
        return lr_scheduler.MultiStepLR(optimizer, [m * unit for m in cfg.milestones], cfg.gamma)
    if cfg.schedule == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)
    if cfg.schedule == "linear":  # from lr down to 0 at the last step
        return lr_scheduler.LinearLR(optimizer, 1.0, 0.0, total_iters=total)
    if cfg.schedule == "onecycle":  # up over the first 30 %, then down, both linear; momentum stays as set
        return lr_scheduler.OneCycleLR(optimizer, cfg.lr, total_steps=total, anneal_strategy="linear",
                                       cycle_momentum=False)
    raise ValueError(f"unknown schedule {cfg.schedule!r}; choose one of {', '.join(SCHEDULES)}")
