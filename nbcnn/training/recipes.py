"""Every training recipe in one table: the per-model defaults, named presets (`--recipe`), and the values any
run starts from. A run's settings are, in order of precedence: what the user sets, the named recipe (else the
model's defaults), BASE."""

_CIFAR_RESNET = dict(  # ResNet-20 reached 86.77 % on CIFAR-10 in PyTorch with exactly this, 30 epochs
    optimizer="momentum", momentum=0.9, nesterov=True, lr=0.1, batch_size=128, weight_decay=5e-4,
    schedule="onecycle", epochs=30)

# Train each family well on MNIST-sized and CIFAR-sized data in few epochs. The deeper CIFAR ResNets and plain
# nets share ResNet-20's recipe: one-cycle starts at a 25th of the peak rate, which is warm-up enough.
MODEL_DEFAULTS = {
    "lenet": dict(optimizer="momentum", lr=0.01, batch_size=64, weight_decay=0.0, schedule="cosine", epochs=10),
    "alexnet": dict(optimizer="momentum", lr=0.01, batch_size=128, weight_decay=5e-4, schedule="cosine", epochs=30),
    "vgg16": dict(optimizer="momentum", lr=0.05, batch_size=128, weight_decay=5e-4, schedule="cosine", epochs=30),
    "resnet18": dict(optimizer="momentum", lr=0.1, batch_size=128, weight_decay=5e-4, schedule="cosine", epochs=30),
    "resnet34": dict(optimizer="momentum", lr=0.1, batch_size=128, weight_decay=5e-4, schedule="cosine", epochs=30),
    "googlenet": dict(optimizer="momentum", lr=0.05, batch_size=128, weight_decay=5e-4, schedule="cosine",
                      epochs=30),
    **{name: _CIFAR_RESNET for name in ("resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "plain20",
                                        "plain32", "plain44", "plain56")},
}
FALLBACK = dict(optimizer="momentum", lr=0.01, batch_size=64, weight_decay=0.0, schedule="cosine", epochs=10)

# He et al. 2015, section 4.2: 45k/5k split, 4-pixel pad + 32² crop + flip, SGD momentum 0.9, weight decay 1e-4,
# batch 128, lr 0.1 divided by 10 at 32k and 48k iterations, stop at 64k; ResNet-110 warms up at 0.01 for 400.
RECIPES = {
    "resnet-paper": dict(
        settings=dict(optimizer="momentum", momentum=0.9, nesterov=False, lr=0.1, batch_size=128,
                      weight_decay=1e-4, schedule="multistep", milestones=[32000, 48000], gamma=0.1,
                      schedule_unit="iterations", iterations=64000, val_fraction=0.1, augment=True),
        per_model={"resnet110": dict(warmup=400, warmup_mode="constant", warmup_factor=0.1)},
    ),
}

BASE = dict(nesterov=False, label_smoothing=0.0, gamma=0.1, schedule_unit="epochs", warmup=0, warmup_mode="linear",
            warmup_factor=0.1, val_fraction=0.0)


def preset(model, recipe=None):
    """The settings `recipe` (or, without one, the model's defaults) gives `model`."""
    if recipe is None:
        return dict(MODEL_DEFAULTS.get(model, FALLBACK))
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; choose one of {', '.join(RECIPES)}")
    return {**RECIPES[recipe]["settings"], **RECIPES[recipe]["per_model"].get(model, {})}
