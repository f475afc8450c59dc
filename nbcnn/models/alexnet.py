"""AlexNet (Krizhevsky et al., 2012) in torchvision's layout: `features`, `avgpool`, `classifier`.

Overlapping 3×3/2 max pooling and dropout before the first two fully connected layers, as in the paper.
torchvision's AlexNet has no local response normalisation; lrn=True adds LocalResponseNorm(5, 1e-4, 0.75, 2)
after the first two ReLUs as the paper does (no parameters, but the indices inside `features` shift, so
torchvision weights load only without it).

The ImageNet variant's features end at 6×6 for 224×224 inputs, where torchvision's AdaptiveAvgPool2d((6, 6)) is
the identity; nbcnn keeps `avgpool` as an Identity and sizes the first linear layer from the features' real
output, so other sizes work too. The small variant (28–64 px) swaps the 11×11/4 stem for a 5×5/1 one and uses
1024-wide hidden layers; three overlapping pools leave 3×3 (32 px) or 2×2 (28 px) maps.
"""
from .. import nn
from ..shape_trace import output_shape
from .common import Identity, pick_variant, size_pair

STEMS = {"imagenet": dict(kernel_size=11, stride=4, padding=2), "small": dict(kernel_size=5, stride=1, padding=2)}
HIDDEN = {"imagenet": 4096, "small": 1024}


class AlexNet(nn.Module):
    def __init__(self, in_channels=3, input_size=224, num_classes=1000, variant=None, lrn=False, dropout=0.5):
        super().__init__()
        size = size_pair(input_size)
        variant = pick_variant(variant, size)

        def norm():
            return [nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)] if lrn else []

        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 64, **STEMS[variant]), nn.ReLU(), *norm(), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), *norm(), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
        self.avgpool = Identity()
        _, c, h, w = output_shape(self.features, (1, in_channels) + size, "features")
        hidden = HIDDEN[variant]
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(c * h * w, hidden), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, num_classes))

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def alexnet(in_channels=3, input_size=224, num_classes=1000, variant=None, lrn=False, dropout=0.5):
    return AlexNet(in_channels, input_size, num_classes, variant, lrn, dropout)
