"""ResNet-18 and ResNet-34 (He et al., 2015) with basic blocks, in torchvision's layout and names:
conv1, bn1, relu, maxpool, layer1..layer4 (blocks with conv1, bn1, conv2, bn2, downsample), avgpool, fc.

A block whose stride or width changes adds its input through a 1×1 projection (`downsample`: conv + BN).
The small variant (CIFAR) has a 3×3/1 stem and no max pool (`maxpool` is an Identity), so a 32×32 input reaches
layer4 at 4×4. Initialisation follows torchvision: He-normal (fan_out, ReLU) convolutions; batch norm starts at
weight 1, bias 0, which is nbcnn's default; the linear layer keeps the default init.
"""
from .. import nn
from ..nn import init
from .common import Identity, pick_variant, size_pair

STAGES = {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3)}


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class ResNet(nn.Module):
    def __init__(self, blocks=STAGES["resnet18"], in_channels=3, input_size=224, num_classes=1000, variant=None):
        super().__init__()
        small = pick_variant(variant, size_pair(input_size)) == "small"
        if small:
            self.conv1 = nn.Conv2d(in_channels, 64, 3, 1, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = Identity() if small else nn.MaxPool2d(3, 2, padding=1)
        self.layer1 = _stage(64, 64, blocks[0], stride=1)
        self.layer2 = _stage(64, 128, blocks[1], stride=2)
        self.layer3 = _stage(128, 256, blocks[2], stride=2)
        self.layer4 = _stage(256, 512, blocks[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def _stage(in_planes, planes, count, stride):
    return nn.Sequential(BasicBlock(in_planes, planes, stride), *[BasicBlock(planes, planes) for _ in range(count - 1)])


def resnet18(in_channels=3, input_size=224, num_classes=1000, variant=None):
    return ResNet(STAGES["resnet18"], in_channels, input_size, num_classes, variant)


def resnet34(in_channels=3, input_size=224, num_classes=1000, variant=None):
    return ResNet(STAGES["resnet34"], in_channels, input_size, num_classes, variant)
