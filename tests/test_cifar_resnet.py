"""The CIFAR ResNets and plain nets: parameter counts against the published ones and against counts made here from
layer shapes, what option A's shortcut computes, gradients through a block, a training step, and the same network
written independently in PyTorch."""
import numpy as np
import pytest

import nbcnn
import nbcnn.nn as nn
from gradcheck import check_gradients
from nbcnn.models import CifarBasicBlock, build_model, count_parameters
from nbcnn.summary import summarize
from test_models import bn, conv, fc

# He et al. 2015, Table 6; 272,474 is ResNet-20 with projection (option B) shortcuts
PUBLISHED = [("resnet20", {}, 269_722), ("resnet20", {"shortcut": "B"}, 272_474), ("resnet56", {}, 853_018),
             ("resnet110", {}, 1_727_962)]
DEPTHS = {"resnet20": 20, "resnet32": 32, "resnet44": 44, "resnet56": 56, "resnet110": 110, "plain20": 20,
          "plain32": 32, "plain44": 44, "plain56": 56}


def cifar_params(depth, c=3, classes=10, projection=False):
    total, planes = conv(c, 16, 3, bias=False) + bn(16), 16
    for stage, width in enumerate((16, 32, 64)):
        for b in range((depth - 2) // 6):
            total += conv(planes, width, 3, False) + bn(width) + conv(width, width, 3, False) + bn(width)
            if projection and b == 0 and stage > 0:
                total += conv(planes, width, 1, False) + bn(width)
            planes = width
    return total + fc(64, classes)


def float64(model):
    for t in list(model.parameters()) + [b for _, b in model.named_buffers()]:
        if t.dtype.kind == "f":
            t.data = t.data.astype(np.float64)
    return model


# ---------------------------------------------------------------- counts and shapes
@pytest.mark.parametrize("name, options, expected", PUBLISHED)
def test_published_parameter_counts(name, options, expected):
    assert count_parameters(build_model(name, **options)) == expected


@pytest.mark.parametrize("name", list(DEPTHS))
def test_counts_from_layer_shapes(name):
    assert count_parameters(build_model(name)) == cifar_params(DEPTHS[name])
    assert count_parameters(build_model(name, 1, 28, 7)) == cifar_params(DEPTHS[name], c=1, classes=7)


def test_plain_nets_have_no_shortcuts():
    plain, residual = build_model("plain20"), build_model("resnet20", shortcut="B")
    assert count_parameters(plain) == count_parameters(build_model("resnet20"))
    assert not any(block.residual for block in plain.modules() if isinstance(block, CifarBasicBlock))
    assert residual.layer2[0].shortcut[0].stride == (2, 2) and residual.layer2[1].shortcut is None


@pytest.mark.parametrize("name, c, size, stages", [("resnet20", 3, 32, (32, 16, 8)), ("resnet56", 1, 28, (28, 14, 7)),
                                                   ("plain32", 3, 30, (30, 15, 8))])
def test_stage_shapes(name, c, size, stages):
    layers = {row.name: row.output_shape for row in summarize(build_model(name, c, size, 10), (2, c, size, size))
              .layers}
    for i, (width, side) in enumerate(zip((16, 32, 64), stages), start=1):
        assert layers[f"layer{i}.{(DEPTHS[name] - 2) // 6 - 1}.relu"] == (2, width, side, side)
    assert layers["fc"] == (2, 10)


def test_names_and_init():
    model = build_model("resnet20")
    state = model.state_dict()
    for key, shape in [("conv1.weight", (16, 3, 3, 3)), ("bn1.running_var", (16,)),
                       ("layer3.2.conv2.weight", (64, 64, 3, 3)), ("fc.weight", (10, 64))]:
        assert state[key].shape == shape
    assert not any(".shortcut." in key for key in state)  # option A has no parameters
    weight = model.layer2[0].conv1.weight.numpy()  # fan_in 16·3·3, fan_out 32·3·3: the two std differ by √2
    assert abs(weight.std() / np.sqrt(2 / (16 * 9)) - 1) < 0.05


def test_unknown_shortcut():
    with pytest.raises(ValueError, match="unknown shortcut 'C'; choose one of A, B"):
        build_model("resnet20", shortcut="c")


# ---------------------------------------------------------------- what option A computes
def test_option_a_pads_channels_equally_around_the_subsampled_input():
    block = CifarBasicBlock(4, 8, stride=2)
    for conv_layer in (block.conv1, block.conv2):
        conv_layer.weight.data[...] = 0  # the residual branch is then bn2's bias, 0: the block is relu(shortcut)
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 5)).astype(np.float32)
    expected = np.zeros((2, 8, 3, 3), np.float32)
    expected[:, 2:6] = np.maximum(x[:, :, ::2, ::2], 0)
    np.testing.assert_allclose(block(nbcnn.tensor(x)).numpy(), expected, atol=1e-6)


@pytest.mark.parametrize("shortcut", ["A", "B"])
def test_downsampling_block_gradient(shortcut):
    nbcnn.manual_seed(0)
    block = float64(CifarBasicBlock(2, 4, stride=2, shortcut=shortcut))
    x = np.random.default_rng(1).standard_normal((2, 2, 4, 4))
    check_gradients(block, x, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- running
@pytest.mark.parametrize("name", ["resnet20", "plain20"])
def test_training_step_reaches_every_parameter(name):
    nbcnn.manual_seed(0)
    model = build_model(name, 3, 8, 10)
    optimizer = nbcnn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = nbcnn.randn(4, 3, 8, 8), nbcnn.tensor([1, 5, 9, 0])
    losses = []
    for _ in range(3):
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    for pname, p in model.named_parameters():
        assert p.grad is not None and np.all(np.isfinite(p.grad.numpy())), pname
        assert np.any(p.grad.numpy() != 0), pname
    assert losses[-1] < losses[0]


def test_mnist_sized_input_runs():
    model = build_model("resnet20", 1, 28, 10).eval()
    with nbcnn.no_grad():
        assert model(nbcnn.randn(1, 1, 28, 28)).shape == (1, 10)
