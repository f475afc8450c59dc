"""A training run's configuration and the per-model defaults it starts from."""
from dataclasses import asdict, dataclass, field

# Defaults that train each family well on MNIST-sized and CIFAR-sized data in few epochs.
MODEL_DEFAULTS = {
    "lenet": dict(optimizer="momentum", lr=0.01, batch_size=64, weight_decay=0.0, schedule="cosine", epochs=10),
    "alexnet": dict(optimizer="momentum", lr=0.01, batch_size=128, weight_decay=5e-4, schedule="cosine", epochs=30),
    "vgg16": dict(optimizer="momentum", lr=0.05, batch_size=128, weight_decay=5e-4, schedule="cosine", epochs=30),
    "resnet18": dict(optimizer="momentum", lr=0.1, batch_size=128, weight_decay=5e-4, schedule="cosine", epochs=30),
    "resnet34": dict(optimizer="momentum", lr=0.1, batch_size=128, weight_decay=5e-4, schedule="cosine", epochs=30),
    "googlenet": dict(optimizer="momentum", lr=0.05, batch_size=128, weight_decay=5e-4, schedule="cosine",
                      epochs=30),
}
FALLBACK = dict(optimizer="momentum", lr=0.01, batch_size=64, weight_decay=0.0, schedule="cosine", epochs=10)
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
SCHEDULES = ("constant", "step", "cosine")


@dataclass
class TrainConfig:
    model: str
    data: str
    data_dir: str = None
    epochs: int = None
    batch_size: int = None
    lr: float = None
    optimizer: str = None
    weight_decay: float = None
    schedule: str = None
    seed: int = 0
    device: str = "cpu"
    threads: int = None
    out: str = None
    val_fraction: float = 0.0
    augment: bool = None
    limit: int = None  # train on the first `limit` examples only (quick runs, CI)
    keep_checkpoints: int = None  # keep only the newest N epoch-NNN.npz files (None: all)
    model_options: dict = field(default_factory=dict)

    def resolved(self):
        """A copy with every unset option taken from the model's defaults."""
        values = asdict(self)
        for key, value in MODEL_DEFAULTS.get(self.model, FALLBACK).items():
            if values.get(key) is None:
                values[key] = value
        if values["optimizer"] not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {values['optimizer']!r}; choose one of {', '.join(OPTIMIZERS)}")
        if values["schedule"] not in SCHEDULES:
            raise ValueError(f"unknown schedule {values['schedule']!r}; choose one of {', '.join(SCHEDULES)}")
        for key in ("epochs", "batch_size"):
            if values[key] < 1:
                raise ValueError(f"{key} must be at least 1, got {values[key]}")
        if not 0 <= values["val_fraction"] < 1:
            raise ValueError(f"val_fraction must lie in [0, 1), got {values['val_fraction']}")
        return TrainConfig(**values)

    def to_dict(self):
        return asdict(self)
