"""Optimisers, schedules, Lookahead and augmentation by the names the command line uses: the one list of each."""
from functools import partial

from .. import optim
from ..data import random_crop_flip, random_translate
from ..optim import lr_scheduler
from ..optim.sgd import WEIGHT_DECAY_MODES
from ..errors import ConfigError

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")  # momentum: SGD with momentum, 0.9 unless set
SCHEDULES = ("constant", "step", "multistep", "cosine", "linear", "onecycle")
WARMUPS = ("linear", "constant")
UNITS = ("epochs", "iterations")  # of milestones and warm-up
FLIPS = ("random", "alternating", "none")
TRANSLATE_MODES = ("zero", "reflect")


def make_optimizer(cfg, model):
    """The optimiser over model's trainable parameters, in the groups cfg.param_groups asks for."""
    parameters = optim.param_groups(model, cfg.param_groups, cfg.lr, cfg.weight_decay)
    if cfg.optimizer in ("sgd", "momentum"):
        return optim.SGD(parameters, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay,
                         nesterov=cfg.nesterov, weight_decay_mode=cfg.weight_decay_mode)
    if cfg.optimizer == "rmsprop":
        return optim.RMSprop(parameters, lr=cfg.lr, weight_decay=cfg.weight_decay, momentum=cfg.momentum)
    if cfg.optimizer == "adam":
        return optim.Adam(parameters, lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise ConfigError(f"unknown optimizer {cfg.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")


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
    if cfg.schedule == "onecycle":  # linearly up to each group's lr, then down; momentum stays as set
        start, end = cfg.onecycle_start, cfg.onecycle_end
        return lr_scheduler.OneCycleLR(optimizer, [g["lr"] for g in optimizer.param_groups], total_steps=total,
                                       pct_start=cfg.onecycle_peak, anneal_strategy="linear",
                                       cycle_momentum=False, div_factor=1 / start, final_div_factor=start / end)
    raise ConfigError(f"unknown schedule {cfg.schedule!r}; choose one of {', '.join(SCHEDULES)}")


def make_lookahead(cfg, optimizer, model, steps_per_epoch):
    """cfg.lookahead = {every, start (epochs), decay, power} wraps the optimiser in airbench's Lookahead: from
    `start` epochs on, every `every` steps, the slow weights (and batch norm's statistics) move 1 − ρ of the way
    to the trained ones, ρ = decay^every · (t / T)^power at step t of T: light averaging early, strong at the
    end. Without cfg.lookahead the optimiser itself."""
    if not cfg.lookahead:
        return optimizer
    la = cfg.lookahead
    total = cfg.iterations or cfg.epochs * steps_per_epoch
    rho = la["decay"] ** la["every"]
    return optim.Lookahead(optimizer, every=la["every"], start=round(la["start"] * steps_per_epoch),
                           alpha=lambda t: 1 - rho * (t / total) ** la["power"],
                           tensors=[b for _, b in model.named_buffers()])


def make_augmentation(cfg):
    """(augment for DataLoader, whether it alternates flips) from cfg.flip, cfg.translate, cfg.translate_mode."""
    if cfg.flip == "random":
        return partial(random_crop_flip, padding=cfg.translate, mode=cfg.translate_mode), False
    return partial(random_translate, padding=cfg.translate, mode=cfg.translate_mode), cfg.flip == "alternating"
