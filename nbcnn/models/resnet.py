"""ResNet-18/34 (basic blocks) and ResNet-50/101/152 (bottleneck blocks) (He et al., 2015), in torchvision's
layout and names: conv1, bn1, relu, maxpool, layer1..layer4 (blocks with conv1, bn1, conv2, bn2[, conv3, bn3],
downsample), avgpool, fc.

A bottleneck block narrows to `planes` with a 1×1 convolution, works at 3×3 and widens to 4·planes with a
second 1×1; like torchvision (ResNet v1.5) it strides in the 3×3, not in the first 1×1 as the paper does.
A block whose stride or width changes adds its input through a 1×1 projection (`downsample`: conv + BN).
The small variant (CIFAR) has a 3×3/1 stem and no max pool (`maxpool` is an Identity), so a 32×32 input reaches
layer4 at 4×4. Initialisation follows torchvision: He-normal (fan_out, ReLU) convolutions; batch norm starts at
weight 1, bias 0, which is nbcnn's default; the linear layer keeps the default init.
"""
from .. import nn
from ..nn import init
from .common import Identity, pick_variant, size_pair

STAGES = {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3), "resnet50": (3, 4, 6, 3), "resnet101": (3, 4, 23, 3),
          "resnet152": (3, 8, 36, 3)}


def _projection(in_planes, out_planes, stride):
    if stride == 1 and in_planes == out_planes:
        return None
    return nn.Sequential(nn.Conv2d(in_planes, out_planes, 1, stride, bias=False), nn.BatchNorm2d(out_planes))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = _projection(in_planes, planes, stride)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU()
        self.downsample = _projection(in_planes, planes * 4, stride)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class ResNet(nn.Module):
    def __init__(self, blocks=STAGES["resnet18"], in_channels=3, input_size=224, num_classes=1000, variant=None,
                 block=BasicBlock):
        super().__init__()
        small = pick_variant(variant, size_pair(input_size)) == "small"
        if small:
            self.conv1 = nn.Conv2d(in_channels, 64, 3, 1, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = Identity() if small else nn.MaxPool2d(3, 2, padding=1)
        e = block.expansion
        self.layer1 = _stage(block, 64, 64, blocks[0], stride=1)
        self.layer2 = _stage(block, 64 * e, 128, blocks[1], stride=2)
        self.layer3 = _stage(block, 128 * e, 256, blocks[2], stride=2)
        self.layer4 = _stage(block, 256 * e, 512, blocks[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512 * e, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def _stage(block, in_planes, planes, count, stride):
    out_planes = planes * block.expansion
    return nn.Sequential(block(in_planes, planes, stride), *[block(out_planes, planes) for _ in range(count - 1)])


def resnet18(in_channels=3, input_size=224, num_classes=1000, variant=None):
    return ResNet(STAGES["resnet18"], in_channels, input_size, num_classes, variant)


def resnet34(in_channels=3, input_size=224, num_classes=1000, variant=None):
    return ResNet(STAGES["resnet34"], in_channels, input_size, num_classes, variant)


def resnet50(in_channels=3, input_size=224, num_classes=1000, variant=None):
    return ResNet(STAGES["resnet50"], in_channels, input_size, num_classes, variant, Bottleneck)


def resnet101(in_channels=3, input_size=224, num_classes=1000, variant=None):
    return ResNet(STAGES["resnet101"], in_channels, input_size, num_classes, variant, Bottleneck)


def resnet152(in_channels=3, input_size=224, num_classes=1000, variant=None):
    return ResNet(STAGES["resnet152"], in_channels, input_size, num_classes, variant, Bottleneck)
