"""The model zoo: parameter counts against the published numbers and against counts made here from layer shapes,
torchvision names, variant choice, and small forward/backward passes (224-px models are built, never run)."""
import functools
import inspect

import numpy as np
import pytest

import nbcnn
import nbcnn.nn as nn
from nbcnn.models import MODELS, Identity, build_model, count_parameters, list_models

PUBLISHED = {"lenet": 61_706, "alexnet": 61_100_840, "vgg16": 138_357_544, "vgg19": 143_667_240,
             "resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032, "resnet101": 44_549_160,
             "resnet152": 60_192_808}
CANONICAL = {"lenet": (1, 28, 10), "alexnet": (3, 224, 1000), "vgg16": (3, 224, 1000), "vgg19": (3, 224, 1000),
             "resnet18": (3, 224, 1000), "resnet34": (3, 224, 1000), "resnet50": (3, 224, 1000),
             "resnet101": (3, 224, 1000), "resnet152": (3, 224, 1000), "googlenet": (3, 224, 1000)}
BOTTLENECK_STAGES = {"resnet50": (3, 4, 6, 3), "resnet101": (3, 4, 23, 3), "resnet152": (3, 8, 36, 3)}
CIFAR = ["resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "plain20", "plain32", "plain44", "plain56"]

# ---------------------------------------------------------------- counts from layer shapes, written out here
VGG16_WIDTHS = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
VGG19_WIDTHS = [64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512]
# GoogLeNet's Table 1: in, 1×1, 3×3 reduce, 3×3, 5×5 reduce, 5×5, pool projection
GOOGLENET_BLOCKS = [(192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64),
                    (480, 192, 96, 208, 16, 48, 64), (512, 160, 112, 224, 24, 64, 64),
                    (512, 128, 128, 256, 24, 64, 64), (512, 112, 144, 288, 32, 64, 64),
                    (528, 256, 160, 320, 32, 128, 128), (832, 256, 160, 320, 32, 128, 128),
                    (832, 384, 192, 384, 48, 128, 128)]


def conv(c, k, f, bias=True):
    return (f * f * c + bias) * k


def fc(n_in, n_out):
    return (n_in + 1) * n_out


def bn(c):
    return 2 * c


def lenet_params(c=1, classes=10, flat=16 * 5 * 5):
    return conv(c, 6, 5) + conv(6, 16, 5) + fc(flat, 120) + fc(120, 84) + fc(84, classes)


def alexnet_params(c=3, classes=1000, stem=11, flat=256 * 6 * 6, hidden=4096):
    convs = conv(c, 64, stem) + conv(64, 192, 5) + conv(192, 384, 3) + conv(384, 256, 3) + conv(256, 256, 3)
    return convs + fc(flat, hidden) + fc(hidden, hidden) + fc(hidden, classes)


def vgg16_params(c=3, classes=1000, batch_norm=False, small=False, widths=VGG16_WIDTHS):
    total, channels = 0, c
    for k in widths:
        total += conv(channels, k, 3) + (bn(k) if batch_norm else 0)
        channels = k
    head = fc(512, classes) if small else fc(512 * 7 * 7, 4096) + fc(4096, 4096) + fc(4096, classes)
    return total + head


def resnet_params(blocks, c=3, classes=1000, stem=7):
    total, planes = conv(c, 64, stem, bias=False) + bn(64), 64
    for stage, (width, count) in enumerate(zip((64, 128, 256, 512), blocks)):
        for b in range(count):
            total += conv(planes, width, 3, False) + bn(width) + conv(width, width, 3, False) + bn(width)
            if b == 0 and stage > 0:
                total += conv(planes, width, 1, False) + bn(width)
            planes = width
    return total + fc(512, classes)


def bottleneck_params(blocks, c=3, classes=1000, stem=7):
    """1×1 down to the stage width, 3×3, 1×1 up to four times it; a projection where the shape changes."""
    total, planes = conv(c, 64, stem, bias=False) + bn(64), 64
    for width, count in zip((64, 128, 256, 512), blocks):
        for b in range(count):
            total += conv(planes, width, 1, False) + conv(width, width, 3, False) + conv(width, 4 * width, 1, False)
            total += bn(width) + bn(width) + bn(4 * width)
            if b == 0:  # every stage's first block widens (layer1: 64 -> 256) or strides
                total += conv(planes, 4 * width, 1, False) + bn(4 * width)
            planes = 4 * width
    return total + fc(2048, classes)


def googlenet_params(c=3, classes=1000, stem=7, branch3=3):
    def unit(c_in, k, f):
        return conv(c_in, k, f, bias=False) + bn(k)

    total = unit(c, 64, stem) + unit(64, 64, 1) + unit(64, 192, 3)
    for c_in, a, b_red, b, c_red, c5, d in GOOGLENET_BLOCKS:
        total += unit(c_in, a, 1) + unit(c_in, b_red, 1) + unit(b_red, b, 3)
        total += unit(c_in, c_red, 1) + unit(c_red, c5, branch3) + unit(c_in, d, 1)
    return total + fc(1024, classes)


INDEPENDENT = {"lenet": lenet_params(), "alexnet": alexnet_params(), "vgg16": vgg16_params(),
               "vgg19": vgg16_params(widths=VGG19_WIDTHS),
               "resnet18": resnet_params((2, 2, 2, 2)), "resnet34": resnet_params((3, 4, 6, 3)),
               **{name: bottleneck_params(blocks) for name, blocks in BOTTLENECK_STAGES.items()},
               "googlenet": googlenet_params()}


@functools.lru_cache(maxsize=None)
def canonical_model(name):
    """Each canonical model once per session: VGG-16's 138 M weights take seconds to draw."""
    c, size, classes = CANONICAL[name]
    return build_model(name, c, size, classes)


# ---------------------------------------------------------------- parameter counts
def test_registry_lists_every_family():
    assert list_models() == list(CANONICAL) + CIFAR + ["fastnet"]  # fastnet's count: tests/test_fastnet.py


@pytest.mark.parametrize("name", list(CANONICAL))
def test_canonical_parameter_counts(name):
    count = count_parameters(canonical_model(name))
    assert count == INDEPENDENT[name]
    if name in PUBLISHED:
        assert count == PUBLISHED[name]


def test_googlenet_matches_torchvision_without_aux_heads():
    assert INDEPENDENT["googlenet"] == 6_624_904


@pytest.mark.parametrize("name, c, size, expected", [
    ("lenet", 3, 32, lenet_params(c=3)),
    ("alexnet", 3, 32, alexnet_params(stem=5, flat=256 * 3 * 3, hidden=1024, classes=10)),
    ("alexnet", 1, 28, alexnet_params(c=1, stem=5, flat=256 * 2 * 2, hidden=1024, classes=10)),
    ("vgg16", 3, 32, vgg16_params(classes=10, batch_norm=True, small=True)),
    ("vgg16", 1, 28, vgg16_params(c=1, classes=10, batch_norm=True, small=True)),
    ("resnet18", 3, 32, resnet_params((2, 2, 2, 2), classes=10, stem=3)),
    ("resnet34", 3, 32, resnet_params((3, 4, 6, 3), classes=10, stem=3)),
    ("vgg19", 3, 32, vgg16_params(classes=10, batch_norm=True, small=True, widths=VGG19_WIDTHS)),
    *[(name, 3, 32, bottleneck_params(blocks, classes=10, stem=3)) for name, blocks in BOTTLENECK_STAGES.items()],
    ("googlenet", 3, 32, googlenet_params(classes=10, stem=3)),
])
def test_small_variant_parameter_counts(name, c, size, expected):
    assert count_parameters(build_model(name, c, size, 10)) == expected


def test_options_change_counts_as_expected():
    assert count_parameters(build_model("vgg16", 3, 32, 10, batch_norm=False)) == vgg16_params(classes=10,
                                                                                              small=True)
    assert count_parameters(build_model("googlenet", 3, 32, 10, branch3_kernel=5)) == googlenet_params(
        classes=10, stem=3, branch3=5)
    lrn = build_model("alexnet", 3, 32, 10, lrn=True)
    assert count_parameters(lrn) == count_parameters(build_model("alexnet", 3, 32, 10))
    assert sum(isinstance(m, nn.LocalResponseNorm) for m in lrn.modules()) == 2
    assert all(m.k == 2.0 and m.size == 5 for m in lrn.modules() if isinstance(m, nn.LocalResponseNorm))


# ---------------------------------------------------------------- layouts and names
def test_torchvision_parameter_names():
    alexnet = [n for n, _ in canonical_model("alexnet").named_parameters()]
    assert alexnet == [f"{part}.{i}.{p}" for part, idx in (("features", (0, 3, 6, 8, 10)),
                                                          ("classifier", (1, 4, 6))) for i in idx
                       for p in ("weight", "bias")]
    vgg_convs = [n for n, _ in canonical_model("vgg16").named_parameters() if n.endswith("weight")]
    assert vgg_convs[:3] == ["features.0.weight", "features.2.weight", "features.5.weight"]
    assert vgg_convs[-3:] == ["classifier.0.weight", "classifier.3.weight", "classifier.6.weight"]
    state = canonical_model("resnet18").state_dict()
    for key, shape in [("conv1.weight", (64, 3, 7, 7)), ("bn1.running_var", (64,)),
                       ("layer2.0.downsample.0.weight", (128, 64, 1, 1)), ("layer4.1.bn2.bias", (512,)),
                       ("fc.weight", (1000, 512))]:
        assert state[key].shape == shape
    assert "layer1.0.downsample.0.weight" not in state
    state = canonical_model("resnet50").state_dict()
    for key, shape in [("layer1.0.conv1.weight", (64, 64, 1, 1)), ("layer1.0.conv3.weight", (256, 64, 1, 1)),
                       ("layer1.0.downsample.0.weight", (256, 64, 1, 1)), ("layer2.0.conv2.weight", (128, 128, 3, 3)),
                       ("layer4.2.bn3.running_mean", (2048,)), ("fc.weight", (1000, 2048))]:
        assert state[key].shape == shape
    assert canonical_model("resnet50").layer2[0].conv2.stride == (2, 2)  # v1.5: the 3×3 strides, not the 1×1
    assert canonical_model("resnet50").layer2[0].conv1.stride == (1, 1)
    assert "layer3.35.conv3.weight" in canonical_model("resnet152").state_dict()
    vgg19 = [n for n, _ in canonical_model("vgg19").named_parameters() if n.endswith("weight")]
    assert vgg19[-4:] == ["features.34.weight", "classifier.0.weight", "classifier.3.weight", "classifier.6.weight"]
    google = canonical_model("googlenet").state_dict()
    assert google["inception4e.branch3.1.conv.weight"].shape == (128, 32, 3, 3)
    assert google["inception5b.branch4.1.bn.running_mean"].shape == (128,)


def test_lenet_original_and_modern():
    original = build_model("lenet", activation="tanh", pooling="avg")
    types = [type(m).__name__ for m in original.features]
    assert types == ["Conv2d", "Tanh", "AvgPool2d", "Conv2d", "Tanh", "AvgPool2d"]
    assert [type(m).__name__ for m in build_model("lenet").features][1:3] == ["ReLU", "MaxPool2d"]
    assert build_model("lenet").features[0].padding == (2, 2)
    assert build_model("lenet", 1, 32).features[0].padding == (0, 0)


def test_variant_follows_input_size_unless_told():
    assert isinstance(build_model("resnet18", 3, 32, 10).maxpool, Identity)
    assert isinstance(build_model("resnet18", 3, 96, 10).maxpool, nn.MaxPool2d)
    assert isinstance(build_model("resnet18", 3, 32, 10, variant="imagenet").maxpool, nn.MaxPool2d)
    assert build_model("googlenet", 3, 64, 10).conv1.conv.kernel_size == (3, 3)


def test_resnet_follows_torchvision_init():
    model = build_model("resnet18", 3, 32, 10)
    weight = model.layer4[1].conv2.weight.numpy()  # fan_out 512·3·3
    assert abs(weight.std() / np.sqrt(2 / (512 * 9)) - 1) < 0.02
    assert np.all(model.layer4[1].bn2.weight.numpy() == 1) and np.all(model.layer4[1].bn2.bias.numpy() == 0)


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("name, c, size, options, layer", [
    ("lenet", 1, 8, {}, "features.3"),
    ("vgg16", 3, 16, {}, "features.43"),
    ("alexnet", 3, 6, {}, "features.5"),
    ("alexnet", 3, 14, {}, "features.12"),
    ("alexnet", 3, 62, {"variant": "imagenet"}, "features.12"),
])
def test_too_small_input_names_the_layer(name, c, size, options, layer):
    with pytest.raises(ValueError, match=rf"{layer}: input shape .* below 1"):
        build_model(name, c, size, 10, **options)


def test_registry_options_are_the_builders_keywords():
    for name, spec in MODELS.items():
        keywords = list(inspect.signature(spec.build).parameters)
        assert keywords[:3] == ["in_channels", "input_size", "num_classes"]
        assert keywords[3:] == list(spec.options), name


def test_unknown_names_list_the_choices():
    with pytest.raises(ValueError, match="unknown model 'vgg11'; choose one of lenet, alexnet"):
        build_model("vgg11")
    with pytest.raises(ValueError, match="choose one of small, imagenet"):
        build_model("resnet18", variant="cifar")
    with pytest.raises(ValueError, match="choose one of relu, tanh, sigmoid"):
        build_model("lenet", activation="gelu")
    with pytest.raises(ValueError, match="lenet has no option 'lrn'; its options: activation, pooling"):
        build_model("lenet", lrn=True)


# ---------------------------------------------------------------- running the small variants
@pytest.mark.parametrize("name, c, size", [("lenet", 1, 28), ("alexnet", 3, 32), ("vgg16", 1, 28), ("vgg19", 3, 32),
                                           ("resnet18", 3, 16), ("resnet34", 3, 16), ("resnet50", 3, 16),
                                           ("googlenet", 3, 16)])
def test_small_variants_forward(name, c, size):
    nbcnn.manual_seed(0)
    model = build_model(name, c, size, 7).eval()
    with nbcnn.no_grad():
        out = model(nbcnn.randn(2, c, size, size))
    assert out.shape == (2, 7) and np.all(np.isfinite(out.numpy()))


def test_resnet18_cifar_backward_reaches_every_parameter():
    nbcnn.manual_seed(0)
    model = build_model("resnet18", 3, 32, 10)
    loss = nn.functional.cross_entropy(model(nbcnn.randn(2, 3, 32, 32)), nbcnn.tensor([3, 7]))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert p.grad.shape == p.shape and np.all(np.isfinite(p.grad.numpy())), name
        assert np.any(p.grad.numpy() != 0), name
