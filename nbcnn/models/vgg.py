"""VGG-16 and VGG-19 (Simonyan & Zisserman, 2014, configurations D and E): thirteen or sixteen 3×3 "same"
convolutions in five stages, each closed by a 2×2 max pool, then the classifier. torchvision's layout: `features`,
`avgpool`, `classifier`.

ImageNet variant: torchvision's vgg16/vgg19 (vgg16_bn/vgg19_bn with batch_norm=True); its AdaptiveAvgPool2d((7, 7))
is the identity at 224×224, so `avgpool` is an Identity and the first linear layer is sized from the features' output.
Small variant: the common CIFAR VGG, batch norm after every convolution by default, global average pooling
(the identity at 32×32) and a single linear `classifier` 512 → classes. A 28×28 input gets 2 more pixels of
padding in the first convolution so that five poolings still leave 1×1.
"""
from .. import nn
from ..nn import init
from ..shape_trace import output_shape
from .common import Identity, padding_to_32, pick_variant, size_pair

VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
VGG19 = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M")


class VGG(nn.Module):
    def __init__(self, config=VGG16, in_channels=3, input_size=224, num_classes=1000, variant=None,
                 batch_norm=None, dropout=0.5):
        super().__init__()
        size = size_pair(input_size)
        variant = pick_variant(variant, size)
        batch_norm = variant == "small" if batch_norm is None else batch_norm
        first_padding = tuple(1 + p for p in padding_to_32(size)) if variant == "small" else 1
        self.features = _features(config, in_channels, batch_norm, first_padding)
        if variant == "small":
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Linear(_last_width(config), num_classes)
        else:
            self.avgpool = Identity()
            _, c, h, w = output_shape(self.features, (1, in_channels) + size, "features")
            self.classifier = nn.Sequential(
                nn.Linear(c * h * w, 4096), nn.ReLU(), nn.Dropout(dropout),
                nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(dropout),
                nn.Linear(4096, num_classes))
        # torchvision's init for the convolutions; linear layers keep the default rather than torchvision's
        # N(0, 0.01), which would redraw the 120 M weights of the ImageNet classifier a second time.
        for m in self.features:
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def vgg16(in_channels=3, input_size=224, num_classes=1000, variant=None, batch_norm=None, dropout=0.5):
    return VGG(VGG16, in_channels, input_size, num_classes, variant, batch_norm, dropout)


def vgg19(in_channels=3, input_size=224, num_classes=1000, variant=None, batch_norm=None, dropout=0.5):
    return VGG(VGG19, in_channels, input_size, num_classes, variant, batch_norm, dropout)


def _features(config, in_channels, batch_norm, first_padding):
    layers, channels = [], in_channels
    for v in config:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
            continue
        padding = first_padding if not layers else 1
        layers.append(nn.Conv2d(channels, v, 3, padding=padding))
        layers += [nn.BatchNorm2d(v), nn.ReLU()] if batch_norm else [nn.ReLU()]
        channels = v
    return nn.Sequential(*layers)


def _last_width(config):
    return [v for v in config if v != "M"][-1]
