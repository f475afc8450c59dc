"""nbcnn.summary and `nbcnn summary`: totals against counts made here from layer shapes, the shape-only pass
against a real forward, conv and linear formulas on random shapes, and the command's output and errors."""
import json

import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings, strategies as st

import nbcnn
import nbcnn.nn as nn
from nbcnn import function
from nbcnn.models import build_model
from nbcnn.summary import summarize
from nbcnn_cli.main import main
from test_models import (BOTTLENECK_STAGES, CANONICAL, CIFAR, GOOGLENET_BLOCKS, INDEPENDENT, VGG16_WIDTHS,
                         VGG19_WIDTHS, bn, canonical_model, conv, fc, resnet_params, vgg16_params)

FAST = settings(max_examples=40, deadline=None)


# ---------------------------------------------------------------- mult-adds from layer shapes, written out here
def conv_ma(out, c, k, f):
    return out * out * k * c * f * f


def lenet_ma():
    return conv_ma(28, 1, 6, 5) + conv_ma(10, 6, 16, 5) + 400 * 120 + 120 * 84 + 84 * 10


def alexnet_ma():
    convs = conv_ma(55, 3, 64, 11) + conv_ma(27, 64, 192, 5) + conv_ma(13, 192, 384, 3) + conv_ma(13, 384, 256, 3)
    return convs + conv_ma(13, 256, 256, 3) + 9216 * 4096 + 4096 * 4096 + 4096 * 1000


def vgg_ma(widths, per_stage):
    sizes = [s for s, n in zip((224, 112, 56, 28, 14), per_stage) for _ in range(n)]
    channels = [3] + widths[:-1]
    convs = sum(conv_ma(s, c, k, 3) for s, c, k in zip(sizes, channels, widths))
    return convs + 25088 * 4096 + 4096 * 4096 + 4096 * 1000


def resnet_ma(blocks):
    total, planes = conv_ma(112, 3, 64, 7), 64
    for stage, (width, size, count) in enumerate(zip((64, 128, 256, 512), (56, 28, 14, 7), blocks)):
        for b in range(count):
            total += conv_ma(size, planes, width, 3) + conv_ma(size, width, width, 3)
            if b == 0 and stage > 0:
                total += conv_ma(size, planes, width, 1)
            planes = width
    return total + 512 * 1000


def bottleneck_ma(blocks):
    total, planes, size = conv_ma(112, 3, 64, 7), 64, 56
    for stage, (width, count) in enumerate(zip((64, 128, 256, 512), blocks)):
        for b in range(count):
            strided = b == 0 and stage > 0
            out = size // 2 if strided else size
            total += conv_ma(size, planes, width, 1) + conv_ma(out, width, width, 3) + conv_ma(out, width, 4 * width, 1)
            if b == 0:
                total += conv_ma(out, planes, 4 * width, 1)
            planes, size = 4 * width, out
    return total + 2048 * 1000


def googlenet_ma():
    total = conv_ma(112, 3, 64, 7) + conv_ma(56, 64, 64, 1) + conv_ma(56, 64, 192, 3)
    for (c_in, a, b_red, b, c_red, c5, d), s in zip(GOOGLENET_BLOCKS, [28] * 2 + [14] * 5 + [7] * 2):
        total += conv_ma(s, c_in, a, 1) + conv_ma(s, c_in, b_red, 1) + conv_ma(s, b_red, b, 3)
        total += conv_ma(s, c_in, c_red, 1) + conv_ma(s, c_red, c5, 3) + conv_ma(s, c_in, d, 1)
    return total + 1024 * 1000


MULT_ADDS = {"lenet": lenet_ma(), "alexnet": alexnet_ma(), "vgg16": vgg_ma(VGG16_WIDTHS, (2, 2, 3, 3, 3)),
             "vgg19": vgg_ma(VGG19_WIDTHS, (2, 2, 4, 4, 4)), "resnet18": resnet_ma((2, 2, 2, 2)),
             "resnet34": resnet_ma((3, 4, 6, 3)), "googlenet": googlenet_ma(),
             **{name: bottleneck_ma(blocks) for name, blocks in BOTTLENECK_STAGES.items()}}
PUBLISHED_MULT_ADDS = {"lenet": "416,520", "vgg16": "15.47 G", "vgg19": "19.63 G", "resnet18": "1.81 G",
                       "resnet34": "3.66 G", "resnet50": "4.09 G", "resnet101": "7.80 G", "resnet152": "11.51 G"}


@pytest.mark.parametrize("name", list(CANONICAL))
def test_totals_equal_counts_from_layer_shapes(name):
    c, size, _ = CANONICAL[name]
    result = summarize(canonical_model(name), (1, c, size, size))
    assert result.total_params == result.trainable_params == INDEPENDENT[name]
    assert result.total_mult_adds == MULT_ADDS[name]
    assert sum(row.params for row in result.layers) == result.total_params
    assert result.param_bytes == 4 * result.total_params


@pytest.mark.parametrize("name, text", PUBLISHED_MULT_ADDS.items())
def test_published_mult_adds(name, text):
    c, size, _ = CANONICAL[name]
    total = summarize(canonical_model(name), (1, c, size, size)).total_mult_adds
    shown = f"{total:,}" if "," in text else f"{total / 1e9:.2f} G"
    assert shown == text


