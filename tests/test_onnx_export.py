"""ONNX export: every registry model, exported and run by ONNX Runtime, gives nbcnn's eval-mode outputs; single
layers check the options ONNX spells differently (ceil_mode, count_include_pad, LRN, slicing, padding); errors name
the op and layer; `nbcnn export` writes a file from a checkpoint."""
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

import nbcnn
from nbcnn import nn
from nbcnn.interop import OnnxExportError, export_onnx
from nbcnn.models import MODELS, build_model
from nbcnn.nn import functional as F
from nbcnn.training import checkpoint
from nbcnn_cli.main import main

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

TOLERANCE = 1e-4  # max |ONNX − nbcnn| over max |nbcnn|

# (model, build options, input (N, C, H, W)): every registry name at least once, small inputs; the ImageNet
# variants at the smallest sizes their layers take, so that their stems, padded and ceil_mode pools and LRN export.
CASES = [
    ("lenet", {}, (2, 1, 28, 28)),
    ("lenet", {"activation": "tanh", "pooling": "avg"}, (2, 1, 28, 28)),
    ("lenet", {"activation": "sigmoid"}, (1, 1, 32, 32)),
    ("alexnet", {}, (2, 3, 32, 32)),
    ("alexnet", {"variant": "imagenet", "lrn": True}, (1, 3, 99, 99)),
    ("vgg16", {}, (2, 3, 32, 32)),
    ("vgg19", {}, (1, 3, 32, 32)),
    ("vgg16", {"variant": "imagenet"}, (1, 3, 32, 32)),
    ("resnet18", {}, (2, 3, 32, 32)),
    ("resnet18", {"variant": "imagenet"}, (1, 3, 64, 64)),
    ("resnet34", {}, (1, 3, 32, 32)),
    ("resnet50", {}, (1, 3, 32, 32)),
    ("resnet50", {"variant": "imagenet"}, (1, 3, 64, 64)),
    ("resnet101", {}, (1, 3, 32, 32)),
    ("resnet152", {}, (1, 3, 32, 32)),
    ("googlenet", {}, (2, 3, 32, 32)),
    ("googlenet", {"variant": "imagenet"}, (1, 3, 97, 97)),
    ("resnet20", {}, (2, 3, 32, 32)),
    ("resnet20", {"shortcut": "B"}, (1, 3, 32, 32)),
    ("resnet32", {}, (1, 3, 32, 32)),
    ("resnet44", {}, (1, 3, 32, 32)),
    ("resnet56", {}, (1, 3, 32, 32)),
    ("resnet110", {}, (1, 3, 32, 32)),
    ("plain20", {}, (1, 3, 32, 32)),
    ("plain32", {}, (1, 3, 32, 32)),
    ("plain44", {}, (1, 3, 32, 32)),
    ("plain56", {}, (1, 3, 32, 32)),
    ("fastnet", {}, (2, 3, 32, 32)),
]


def test_every_registry_model_has_a_case():
    assert {name for name, _, _ in CASES} == set(MODELS)


def _perturbed(model, seed=1):
    """Batch norms away from weight 1, bias 0, mean 0, var 1, so that a swapped or dropped input shows."""
    rng = np.random.default_rng(seed)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            if m.weight is not None:
                m.weight.data = rng.uniform(0.5, 1.5, c).astype(np.float32)
                m.bias.data = rng.normal(0, 0.2, c).astype(np.float32)
            m.running_mean.data = rng.normal(0, 0.2, c).astype(np.float32)
            m.running_var.data = rng.uniform(0.5, 1.5, c).astype(np.float32)
    return model


def _relative_difference(model, shape, tmp_path, seed=0):
    path = tmp_path / "model.onnx"
    proto = export_onnx(model, shape, path)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (theirs,) = session.run(None, {"input": x})
    with nbcnn.no_grad():
        ours = model.eval()(nbcnn.Tensor(x)).numpy()
    assert theirs.shape == ours.shape
    return np.abs(theirs - ours).max() / np.abs(ours).max(), proto


@pytest.mark.parametrize("name, options, shape", CASES,
                         ids=[f"{n}-{'-'.join(map(str, o.values())) or 'default'}-{s[-1]}" for n, o, s in CASES])
def test_registry_model_round_trip(name, options, shape, tmp_path):
    nbcnn.manual_seed(0)
    model = _perturbed(build_model(name, shape[1], shape[2:], 10, **options))
    difference, proto = _relative_difference(model, shape, tmp_path)
    assert difference < TOLERANCE
    parameters = {n for n, _ in model.named_parameters()}
    assert parameters <= {i.name for i in proto.graph.initializer}  # initializers carry state_dict names


class _Layer(nn.Module):
    def __init__(self, forward, *layers):
        super().__init__()
        self.layers = nn.Sequential(*layers)
        self.fn = forward

    def forward(self, x):
        return self.fn(self.layers(x))


def _glue(x):
    """Ops models use outside their layers, and the Tensor methods that record them."""
    y = F.pad(x[:, :, 1::2, ::3], (1, 0, 2, 1, 3, 3), value=0.5)
    y = (y - y.mean((2, 3), keepdim=True)) / 2.0
    z = nbcnn.cat([y, (-y).exp(), (y * y + 1).log()], dim=1).flatten(1)
    w = (z @ z.T) * (1.0 / z.shape[1])
    return nbcnn.cat([w.sigmoid(), w.tanh(), w], dim=1)


