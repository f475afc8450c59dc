"""The model zoo's table: name → builder, description and the dataset size it is known at.

Every builder takes (in_channels, input_size, num_classes, **options); the ImageNet families pick their small or
ImageNet variant from the input size unless given `variant`, while the CIFAR ResNets have one form for every
size. build_model then passes a shape-only input through the result (nbcnn.shape_trace), so an input too small fails
here, naming the first layer it cannot pass.
"""
from dataclasses import dataclass
from typing import Callable

from ..shape_trace import output_shape
from .alexnet import alexnet
from .cifar_resnet import plain20, plain32, plain44, plain56, resnet20, resnet32, resnet44, resnet56, resnet110
from .common import size_pair
from .fastnet import fastnet
from .googlenet import googlenet
from .lenet import lenet5
from .resnet import resnet18, resnet34, resnet50, resnet101, resnet152
from .vgg import vgg16, vgg19
from ..errors import ConfigError


@dataclass(frozen=True)
class ModelSpec:
    build: Callable
    description: str
    options: dict  # keyword -> its values and default, as `nbcnn models` shows them
    in_channels: int  # the dataset it is usually shown at: `nbcnn models` counts parameters there
    input_size: int
    num_classes: int


VARIANT = {"variant": "small|imagenet (default: small up to 64 px)"}
SHORTCUT = {"shortcut": "A|B (A): zero-padding or projection shortcuts where a block changes shape"}


def _cifar_resnet(build, depth):
    return ModelSpec(build, f"ResNet-{depth} for CIFAR (He et al. 2015, 6n+2 layers, 16/32/64 channels)", SHORTCUT,
                     3, 32, 10)


def _plain(build, depth):
    return ModelSpec(build, f"Plain-{depth}: the CIFAR ResNet-{depth} without shortcuts", {}, 3, 32, 10)


MODELS = {
    "lenet": ModelSpec(
        lenet5, "LeNet-5: 2 conv + 3 FC; a 28-px input is padded to 32 by the first conv",
        {"activation": "relu|tanh|sigmoid (relu)", "pooling": "max|avg (max); tanh with avg is the 1998 network"},
        1, 28, 10),
    "alexnet": ModelSpec(
        alexnet, "AlexNet, torchvision layout; small: 5x5/1 stem, 1024-wide FC layers",
        {**VARIANT, "lrn": "false|true (false): the paper's LRN after the first two ReLUs", "dropout": "0.5"},
        3, 224, 1000),
    "vgg16": ModelSpec(
        vgg16, "VGG-16, torchvision layout; small: the CIFAR VGG, global pool and one FC layer",
        {**VARIANT, "batch_norm": "true|false (true for small, false for imagenet)", "dropout": "0.5"},
        3, 224, 1000),
    "vgg19": ModelSpec(
        vgg19, "VGG-19, torchvision layout; small: the CIFAR VGG-19, global pool and one FC layer",
        {**VARIANT, "batch_norm": "true|false (true for small, false for imagenet)", "dropout": "0.5"},
        3, 224, 1000),
    "resnet18": ModelSpec(
        resnet18, "ResNet-18, basic blocks, torchvision names; small: 3x3 stem, no max pool",
        VARIANT, 3, 224, 1000),
    "resnet34": ModelSpec(
        resnet34, "ResNet-34, basic blocks, torchvision names; small: 3x3 stem, no max pool",
        VARIANT, 3, 224, 1000),
    **{f"resnet{depth}": ModelSpec(
        build, f"ResNet-{depth}, bottleneck blocks, torchvision names; small: 3x3 stem, no max pool",
        VARIANT, 3, 224, 1000) for depth, build in ((50, resnet50), (101, resnet101), (152, resnet152))},
    "googlenet": ModelSpec(
        googlenet, "GoogLeNet, torchvision layout, no auxiliary heads; small: 3x3 stem, first two pools dropped",
        {**VARIANT, "branch3_kernel": "3|5 (3, torchvision's; 5 is the paper's)", "dropout": "0.2"},
        3, 224, 1000),
    "resnet20": _cifar_resnet(resnet20, 20),
    "resnet32": _cifar_resnet(resnet32, 32),
    "resnet44": _cifar_resnet(resnet44, 44),
    "resnet56": _cifar_resnet(resnet56, 56),
    "resnet110": _cifar_resnet(resnet110, 110),
    "plain20": _plain(plain20, 20),
    "plain32": _plain(plain32, 32),
    "plain44": _plain(plain44, 44),
    "plain56": _plain(plain56, 56),
    "fastnet": ModelSpec(
        fastnet, "airbench94's net: frozen 2x2 whitening conv, 64/256/256-channel conv groups, GELU, scaled logits",
        {"bn_momentum": "0.4 (PyTorch's convention: weight of the newest batch)", "bn_eps": "1e-12",
         "bn_weight": "false|true (false): train batch norm's scale too", "logit_scale": "0.111 (1/9)"},
        3, 32, 10),
}


def list_models():
    return list(MODELS)


def build_model(name, in_channels=None, input_size=None, num_classes=None, **options):
    """A fresh model adapted to the dataset; unset sizes default to the model's usual dataset."""
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    spec = MODELS[name]
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        raise ConfigError(f"{name} has no option {unknown[0]!r}; its options: {', '.join(spec.options)}")
    in_channels = spec.in_channels if in_channels is None else in_channels
    size = size_pair(spec.input_size if input_size is None else input_size)
    model = spec.build(in_channels, size, spec.num_classes if num_classes is None else num_classes, **options)
    output_shape(model, (1, in_channels) + size)
    return model


def count_parameters(model, trainable_only=False):
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