def test_batch_norm_statistics_are_buffers_not_parameters():
    model = build_model("resnet18", 3, 32, 10)
    result = summarize(model, (2, 3, 32, 32))
    assert result.total_params == resnet_params((2, 2, 2, 2), classes=10, stem=3)
    bn_channels = sum(m.num_features for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    bn_layers = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert result.buffer_values == 2 * bn_channels + bn_layers  # running mean, var, and a batch counter
    model.fc.weight.requires_grad = False
    assert summarize(model, (2, 3, 32, 32)).non_trainable_params == 512 * 10


def test_shapes_match_a_real_forward():
    model = build_model("googlenet", 3, 8, 10).eval()
    shapes = [row.output_shape for row in summarize(model, (1, 3, 8, 8)).layers]
    seen = []

    class Recorder:
        def call(self, module, args):
            out = module.forward(*args)
            if not module._modules:
                seen.append(out.shape)
            return out

    with nbcnn.no_grad(), function.observed_by(Recorder()):
        model(nbcnn.randn(1, 3, 8, 8))
    assert shapes == seen


def test_no_kernel_runs(monkeypatch):
    def refuse(*args):
        raise AssertionError("a kernel ran")

    cpu = nbcnn.backend.get("cpu")
    for kernel in ("conv2d_forward", "batch_norm_forward_eval", "batch_norm_forward_train", "relu_forward",
                   "max_pool2d_forward", "linear_forward", "global_avg_pool2d_forward"):
        monkeypatch.setattr(cpu, kernel, refuse)
    assert summarize(build_model("resnet18", 3, 32, 10), (4, 3, 32, 32)).layers[-1].output_shape == (4, 10)


@FAST
@given(n=st.integers(1, 40), c=st.integers(1, 16), k=st.integers(1, 16), f=st.integers(1, 7), s=st.integers(1, 3),
       p=st.integers(0, 3))
def test_conv_mult_adds_and_params(n, c, k, f, s, p):
    out = (n + 2 * p - f) // s + 1
    assume(out >= 1)
    (row,) = summarize(nn.Sequential(nn.Conv2d(c, k, f, s, p)), (1, c, n, n)).layers
    assert row.output_shape == (1, k, out, out)
    assert row.mult_adds == out * out * k * c * f * f
    assert row.params == conv(c, k, f) == (f * f * c + 1) * k


@FAST
@given(n_in=st.integers(1, 300), n_out=st.integers(1, 300), batch=st.integers(1, 4))
def test_linear_mult_adds_and_params(n_in, n_out, batch):
    (row,) = summarize(nn.Sequential(nn.Linear(n_in, n_out)), (batch, n_in)).layers
    assert (row.output_shape, row.mult_adds, row.params) == ((batch, n_out), n_in * n_out, fc(n_in, n_out))


def test_only_conv_and_linear_count_as_mult_adds():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.LocalResponseNorm(3),
                          nn.Flatten(), nn.Dropout(0.5), nn.Linear(4 * 3 * 3, 5))
    rows = summarize(model, (1, 3, 8, 8)).layers
    assert [r.mult_adds for r in rows] == [6 * 6 * 4 * 3 * 9, 0, 0, 0, 0, 0, 0, 36 * 5]
    assert rows[1].params == bn(4)


# ---------------------------------------------------------------- the command
def run(*args):
    return CliRunner().invoke(main, list(args))


def test_summary_table():
    result = run("summary", "lenet")
    assert result.exit_code == 0, result.output
    assert "features.0 (Conv2d)" in result.output and "[1, 6, 28, 28]" in result.output
    assert "Total params: 61,706" in result.output
    assert "Mult-adds: 416,520" in result.output
    assert "convolution and linear layers only" in result.output


def test_summary_json():
    result = run("summary", "resnet18", "--input", "3x32x32", "--classes", "10", "--batch-size", "4", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total_params"] == resnet_params((2, 2, 2, 2), classes=10, stem=3)
    assert data["total_mult_adds"] == sum(layer["mult_adds"] for layer in data["layers"])
    assert data["layers"][0] == {"name": "conv1", "type": "Conv2d", "output_shape": [4, 64, 32, 32],
                                 "params": conv(3, 64, 3, bias=False), "mult_adds": 32 * 32 * 64 * 3 * 9,
                                 "activations": 64 * 32 * 32, "activation_bytes": 4 * 64 * 32 * 32}


@pytest.mark.parametrize("args, message", [
    (["summary", "vgg11"], "'vgg11' is not one of 'lenet', 'alexnet', 'vgg16'"),
    (["summary", "lenet", "--input", "28x28"], "expected CxHxW with positive sizes, such as 3x224x224"),
    (["summary", "lenet", "--input", "1x0x28"], "expected CxHxW"),
    (["summary", "lenet", "--input", "1x8x8"], "1x8x8 does not fit lenet"),
    (["summary", "lenet", "--classes", "0"], "--classes"),
    (["models", "--input", "3x4x4"], "does not fit"),
])
def test_bad_arguments_give_one_error_line(args, message):
    result = run(*args)
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and message in errors[0], result.output


def test_models_command_counts_at_a_given_size():
    result = run("models", "--input", "3x32x32", "--classes", "10")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines()[1:] if not line.startswith(" ")]
    assert len(lines) == len(CANONICAL) + len(CIFAR) + 1  # and fastnet
    counts = {line.split()[0]: line.split()[1] for line in lines}
    assert counts["vgg16"] == f"{vgg16_params(classes=10, batch_norm=True, small=True):,}"
    assert counts["resnet18"] == f"{resnet_params((2, 2, 2, 2), classes=10, stem=3):,}"
    assert counts["resnet20"] == "269,722"
