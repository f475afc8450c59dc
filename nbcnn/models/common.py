"""What the model families share: the variant rule, the 28 → 32 padding rule, and a placeholder layer."""
from .. import shapes
from ..nn import Module
from ..errors import ConfigError

VARIANTS = ("small", "imagenet")
SMALL_MAX = 64  # inputs up to this many pixels a side get the small (CIFAR/MNIST) variant


class Identity(Module):
    """Stands where torchvision has a layer that is the identity at the sizes nbcnn builds for, keeping
    torchvision's attribute names (AlexNet's and VGG's adaptive pools, a small ResNet's dropped max pool)."""

    def forward(self, x):
        return x


def size_pair(input_size):
    return shapes.pair(input_size, "input_size")


def pick_variant(variant, size):
    """'small' up to SMALL_MAX px on the shorter side, 'imagenet' above, unless `variant` names one."""
    if variant is None:
        return "small" if min(size) <= SMALL_MAX else "imagenet"
    if variant not in VARIANTS:
        raise ConfigError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    return variant


def padding_to_32(size):
    """First-layer padding that shows a 28–31 px input (MNIST's 28×28) to the layers as the 32×32 they were sized
    for, as LeNet-5 padded its digits; other sizes get none."""
    return tuple((32 - n) // 2 if 28 <= n < 32 else 0 for n in size)
