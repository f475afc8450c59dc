"""The benchmark networks, built twice from one description: with nbcnn.nn and with torch.nn.

`build(name, nn)` takes either layer module (they share PyTorch's names and arguments), so both frameworks
run exactly the same architecture. Defined here, not taken from nbcnn.models, so the benchmark does not move
when the model zoo does.
"""


def lenet5(nn):
    """LeNet-5 with ReLU and max pooling, 28×28 input: 61,706 parameters."""
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


_VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def _vgg_features(nn, batch_norm):
    layers, c = [], 3
    for v in _VGG16:
        if v == "M":
            layers.append(nn.MaxPool2d(2))
            continue
        layers.append(nn.Conv2d(c, v, 3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU())
        c = v
    return layers


def vgg16(nn):
    """torchvision's VGG-16 for 3×224×224 (its adaptive 7×7 pool is the identity at 224)."""
    return nn.Sequential(*_vgg_features(nn, False), nn.Flatten(),
                         nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 1000))


def vgg16_cifar(nn):
    """VGG-16 with batch norm for 3×32×32 and one fully connected layer."""
    return nn.Sequential(*_vgg_features(nn, True), nn.Flatten(), nn.Linear(512, 10))


def _basic_block(nn, c_in, c_out, stride, shortcut="B"):
    """A basic block; where the shape changes, shortcut "B" projects (1×1 conv + BN) and "A" (the ResNet paper's
    CIFAR option) subsamples and zero-pads the new channels."""
    class BasicBlock(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(c_out)
            self.relu = nn.ReLU()
            self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(c_out)
            self.changes = stride != 1 or c_in != c_out
            self.projection = None
            if self.changes and shortcut == "B":
                self.projection = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                                                nn.BatchNorm2d(c_out))

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            if self.projection is not None:
                x = self.projection(x)
            elif self.changes:
                extra = (c_out - c_in) // 2
                x = nn.functional.pad(x[:, :, ::stride, ::stride], (0, 0, 0, 0, extra, extra))
            return self.relu(out + x)

    return BasicBlock()


def _resnet(nn, blocks, classes, cifar):
    if cifar:  # 3×3 stem, no max pool: 32×32 stays 32×32 into the first stage
        stem = [nn.Conv2d(3, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    else:
        stem = [nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                nn.MaxPool2d(3, 2, 1)]
    layers, c = stem, 64
    for stage, count in enumerate(blocks):
        width = 64 << stage
        for b in range(count):
            layers.append(_basic_block(nn, c, width, 2 if stage and b == 0 else 1))
            c = width
    layers += [nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(512, classes)]
    return nn.Sequential(*layers)


def _cifar_resnet(nn, depth, projection=False):
    """The ResNet paper's CIFAR-10 network of 6n+2 layers: 16/32/64 channels on 32²/16²/8² maps."""
    n = (depth - 2) // 6
    layers, c = [nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU()], 16
    for stage in range(3):
        width = 16 << stage
        for b in range(n):
            layers.append(_basic_block(nn, c, width, 2 if stage and b == 0 else 1, "B" if projection else "A"))
            c = width
    layers += [nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


def resnet20(nn):
    return _cifar_resnet(nn, 20)


def resnet20_b(nn):
    return _cifar_resnet(nn, 20, projection=True)


def resnet56(nn):
    return _cifar_resnet(nn, 56)


def resnet18_cifar(nn):
    return _resnet(nn, (2, 2, 2, 2), 10, cifar=True)


def resnet18(nn):
    return _resnet(nn, (2, 2, 2, 2), 1000, cifar=False)


def resnet34(nn):
    return _resnet(nn, (3, 4, 6, 3), 1000, cifar=False)


NETWORKS = {"lenet5": (lenet5, (1, 28, 28), 10), "vgg16": (vgg16, (3, 224, 224), 1000),
            "vgg16_cifar": (vgg16_cifar, (3, 32, 32), 10), "resnet18_cifar": (resnet18_cifar, (3, 32, 32), 10),
            "resnet20": (resnet20, (3, 32, 32), 10), "resnet20_b": (resnet20_b, (3, 32, 32), 10),
            "resnet56": (resnet56, (3, 32, 32), 10),
            "resnet18": (resnet18, (3, 224, 224), 1000), "resnet34": (resnet34, (3, 224, 224), 1000)}


def build(name, nn):
    """(model, input shape without the batch, classes)."""
    make, shape, classes = NETWORKS[name]
    return make(nn), shape, classes
