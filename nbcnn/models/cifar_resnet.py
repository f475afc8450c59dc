"""The CIFAR-10 networks of He et al., 2015 (§4.2): ResNet-20/32/44/56/110 and their plain counterparts.

6n + 2 weighted layers: a 3×3 16-channel stem (conv1, bn1), three stages of n basic blocks at 16, 32 and 64
channels (layer1..layer3; the first block of layer2 and layer3 has stride 2), global average pooling (avgpool)
and one linear layer (fc). Nothing depends on the input size, so CIFAR's 3×32×32 and MNIST's 1×28×28 both run.

Where a block changes shape, its shortcut is option A of the paper by default: take every second pixel and
zero-pad the new channels, half before and half after the old ones (planes/4 on each side, as the common
reproductions do), with no parameters. Option B projects with a 1×1 stride-2 convolution and batch norm. A plain
network is the same stack without any shortcut.
"""
from .. import nn
from ..nn import functional as F
from ..nn import init
from ..errors import ConfigError

DEPTHS = (20, 32, 44, 56, 110)
SHORTCUTS = ("A", "B")


class ZeroPadShortcut(nn.Module):
    """Option A: x[:, :, ::s, ::s] with its channels zero-padded to `planes`; the new channels carry no signal."""

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.stride = stride
        extra = planes - in_planes
        self.pad = (0, 0, 0, 0, extra // 2, extra - extra // 2)

    def forward(self, x):
        return F.pad(x[:, :, ::self.stride, ::self.stride], self.pad)

    def extra_repr(self):
        return f"stride={self.stride}, pad={self.pad[4:]}"


class CifarBasicBlock(nn.Module):
    """Two 3×3 conv + BN layers; `shortcut` is 'A' or 'B' for a residual block, None for a plain one."""

    def __init__(self, in_planes, planes, stride=1, shortcut="A"):
        super().__init__()
        if shortcut is not None and shortcut not in SHORTCUTS:
            raise ConfigError(f"unknown shortcut {shortcut!r}; choose one of {', '.join(SHORTCUTS)}")
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.residual = shortcut is not None
        self.shortcut = None  # the identity, where the block keeps its shape
        if self.residual and (stride != 1 or in_planes != planes):
            if shortcut == "A":
                self.shortcut = ZeroPadShortcut(in_planes, planes, stride)
            else:
                self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False),
                                              nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        if self.residual:
            out = out + (x if self.shortcut is None else self.shortcut(x))
        return self.relu(out)


class CifarResNet(nn.Module):
    """`shortcut` 'A' or 'B' builds ResNet-`depth`, None its plain counterpart."""

    def __init__(self, depth=20, in_channels=3, num_classes=10, shortcut="A"):
        super().__init__()
        if depth not in DEPTHS:
            raise ConfigError(f"unknown depth {depth}; choose one of {', '.join(map(str, DEPTHS))}")
        shortcut = None if shortcut is None else str(shortcut).upper()  # `--option shortcut=b` from the CLI
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        self.layer1 = _stage(16, 16, n, 1, shortcut)
        self.layer2 = _stage(16, 32, n, 2, shortcut)
        self.layer3 = _stage(32, 64, n, 2, shortcut)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)
        # He et al. initialise "as in [13]" (their PReLU paper), which shows that keeping either the forward or the
        # backward variance suffices. We keep the forward one, std √(2/fan_in): it is Caffe's "msra" default and
        # what the common PyTorch reproductions draw. The fc layer keeps the default init.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))


def _stage(in_planes, planes, count, stride, shortcut):
    return nn.Sequential(CifarBasicBlock(in_planes, planes, stride, shortcut),
                         *[CifarBasicBlock(planes, planes, 1, shortcut) for _ in range(count - 1)])


# input_size changes nothing: the global pool takes whatever the stages leave
def resnet20(in_channels=3, input_size=32, num_classes=10, shortcut="A"):
    return CifarResNet(20, in_channels, num_classes, shortcut)


def resnet32(in_channels=3, input_size=32, num_classes=10, shortcut="A"):
    return CifarResNet(32, in_channels, num_classes, shortcut)


def resnet44(in_channels=3, input_size=32, num_classes=10, shortcut="A"):
    return CifarResNet(44, in_channels, num_classes, shortcut)


def resnet56(in_channels=3, input_size=32, num_classes=10, shortcut="A"):
    return CifarResNet(56, in_channels, num_classes, shortcut)


def resnet110(in_channels=3, input_size=32, num_classes=10, shortcut="A"):
    return CifarResNet(110, in_channels, num_classes, shortcut)


def plain20(in_channels=3, input_size=32, num_classes=10):
    return CifarResNet(20, in_channels, num_classes, shortcut=None)


def plain32(in_channels=3, input_size=32, num_classes=10):
    return CifarResNet(32, in_channels, num_classes, shortcut=None)


def plain44(in_channels=3, input_size=32, num_classes=10):
    return CifarResNet(44, in_channels, num_classes, shortcut=None)


def plain56(in_channels=3, input_size=32, num_classes=10):
    return CifarResNet(56, in_channels, num_classes, shortcut=None)
