"""Every registry model against the same network written here in torch.nn, independently of nbcnn's code:
torchvision's layout and parameter names for the ImageNet variants (AlexNet, VGG-16/19, ResNet-18/34/50/101/152,
GoogLeNet without auxiliary heads), the small variants and the CIFAR networks as the model files' docstrings
describe them; and every ImageNet variant from a torch.save'd .pth file read by nbcnn's own reader.

Weights go from torch's state_dict into nbcnn's by name (strict: every name must match), then one training-mode
pass (batch statistics, dropout at p=0) must give the same logits, the same gradient for every parameter and the
same updated running statistics. ResNet-20 with option A shortcuts also has its own test in
test_cifar_resnet_torch.py.
"""
import numpy as np
import pytest

import nbcnn
from nbcnn.models import MODELS, build_model, list_models

torch = pytest.importorskip("torch")
tnn, tF = torch.nn, torch.nn.functional


# ---------------------------------------------------------------- LeNet-5
class LeNet5(tnn.Module):
    def __init__(self, in_channels, classes, padding, act, pool):
        super().__init__()
        self.features = tnn.Sequential(tnn.Conv2d(in_channels, 6, 5, padding=padding), act(), pool(2, 2),
                                       tnn.Conv2d(6, 16, 5), act(), pool(2, 2))
        self.classifier = tnn.Sequential(tnn.Linear(16 * 5 * 5, 120), act(), tnn.Linear(120, 84), act(),
                                         tnn.Linear(84, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


# ---------------------------------------------------------------- AlexNet (torchvision.models.alexnet)
class AlexNet(tnn.Module):
    def __init__(self, classes, small=False, dropout=0.0):
        super().__init__()
        stem = tnn.Conv2d(3, 64, 5, 1, 2) if small else tnn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2)
        self.features = tnn.Sequential(
            stem, tnn.ReLU(inplace=True), tnn.MaxPool2d(kernel_size=3, stride=2),
            tnn.Conv2d(64, 192, kernel_size=5, padding=2), tnn.ReLU(inplace=True), tnn.MaxPool2d(3, 2),
            tnn.Conv2d(192, 384, kernel_size=3, padding=1), tnn.ReLU(inplace=True),
            tnn.Conv2d(384, 256, kernel_size=3, padding=1), tnn.ReLU(inplace=True),
            tnn.Conv2d(256, 256, kernel_size=3, padding=1), tnn.ReLU(inplace=True), tnn.MaxPool2d(3, 2))
        # small: 32 px leaves 3×3 maps and no pooling; torchvision: (6, 6), the identity at 224 px
        self.avgpool = tnn.Identity() if small else tnn.AdaptiveAvgPool2d((6, 6))
        flat, hidden = (256 * 3 * 3, 1024) if small else (256 * 6 * 6, 4096)
        self.classifier = tnn.Sequential(
            tnn.Dropout(p=dropout), tnn.Linear(flat, hidden), tnn.ReLU(inplace=True),
            tnn.Dropout(p=dropout), tnn.Linear(hidden, hidden), tnn.ReLU(inplace=True),
            tnn.Linear(hidden, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# ---------------------------------------------------------------- VGG-16/19 (torchvision.models.vgg16 / vgg19 / _bn)
VGG16_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
VGG19_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]


class VGG16(tnn.Module):
    def __init__(self, classes, small=False, batch_norm=False, dropout=0.0, cfg=VGG16_CFG):
        super().__init__()
        layers, c = [], 3
        for v in cfg:
            if v == "M":
                layers += [tnn.MaxPool2d(kernel_size=2, stride=2)]
            else:
                conv = tnn.Conv2d(c, v, kernel_size=3, padding=1)
                layers += [conv, tnn.BatchNorm2d(v), tnn.ReLU(inplace=True)] if batch_norm else \
                    [conv, tnn.ReLU(inplace=True)]
                c = v
        self.features = tnn.Sequential(*layers)
        if small:  # the CIFAR VGG: global average pool, one linear layer
            self.avgpool, self.classifier = tnn.AdaptiveAvgPool2d(1), tnn.Linear(512, classes)
        else:
            self.avgpool = tnn.AdaptiveAvgPool2d((7, 7))
            self.classifier = tnn.Sequential(
                tnn.Linear(512 * 7 * 7, 4096), tnn.ReLU(True), tnn.Dropout(p=dropout),
                tnn.Linear(4096, 4096), tnn.ReLU(True), tnn.Dropout(p=dropout),
                tnn.Linear(4096, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# ---------------------------------------------------------------- ResNet-18/34/50/101/152 (torchvision.models.resnet)
class BasicBlock(tnn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(tnn.Module):
    """torchvision's (ResNet v1.5): the stride sits in the 3×3 convolution."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, kernel_size=1, stride=1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.conv2 = tnn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.conv3 = tnn.Conv2d(planes, planes * self.expansion, kernel_size=1, stride=1, bias=False)
        self.bn3 = tnn.BatchNorm2d(planes * self.expansion)
        self.relu = tnn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(tnn.Module):
    def __init__(self, layers, classes, small=False, block=BasicBlock):
        super().__init__()
        self.block = block
        self.inplanes = 64
        if small:  # 3×3/1 stem, no max pool
            self.conv1 = tnn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        else:
            self.conv1 = tnn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.Identity() if small else tnn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512 * block.expansion, classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample, width = None, planes * self.block.expansion
        if stride != 1 or self.inplanes != width:
            downsample = tnn.Sequential(tnn.Conv2d(self.inplanes, width, 1, stride, bias=False),
                                        tnn.BatchNorm2d(width))
        layers = [self.block(self.inplanes, planes, stride, downsample)]
        self.inplanes = width
        layers += [self.block(width, planes) for _ in range(1, blocks)]
        return tnn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# ---------------------------------------------------------------- GoogLeNet (torchvision.models.googlenet,
# aux_logits=False, transform_input=False)
class BasicConv2d(tnn.Module):
    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = tnn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = tnn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return tF.relu(self.bn(self.conv(x)), inplace=True)


class Inception(tnn.Module):
    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = tnn.Sequential(BasicConv2d(in_channels, ch3x3red, kernel_size=1),
                                      BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1))
        # torchvision's known deviation from the paper: a 3×3 kernel where the paper has 5×5
        self.branch3 = tnn.Sequential(BasicConv2d(in_channels, ch5x5red, kernel_size=1),
                                      BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1))
        self.branch4 = tnn.Sequential(tnn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
                                      BasicConv2d(in_channels, pool_proj, kernel_size=1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNet(tnn.Module):
    def __init__(self, classes, small=False, dropout=0.0):
        super().__init__()

        def pool(k, s):
            return tnn.MaxPool2d(k, stride=s, ceil_mode=True)

        if small:  # 3×3/1 stem, the first two pools dropped
            self.conv1 = BasicConv2d(3, 64, kernel_size=3, stride=1, padding=1)
            self.maxpool1 = tnn.Identity()
        else:
            self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)
            self.maxpool1 = pool(3, 2)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = tnn.Identity() if small else pool(3, 2)
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = pool(3, 2)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = pool(2, 2)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.dropout = tnn.Dropout(p=dropout)
        self.fc = tnn.Linear(1024, classes)

    def forward(self, x):
        x = self.maxpool2(self.conv3(self.conv2(self.maxpool1(self.conv1(x)))))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4e(self.inception4d(self.inception4c(self.inception4b(self.inception4a(x)))))
        x = self.inception5b(self.inception5a(self.maxpool4(x)))
        return self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))


# ---------------------------------------------------------------- CIFAR ResNets (He et al. 2015, §4.2)
class CifarBlock(tnn.Module):
    def __init__(self, cin, cout, stride, shortcut):
        super().__init__()
        self.conv1, self.bn1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False), tnn.BatchNorm2d(cout)
        self.conv2, self.bn2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False), tnn.BatchNorm2d(cout)
        self.kind, self.stride, self.extra = shortcut, stride, cout - cin
        if shortcut == "B" and (stride != 1 or cin != cout):
            self.shortcut = tnn.Sequential(tnn.Conv2d(cin, cout, 1, stride, bias=False), tnn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.bn2(self.conv2(tF.relu(self.bn1(self.conv1(x)))))
        if self.kind is None:  # plain network
            return tF.relu(out)
        if self.stride != 1 or self.extra:
            if self.kind == "B":
                x = self.shortcut(x)
            else:
                x = tF.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.extra // 2, self.extra // 2))
        return tF.relu(out + x)


class CifarResNet(tnn.Module):
    def __init__(self, depth, classes, shortcut):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1, self.bn1 = tnn.Conv2d(3, 16, 3, 1, 1, bias=False), tnn.BatchNorm2d(16)
        for i, (cin, cout, stride) in enumerate([(16, 16, 1), (16, 32, 2), (32, 64, 2)], start=1):
            blocks = [CifarBlock(cin, cout, stride, shortcut)] + [CifarBlock(cout, cout, 1, shortcut)
                                                                  for _ in range(n - 1)]
            setattr(self, f"layer{i}", tnn.Sequential(*blocks))
        self.avgpool = tnn.AdaptiveAvgPool2d(1)
        self.fc = tnn.Linear(64, classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(tF.relu(self.bn1(self.conv1(x))))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# ---------------------------------------------------------------- fastnet (airbench94)
class ConvGroup(tnn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = tnn.Conv2d(cin, cout, 3, padding="same", bias=False)
        self.pool = tnn.MaxPool2d(2)
        self.norm1 = tnn.BatchNorm2d(cout, eps=1e-12, momentum=0.4)
        self.conv2 = tnn.Conv2d(cout, cout, 3, padding="same", bias=False)
        self.norm2 = tnn.BatchNorm2d(cout, eps=1e-12, momentum=0.4)
        self.activation = tnn.GELU()
        self.norm1.weight.requires_grad = self.norm2.weight.requires_grad = False  # airbench trains BN biases only

    def forward(self, x):
        x = self.activation(self.norm1(self.pool(self.conv1(x))))
        return self.activation(self.norm2(self.conv2(x)))


class FastNet(tnn.Module):
    def __init__(self, classes):
        super().__init__()
        self.whiten = tnn.Conv2d(3, 24, 2)  # frozen weight (set from data in nbcnn; random here), trained bias
        self.whiten.weight.requires_grad = False
        self.activation = tnn.GELU()
        self.group1, self.group2, self.group3 = ConvGroup(24, 64), ConvGroup(64, 256), ConvGroup(256, 256)
        self.pool = tnn.MaxPool2d(3)  # 32 px: 31 → 15 → 7 → 3 left after the groups
        self.head = tnn.Linear(256, classes, bias=False)

    def forward(self, x):
        x = self.group3(self.group2(self.group1(self.activation(self.whiten(x)))))
        return self.head(torch.flatten(self.pool(x), 1)) / 9


# ---------------------------------------------------------------- the cases
CASES = [
    # id, nbcnn name, options, torch model, input (C, H, W)
    ("lenet", "lenet", {}, lambda: LeNet5(1, 10, 2, tnn.ReLU, tnn.MaxPool2d), (1, 28, 28)),
    ("lenet-1998", "lenet", dict(activation="tanh", pooling="avg"),
     lambda: LeNet5(1, 10, 0, tnn.Tanh, tnn.AvgPool2d), (1, 32, 32)),
    ("alexnet-small", "alexnet", dict(dropout=0.0), lambda: AlexNet(10, small=True), (3, 32, 32)),
    # torchvision's adaptive pools are the identity only where the features end at 6×6 (AlexNet) or 7×7 (VGG):
    # 224 px; elsewhere nbcnn sizes the first linear layer from the features instead.
    ("alexnet-imagenet", "alexnet", dict(dropout=0.0), lambda: AlexNet(10), (3, 224, 224)),
    ("vgg16-small", "vgg16", dict(dropout=0.0), lambda: VGG16(10, small=True, batch_norm=True), (3, 32, 32)),
    pytest.param("vgg16-imagenet", "vgg16", dict(dropout=0.0), lambda: VGG16(10), (3, 224, 224),
                 marks=pytest.mark.slow),  # 45 GFLOP forward and backward: about 30 s on one core
    ("resnet18-small", "resnet18", {}, lambda: ResNet((2, 2, 2, 2), 10, small=True), (3, 32, 32)),
    ("resnet18-imagenet", "resnet18", {}, lambda: ResNet((2, 2, 2, 2), 10), (3, 96, 96)),
    ("resnet34-small", "resnet34", {}, lambda: ResNet((3, 4, 6, 3), 10, small=True), (3, 32, 32)),
    ("resnet34-imagenet", "resnet34", {}, lambda: ResNet((3, 4, 6, 3), 10), (3, 96, 96)),
    ("resnet50-small", "resnet50", {}, lambda: ResNet((3, 4, 6, 3), 10, small=True, block=Bottleneck), (3, 16, 16)),
    ("resnet50-imagenet", "resnet50", dict(variant="imagenet"), lambda: ResNet((3, 4, 6, 3), 10, block=Bottleneck),
     (3, 64, 64)),
    # the deeper two differ from ResNet-50 only in block counts; ImageNet stem, 33 px (odd sizes through every
    # stride) to keep 60 M float64 weights' passes short
    ("resnet101-imagenet", "resnet101", dict(variant="imagenet"),
     lambda: ResNet((3, 4, 23, 3), 10, block=Bottleneck), (3, 33, 33)),
    ("resnet152-imagenet", "resnet152", dict(variant="imagenet"),
     lambda: ResNet((3, 8, 36, 3), 10, block=Bottleneck), (3, 33, 33)),
    ("vgg19-small", "vgg19", dict(dropout=0.0), lambda: VGG16(10, small=True, batch_norm=True, cfg=VGG19_CFG),
     (3, 32, 32)),
    pytest.param("vgg19-imagenet", "vgg19", dict(dropout=0.0), lambda: VGG16(10, cfg=VGG19_CFG), (3, 224, 224),
                 marks=pytest.mark.slow),
    # sizes where every ceil_mode pool has a cut last window, one more than without ceil_mode
    # (30 px: 30 → 15 → 8; 80 px: 40 → 20 → 10 → 5 → 3)
    ("googlenet-small", "googlenet", dict(dropout=0.0), lambda: GoogLeNet(10, small=True), (3, 30, 30)),
    ("googlenet-imagenet", "googlenet", dict(dropout=0.0, variant="imagenet"), lambda: GoogLeNet(10), (3, 80, 80)),
    *[(f"{name}{'-B' if shortcut == 'B' else ''}", name, {"shortcut": shortcut} if shortcut else {},
       (lambda d=int("".join(filter(str.isdigit, name))), s=shortcut: CifarResNet(d, 10, s)), (3, 32, 32))
      for name, shortcut in [("resnet20", "B"), ("resnet32", "A"), ("resnet44", "A"), ("resnet56", "A"),
                             ("resnet110", "A"), ("plain20", None), ("plain32", None), ("plain44", None),
                             ("plain56", None)]],
    ("fastnet", "fastnet", {}, lambda: FastNet(10), (3, 32, 32)),
]
RTOL = 1e-7  # float64 throughout: float32 sums over VGG's vanishing gradients compare by luck


def test_every_registry_model_has_a_case():
    covered = {case.values[1] if hasattr(case, "values") else case[1] for case in CASES}
    assert covered == set(list_models())  # resnet20 with option A: test_cifar_resnet_torch.py


def _perturb_batch_norms(model, generator):
    """Away from weight 1, bias 0, mean 0, var 1, so that a swapped or dropped buffer shows."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, tnn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5, generator=generator)
                m.bias.normal_(0.0, 0.2, generator=generator)
                m.running_mean.normal_(0.0, 0.2, generator=generator)
                m.running_var.uniform_(0.5, 1.5, generator=generator)
                m.num_batches_tracked.fill_(3)


def _max_diffs(ours, theirs):
    diff = np.abs(ours - theirs).max()
    return diff, diff / max(np.abs(theirs).max(), 1e-300)


@pytest.mark.parametrize("case, name, options, make_torch, shape", CASES,
                         ids=[c.values[0] if hasattr(c, "values") else c[0] for c in CASES])
def test_model_matches_pytorch(case, name, options, make_torch, shape):
    torch.manual_seed(0)
    theirs = make_torch().double()
    _perturb_batch_norms(theirs, torch.Generator().manual_seed(1))
    ours = build_model(name, shape[0], shape[1:], 10, **options)
    for t in list(ours.parameters()) + [b for _, b in ours.named_buffers()]:
        if t.dtype.kind == "f":
            t.data = t.data.astype(np.float64)
    # by name, strict: a name nbcnn spells differently from torchvision fails here
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.train(), theirs.train()

    batch = 1 if shape[1] >= 224 else 2  # the 224-px nets have no batch norm; one image keeps them cheap
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((batch,) + shape), np.array([3, 7])[:batch]
    logits = ours(nbcnn.tensor(x))
    nbcnn.nn.functional.cross_entropy(logits, nbcnn.tensor(y)).backward()
    tlogits = theirs(torch.tensor(x))
    tF.cross_entropy(tlogits, torch.tensor(y)).backward()

    worst = {"logits": _max_diffs(logits.numpy(), tlogits.detach().numpy())}
    np.testing.assert_allclose(logits.numpy(), tlogits.detach().numpy(), rtol=RTOL,
                               atol=RTOL * np.abs(tlogits.detach().numpy()).max(), err_msg="logits")
    ours_params = dict(ours.named_parameters())
    trained = {k: p for k, p in theirs.named_parameters() if p.requires_grad}
    assert {k for k, p in ours_params.items() if p.requires_grad} == set(trained)
    # a gradient that is zero in exact arithmetic (a convolution's bias before batch norm) is rounding noise in
    # both: its floor is set by the largest gradient in the model
    floor = 1e-12 * max(float(p.grad.abs().max()) for p in trained.values())
    for k, p in trained.items():
        g, tg = ours_params[k].grad.numpy(), p.grad.numpy()
        worst[k] = _max_diffs(g, tg)
        np.testing.assert_allclose(g, tg, rtol=RTOL, atol=max(RTOL * np.abs(tg).max(), floor), err_msg=k)
    ours_state = ours.state_dict()
    for k, v in theirs.state_dict().items():  # running statistics after the update, and the batch count
        np.testing.assert_allclose(np.asarray(ours_state[k], dtype=np.float64), v.double().numpy(),
                                   rtol=RTOL, atol=RTOL * float(v.abs().max()), err_msg=k)
    grads = [v for k, v in worst.items() if k != "logits"]
    print(f"\n{case}: logits max abs {worst['logits'][0]:.2e} rel {worst['logits'][1]:.2e}; "
          f"grads max abs {max(a for a, _ in grads):.2e} rel {max(r for _, r in grads):.2e}")


# ---------------------------------------------------------------- torchvision-layout weights from .pth files
PTH_CASES = [  # nbcnn name, torch model, input size; eval mode, float32 as torch saved it
    ("alexnet", lambda: AlexNet(10), 224),
    pytest.param("vgg16", lambda: VGG16(10), 224, marks=pytest.mark.slow),
    pytest.param("vgg19", lambda: VGG16(10, cfg=VGG19_CFG), 224, marks=pytest.mark.slow),
    ("resnet18", lambda: ResNet((2, 2, 2, 2), 10), 64),
    ("resnet34", lambda: ResNet((3, 4, 6, 3), 10), 64),
    ("resnet50", lambda: ResNet((3, 4, 6, 3), 10, block=Bottleneck), 64),
    ("resnet101", lambda: ResNet((3, 4, 23, 3), 10, block=Bottleneck), 64),
    ("resnet152", lambda: ResNet((3, 8, 36, 3), 10, block=Bottleneck), 64),
    ("googlenet", lambda: GoogLeNet(10), 80),
]


def test_every_imagenet_model_has_a_pth_case():
    names = {c.values[0] if hasattr(c, "values") else c[0] for c in PTH_CASES}
    assert names == {n for n, spec in MODELS.items() if "variant" in spec.options}


@pytest.mark.parametrize("name, make_torch, size", PTH_CASES,
                         ids=[c.values[0] if hasattr(c, "values") else c[0] for c in PTH_CASES])
def test_pth_weights_give_torchs_logits(name, make_torch, size, tmp_path):
    """The issue's criterion: the ImageNet variant, given torch's state_dict through a torch.save'd file read by
    nbcnn's own reader, gives torch's eval-mode logits within 1e-4 relative to their largest."""
    torch.manual_seed(0)
    theirs = make_torch().eval()
    _perturb_batch_norms(theirs, torch.Generator().manual_seed(1))
    path = tmp_path / f"{name}.pth"
    torch.save(theirs.state_dict(), path)
    ours = build_model(name, 3, size, 10, variant="imagenet").eval()
    ours.load_state_dict(nbcnn.load_torch_state_dict(path))
    x = np.random.default_rng(2).standard_normal((2, 3, size, size)).astype(np.float32)
    with nbcnn.no_grad():
        logits = ours(nbcnn.tensor(x)).numpy()
    with torch.no_grad():
        want = theirs(torch.tensor(x)).numpy()
    diff, rel = _max_diffs(logits.astype(np.float64), want.astype(np.float64))
    print(f"\n{name} ({size} px, from .pth): logits max abs {diff:.2e} rel {rel:.2e}")
    assert rel < 1e-4
