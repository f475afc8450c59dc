"""Optimisers and schedules by the names the command line uses."""
from .. import optim
from ..optim import lr_scheduler


def make_optimizer(name, parameters, lr, weight_decay):
    if name == "sgd":
        return optim.SGD(parameters, lr=lr, weight_decay=weight_decay)
    if name == "momentum":
        return optim.SGD(parameters, lr=lr, momentum=0.9, weight_decay=weight_decay)
    if name == "rmsprop":
        return optim.RMSprop(parameters, lr=lr, weight_decay=weight_decay)
    if name == "adam":
        return optim.Adam(parameters, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; choose one of sgd, momentum, rmsprop, adam")


def make_schedule(name, optimizer, epochs):
    """Stepped once per epoch; None for a constant learning rate."""
    if name == "constant":
        return None
    if name == "step":  # divide by 10 twice, at a third and two thirds of the run
        return lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    raise ValueError(f"unknown schedule {name!r}; choose one of constant, step, cosine")
