"""Every training recipe in one table: the per-model defaults, named presets (`--recipe`), and the values any
run starts from. A run's settings are, in order of precedence: what the user sets, the named recipe (else the
model's defaults), BASE."""
from ..errors import ConfigError

_CIFAR_RESNET = dict(  # in PyTorch, ResNet-20 reached 86.77 % on the JPEG copy of CIFAR-10 with this (issue 13)
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
# airbench94 (KellerJordan/cifar10-airbench, airbench94.py: 94.01 % mean over 1000 runs on the official files), its
# hyper-parameters turned from its summed loss into our mean loss. Batch 1024, 10 epochs (airbench: 9.9). Nesterov
# momentum 0.85; lr 1.5 = airbench's 11.5 per 1024 examples over its momentum scale 1 + 1/(1 − 0.85). Its weight
# decay, 0.0153 per 1024 examples, is lr · wd = 0.0153 / 7.67 = 0.0020 per step through the momentum buffer, which
# amplifies it by 1/(1 − 0.85) = 6.7 as it does the gradient; decoupled, outside the buffer, that is lr · wd =
# 0.0133, wd = 0.0133 / 1.5 = 8.87e-3 (weight_decay_mode "l2" with 1.33e-3 is airbench's exact form). Batch-norm
# biases learn 64 × faster with the same decay per step (airbench's bias_scaler; BN scales are frozen). Its lr
# "triangle": from 0.2 × lr up to lr at 23 % of the run, then down to 0.07 × lr, per step. Label smoothing 0.2.
# Lookahead from epoch 3, every 5 steps, ρ = 0.95⁵ · (t/T)³. Alternating flips and 2-pixel reflected
# translation; test-time augmentation with flips and 1-pixel shifts (its tta_level 2). hlb-CIFAR10
# (tysam-code) and cifar10-fast (davidcpage) use the same ingredients: whitening, BN bias lr scaling, EMA.
_FASTNET = dict(
    optimizer="momentum", momentum=0.85, nesterov=True, lr=1.5, batch_size=1024, epochs=10,
    weight_decay=8.87e-3, weight_decay_mode="decoupled",
    param_groups=[{"select": "norm", "lr_scale": 64.0, "weight_decay_scale": 1 / 64}],
    schedule="onecycle", onecycle_peak=0.23, onecycle_start=0.2, onecycle_end=0.07, label_smoothing=0.2,
    lookahead={"every": 5, "start": 3, "decay": 0.95, "power": 3.0},
    augment=True, flip="alternating", translate=2, translate_mode="reflect", tta="flip-translate")
MODEL_DEFAULTS["fastnet"] = _FASTNET

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

# onecycle's defaults: Smith's, from lr/25 at 30 % of the run down to lr/(25 · 10⁴); the standard CIFAR augmentation
BASE = dict(nesterov=False, label_smoothing=0.0, gamma=0.1, schedule_unit="epochs", warmup=0, warmup_mode="linear",
            warmup_factor=0.1, val_fraction=0.0, weight_decay_mode="l2", param_groups=[], lookahead={},
            onecycle_peak=0.3, onecycle_start=1 / 25, onecycle_end=1 / 25e4, flip="random", translate=4,
            translate_mode="zero", tta="none")


def preset(model, recipe=None):
    """The settings `recipe` (or, without one, the model's defaults) gives `model`."""
    if recipe is None:
        return dict(MODEL_DEFAULTS.get(model, FALLBACK))
    if recipe not in RECIPES:
        raise ConfigError(f"unknown recipe {recipe!r}; choose one of {', '.join(RECIPES)}")
    return {**RECIPES[recipe]["settings"], **RECIPES[recipe]["per_model"].get(model, {})}
