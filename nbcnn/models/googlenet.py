"""GoogLeNet (Szegedy et al., 2014) in torchvision's layout, without the auxiliary classifiers.

Each Inception block concatenates four branches along channels: 1×1; 1×1 → 3×3; 1×1 → "5×5"; 3×3/1 max pool →
1×1. torchvision builds the third branch with a 3×3 convolution (kept by default so its weights load);
branch3_kernel=5 gives the paper's 5×5. Every convolution is followed by batch norm (eps 1e-3) and ReLU
(BasicConv2d), as torchvision does.

Its pools round their output size up (ceil_mode=True), as torchvision's do, so torchvision's weights give
torchvision's outputs: 112 → 56 → 28 → 14 → 7 at 224×224, the last window of a row cut by the image's edge. The small
variant (CIFAR) has a 3×3/1 stem and drops the first two pools, so a 32×32 input meets inception3a at 32×32.
"""
from .. import nn
from ..creation import cat
from ..nn import init
from .common import Identity, pick_variant, size_pair

# in, 1×1, 3×3 reduce, 3×3, 5×5 reduce, 5×5, pool projection
INCEPTIONS = {
    "3a": (192, 64, 96, 128, 16, 32, 32), "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64), "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64), "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128),
    "5a": (832, 256, 160, 320, 32, 128, 128), "5b": (832, 384, 192, 384, 48, 128, 128),
}


class BasicConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=1e-3)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, branch3_kernel=3):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, 1)
        self.branch2 = nn.Sequential(BasicConv2d(in_channels, ch3x3red, 1), BasicConv2d(ch3x3red, ch3x3, 3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(in_channels, ch5x5red, 1),
                                     BasicConv2d(ch5x5red, ch5x5, branch3_kernel, padding="same"))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, padding=1, ceil_mode=True),
                                     BasicConv2d(in_channels, pool_proj, 1))

    def forward(self, x):
        return cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], dim=1)


class GoogLeNet(nn.Module):
    def __init__(self, in_channels=3, input_size=224, num_classes=1000, variant=None, branch3_kernel=3,
                 dropout=0.2):
        super().__init__()
        small = pick_variant(variant, size_pair(input_size)) == "small"

        def inception(name):
            return Inception(*INCEPTIONS[name], branch3_kernel=branch3_kernel)

        if small:
            self.conv1 = BasicConv2d(in_channels, 64, 3, padding=1)
        else:
            self.conv1 = BasicConv2d(in_channels, 64, 7, stride=2, padding=3)
        self.maxpool1 = Identity() if small else nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, 1)
        self.conv3 = BasicConv2d(64, 192, 3, padding=1)
        self.maxpool2 = Identity() if small else nn.MaxPool2d(3, 2, ceil_mode=True)
        self.inception3a, self.inception3b = inception("3a"), inception("3b")
        self.maxpool3 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.inception4a, self.inception4b, self.inception4c = inception("4a"), inception("4b"), inception("4c")
        self.inception4d, self.inception4e = inception("4d"), inception("4e")
        self.maxpool4 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.inception5a, self.inception5b = inception("5a"), inception("5b")
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1024, num_classes)
        # torchvision draws convolution and linear weights from N(0, 0.01) truncated at ±2, i.e. 200 σ: a plain
        # normal. Batch norm already starts at weight 1, bias 0.
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                init.normal_(m.weight, 0.0, 0.01)

    def forward(self, x):
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        for block in (self.inception4a, self.inception4b, self.inception4c, self.inception4d, self.inception4e):
            x = block(x)
        x = self.inception5b(self.inception5a(self.maxpool4(x)))
        return self.fc(self.dropout(self.avgpool(x).flatten(1)))


def googlenet(in_channels=3, input_size=224, num_classes=1000, variant=None, branch3_kernel=3, dropout=0.2):
    return GoogLeNet(in_channels, input_size, num_classes, variant, branch3_kernel, dropout)
