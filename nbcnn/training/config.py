"""A training run's configuration, resolved from what the user set, a recipe and the model's defaults."""
import math
from dataclasses import asdict, dataclass, field

from ..optim.sgd import WEIGHT_DECAY_MODES
from .factory import FLIPS, OPTIMIZERS, SCHEDULES, TRANSLATE_MODES, UNITS, WARMUPS
from .tta import TTA_MODES
from .recipes import BASE, preset
from ..errors import ConfigError

_LENGTH = ("epochs", "iterations")  # one setting: whichever the highest-ranking source gives
# A preset's setting that only makes sense with its own choice of another: dropped when the user changes that one
_BELONGS_TO = {"milestones": "schedule", "momentum": "optimizer", "nesterov": "optimizer",
               "weight_decay_mode": "optimizer", "onecycle_peak": "schedule", "onecycle_start": "schedule",
               "onecycle_end": "schedule"}
# name: (lowest, highest, lowest excluded, highest excluded); every float setting must also be finite
_FLOAT_RANGES = {
    "lr": (0, math.inf, True, True), "weight_decay": (0, math.inf, False, True), "momentum": (0, 1, False, True),
    "label_smoothing": (0, 1, False, False), "val_fraction": (0, 1, False, True),
    "gamma": (0, math.inf, True, True), "warmup_factor": (0, 1, True, False),
    "onecycle_peak": (0, 1, False, False), "onecycle_start": (0, 1, True, False), "onecycle_end": (0, 1, True, False),
}
_LOOKAHEAD_KEYS = {"every", "start", "decay", "power"}


@dataclass
class TrainConfig:
    model: str
    data: str
    data_dir: str = None
    recipe: str = None  # a named preset (recipes.RECIPES) in place of the model's defaults
    epochs: int = None
    iterations: int = None  # stop after this many optimiser steps, mid-epoch if need be (instead of epochs)
    batch_size: int = None
    lr: float = None
    optimizer: str = None
    momentum: float = None  # sgd and rmsprop: 0 unless set; the optimizer "momentum": 0.9 unless set
    nesterov: bool = None
    weight_decay: float = None
    weight_decay_mode: str = None  # sgd and momentum: "l2" (PyTorch's SGD) or "decoupled" (SGDW: lr · wd · p)
    param_groups: list = None  # rules {"select", "lr_scale", "weight_decay_scale"} (nbcnn.optim.param_groups)
    lookahead: dict = None  # {every, start (epochs), decay, power} (factory.make_lookahead); {} for none
    label_smoothing: float = None
    schedule: str = None
    milestones: list = None  # multistep: where the rate is multiplied by gamma, in schedule_unit
    gamma: float = None
    schedule_unit: str = None  # "epochs" or "iterations", for milestones and warmup
    warmup: int = None  # warm-up length in schedule_unit (0: none)
    warmup_mode: str = None  # "linear" from warmup_factor · lr up to lr, or "constant" at warmup_factor · lr
    warmup_factor: float = None
    onecycle_peak: float = None  # onecycle: the share of the run spent rising
    onecycle_start: float = None  # onecycle: first rate / peak rate
    onecycle_end: float = None  # onecycle: last rate / peak rate
    seed: int = 0
    device: str = "cpu"
    threads: int = None
    out: str = None
    val_fraction: float = None
    augment: bool = None
    flip: str = None  # with augment: "random" (each image, p = 1/2), "alternating" (airbench's), or "none"
    translate: int = None  # with augment: shift by up to this many pixels each way (pad and crop)
    translate_mode: str = None  # "zero" or "reflect" padding for translate
    tta: str = None  # test-time augmentation of the run's last evaluation: "none", "flip", "flip-translate"
    limit: int = None  # train on the first `limit` examples only (quick runs, CI)
    keep_checkpoints: int = None  # keep only the newest N epoch-NNN.npz files (None: all)
    model_options: dict = field(default_factory=dict)

    def resolved(self):
        """A copy with every unset option taken from the recipe (or the model's defaults), then BASE; raises
        ValueError naming the first setting that is out of range."""
        values = asdict(self)
        given = preset(self.model, self.recipe)
        if any(values[key] is not None for key in _LENGTH):
            given = {k: v for k, v in given.items() if k not in _LENGTH}
        for key, owner in _BELONGS_TO.items():
            if values[owner] is not None and values[owner] != given.get(owner):
                given.pop(key, None)
        for layer in (given, BASE):
            for key, value in layer.items():
                if values.get(key) is None:
                    values[key] = value
        if values["momentum"] is None and values["optimizer"] != "adam":
            values["momentum"] = 0.9 if values["optimizer"] == "momentum" else 0.0
        _check(values)
        return TrainConfig(**values)

    def to_dict(self):
        return asdict(self)


def _check(v):
    for key, choices in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES), ("schedule_unit", UNITS),
                         ("warmup_mode", WARMUPS), ("weight_decay_mode", WEIGHT_DECAY_MODES), ("flip", FLIPS),
                         ("translate_mode", TRANSLATE_MODES), ("tta", TTA_MODES)):
        if v[key] not in choices:
            raise ConfigError(f"unknown {key} {v[key]!r}; choose one of {', '.join(choices)}")
    for key, (low, high, low_open, high_open) in _FLOAT_RANGES.items():
        if v[key] is not None:
            _check_float(key, v[key], low, high, low_open, high_open)
    for key in ("epochs", "iterations", "batch_size"):
        if v[key] is not None and v[key] < 1:
            raise ConfigError(f"{key} must be at least 1, got {v[key]}")
    if v["warmup"] < 0:
        raise ConfigError(f"warmup must not be negative, got {v['warmup']}")
    if v["translate"] < 0:
        raise ConfigError(f"translate must not be negative, got {v['translate']}")
    if v["weight_decay_mode"] == "decoupled" and v["optimizer"] not in ("sgd", "momentum"):
        raise ConfigError("decoupled weight decay applies to the sgd and momentum optimizers")
    if v["lookahead"] and set(v["lookahead"]) != _LOOKAHEAD_KEYS:
        raise ConfigError(f"lookahead needs exactly the keys {', '.join(sorted(_LOOKAHEAD_KEYS))}, "
                         f"got {', '.join(sorted(v['lookahead']))}")
    if v["epochs"] is not None and v["iterations"] is not None:
        raise ConfigError("give epochs or iterations, not both")
    if v["optimizer"] == "adam" and v["momentum"] is not None:
        raise ConfigError("momentum applies to sgd, momentum and rmsprop, not adam")
    if v["nesterov"] and (v["optimizer"] not in ("sgd", "momentum") or not v["momentum"]):
        raise ConfigError("nesterov needs the sgd or momentum optimizer with a momentum above 0")
    if v["schedule"] == "multistep":
        if not v["milestones"]:
            raise ConfigError("the multistep schedule needs milestones")
        if any(m < 1 for m in v["milestones"]):
            raise ConfigError(f"milestones must be at least 1, got {v['milestones']}")
    elif v["milestones"] is not None:
        raise ConfigError(f"milestones apply to the multistep schedule, not {v['schedule']}")


def _check_float(key, value, low, high, low_open, high_open):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ConfigError(f"{key} must be a finite number, got {value}")
    if number < low or number > high or (low_open and number == low) or (high_open and number == high):
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ConfigError(f"{key} must lie in {interval}, got {value}")
