"""The model zoo's table: name → builder, description and the dataset size it is known at.

Every builder takes (in_channels, input_size, num_classes, **options) and picks its small or ImageNet variant
from the input size unless given `variant`. build_model then passes a shape-only input through the result
(nbcnn.summary), so an input too small fails here, naming the first layer it cannot pass.
"""
from dataclasses import dataclass
from typing import Callable

from ..summary import output_shape
from .alexnet import alexnet
from .common import size_pair
from .googlenet import googlenet
from .lenet import lenet5
from .resnet import resnet18, resnet34
from .vgg import vgg16


@dataclass(frozen=True)
class ModelSpec:
    build: Callable
    description: str
    in_channels: int  # the dataset it is usually shown at: `nbcnn models` counts parameters there
    input_size: int
    num_classes: int


MODELS = {
    "lenet": ModelSpec(lenet5, "LeNet-5: 2 conv + 3 FC; ReLU + max pool, or activation='tanh', pooling='avg'",
                       1, 28, 10),
    "alexnet": ModelSpec(alexnet, "AlexNet, torchvision layout; lrn=True adds the paper's LRN; small variant ≤ 64 px",
                         3, 224, 1000),
    "vgg16": ModelSpec(vgg16, "VGG-16, torchvision layout; CIFAR VGG (BN, one FC) ≤ 64 px; batch_norm=True|False",
                       3, 224, 1000),
    "resnet18": ModelSpec(resnet18, "ResNet-18, basic blocks, torchvision names; 3×3 stem, no max pool ≤ 64 px",
                          3, 224, 1000),
    "resnet34": ModelSpec(resnet34, "ResNet-34, basic blocks, torchvision names; 3×3 stem, no max pool ≤ 64 px",
                          3, 224, 1000),
    "googlenet": ModelSpec(googlenet, "GoogLeNet, torchvision layout, no aux heads; branch3_kernel=5 for the paper",
                           3, 224, 1000),
}


def list_models():
    return list(MODELS)


def build_model(name, in_channels=None, input_size=None, num_classes=None, **options):
    """A fresh model adapted to the dataset; unset sizes default to the model's usual dataset."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    spec = MODELS[name]
    in_channels = spec.in_channels if in_channels is None else in_channels
    size = size_pair(spec.input_size if input_size is None else input_size)
    model = spec.build(in_channels, size, spec.num_classes if num_classes is None else num_classes, **options)
    output_shape(model, (1, in_channels) + size)
    return model


def count_parameters(model, trainable_only=False):
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
