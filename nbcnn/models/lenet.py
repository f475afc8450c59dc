"""LeNet-5 (LeCun et al., 1998): two 5×5 convolutions with pooling, then three fully connected layers.

The default is the modern reading (ReLU, max pooling). activation="tanh" (or "sigmoid") with pooling="avg" is
the published network, without its partial C3 connection table and RBF output, as re-implementations do.
A 28×28 input is padded by 2 in the first convolution, so the layers see the 32×32 of the paper.
"""
from .. import nn
from ..shape_trace import output_shape
from .common import padding_to_32, size_pair
from ..errors import ConfigError

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


class LeNet5(nn.Module):
    def __init__(self, in_channels=1, input_size=28, num_classes=10, activation="relu", pooling="max"):
        super().__init__()
        act, pool = _choose(ACTIVATIONS, activation, "activation"), _choose(POOLS, pooling, "pooling")
        size = size_pair(input_size)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=padding_to_32(size)), act(), pool(2, 2),
            nn.Conv2d(6, 16, 5), act(), pool(2, 2))
        _, c, h, w = output_shape(self.features, (1, in_channels) + size, "features")
        self.classifier = nn.Sequential(
            nn.Linear(c * h * w, 120), act(), nn.Linear(120, 84), act(), nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def lenet5(in_channels=1, input_size=28, num_classes=10, activation="relu", pooling="max"):
    return LeNet5(in_channels, input_size, num_classes, activation, pooling)


def _choose(table, key, what):
    if key not in table:
        raise ConfigError(f"unknown {what} {key!r}; choose one of {', '.join(table)}")
    return table[key]