# Geometry where ONNX's and PyTorch's conventions could part: windows cut by ceil_mode, padding counted in averages
LAYERS = [
    ("max-ceil-padded", lambda x: x, [nn.MaxPool2d(3, 2, padding=1, ceil_mode=True)], (2, 3, 10, 10)),
    ("avg-ceil-padded", lambda x: x, [nn.AvgPool2d(3, 2, padding=1, ceil_mode=True)], (2, 3, 10, 10)),
    ("avg-ceil", lambda x: x, [nn.AvgPool2d(3, 2, ceil_mode=True)], (1, 2, 8, 8)),
    ("avg-padded", lambda x: x, [nn.AvgPool2d((3, 2), (1, 2), padding=(1, 1))], (1, 2, 7, 6)),
    ("lrn-3", lambda x: x, [nn.LocalResponseNorm(3, alpha=1e-2, beta=0.75, k=1.5)], (2, 6, 4, 4)),
    ("conv-rect-strided", lambda x: x, [nn.Conv2d(3, 4, (3, 1), stride=(2, 1), padding=(1, 0))], (1, 3, 9, 5)),
    ("bn1d-linear-gelu", lambda x: x, [nn.Flatten(), nn.Linear(48, 8), nn.BatchNorm1d(8), nn.GELU()],
     (3, 3, 4, 4)),
    ("bn-without-affine", lambda x: x, [nn.BatchNorm2d(3, affine=False)], (2, 3, 4, 4)),
    ("glue", _glue, [], (2, 3, 9, 9)),
]


@pytest.mark.parametrize("forward, layers, shape", [case[1:] for case in LAYERS], ids=[case[0] for case in LAYERS])
def test_layer_round_trip(forward, layers, shape, tmp_path):
    nbcnn.manual_seed(0)
    difference, _ = _relative_difference(_perturbed(_Layer(forward, *layers)), shape, tmp_path)
    assert difference < TOLERANCE


def test_dropout_is_left_out_and_modes_are_restored(tmp_path):
    model = _Layer(lambda x: x, nn.Dropout(0.5), nn.ReLU()).train()
    proto = export_onnx(model, (1, 4), tmp_path / "m.onnx")
    assert [n.op_type for n in proto.graph.node] == ["Relu"]
    assert all(m.training for m in model.modules())


class _Loss(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        return F.cross_entropy(self.head(x), np.zeros(len(x), np.int64))


class _Detached(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x) + nbcnn.Tensor(x.numpy() * 2)


@pytest.mark.parametrize("model, shape, message", [
    (_Loss(), (2, 4), "op CrossEntropy (in layer '_Loss') has no ONNX mapping; mapped ops: Add, AvgPool2d"),
    (_Layer(lambda x: x, nn.LocalResponseNorm(4)), (1, 6, 2, 2),
     "op LocalResponseNorm (in layer 'layers.0'): size 4: ONNX's LRN centres an even window"),
    (_Detached(), (2, 4), "op Add (in layer '_Detached'): an input of shape (2, 4) is neither the model's input"),
])
def test_what_cannot_export_is_named(model, shape, message, tmp_path):
    with pytest.raises(OnnxExportError, match="ONNX export: ") as error:
        export_onnx(model, shape, tmp_path / "m.onnx")
    assert message in str(error.value)
    assert not (tmp_path / "m.onnx").exists()


def test_without_onnx_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(OnnxExportError, match=r"pip install 'nbcnn\[onnx\]'"):
        export_onnx(nn.ReLU(), (1, 2), None)


def test_import_nbcnn_does_not_import_onnx():
    code = "import sys, nbcnn, nbcnn.interop; print('onnx' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def _checkpoint(path, name, in_channels, size, num_classes):
    nbcnn.manual_seed(0)
    model = _perturbed(build_model(name, in_channels, size, num_classes))
    meta = {"model": name, "in_channels": in_channels, "input_size": list(size), "num_classes": num_classes,
            "mean": [0.5] * in_channels, "std": [0.25] * in_channels}
    checkpoint.save(path, checkpoint.prefixed("model", model.state_dict()), meta)
    return model


def test_cli_exports_a_checkpoint_at_a_batch_size(tmp_path):
    model = _checkpoint(tmp_path / "best.npz", "resnet20", 3, (32, 32), 10)
    out = tmp_path / "resnet20.onnx"
    result = CliRunner().invoke(main, ["export", str(tmp_path), str(out), "--batch", "3"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{out}: resnet20, input (3, 3, 32, 32), output (3, 10), ")
    proto = onnx.load(out)
    assert {p.key: p.value for p in proto.metadata_props} == {"model": "resnet20", "mean": "[0.5, 0.5, 0.5]",
                                                              "std": "[0.25, 0.25, 0.25]"}
    x = np.random.default_rng(0).standard_normal((3, 3, 32, 32)).astype(np.float32)
    (theirs,) = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {"input": x})
    with nbcnn.no_grad():
        ours = model.eval()(nbcnn.Tensor(x)).numpy()
    assert np.abs(theirs - ours).max() / np.abs(ours).max() < TOLERANCE


@pytest.mark.parametrize("args, message", [
    (["--model", "lenet"], "--model is for .pth state_dicts"),
    (["--batch", "0"], "Invalid value for '--batch'"),
])
def test_cli_mistakes(args, message, tmp_path):
    _checkpoint(tmp_path / "lenet.npz", "lenet", 1, (28, 28), 10)
    result = CliRunner().invoke(main, ["export", str(tmp_path / "lenet.npz"), str(tmp_path / "x.onnx")] + args)
    assert result.exit_code != 0 and message in result.output
    assert not (tmp_path / "x.onnx").exists()


def test_cli_pth_needs_a_model(tmp_path):
    (tmp_path / "w.pth").write_bytes(b"")
    result = CliRunner().invoke(main, ["export", str(tmp_path / "w.pth"), str(tmp_path / "x.onnx")])
    assert result.exit_code != 0 and "name its model with --model" in result.output
