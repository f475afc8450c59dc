"""fastnet: its exact size, a training step on a tiny batch, the whitening layer, and its recipe end to end on a
tiny fake CIFAR (config, Lookahead resumed exactly, test-time augmentation recorded)."""
import json

import numpy as np
import pytest

import nbcnn
import nbcnn.nn.functional as F
from nbcnn.data.fake import write_fake_dataset
from nbcnn.data import load_dataset
from nbcnn.models import build_model, count_parameters
from nbcnn.training import Reporter, TrainConfig, Trainer, TrainingInterrupted


def test_parameter_count():
    model = build_model("fastnet")
    whiten = 24 * 3 * 2 * 2 + 24
    convs = 9 * (24 * 64 + 64 * 64 + 64 * 256 + 256 * 256 + 256 * 256 + 256 * 256)
    norms = 2 * 2 * (64 + 256 + 256)
    assert count_parameters(model) == whiten + convs + norms + 256 * 10 == 1_972_792
    # the whitening filters and batch norm's scales are frozen
    assert count_parameters(model, trainable_only=True) == 1_972_792 - 288 - 2 * (64 + 256 + 256)


def test_forward_backward_on_a_tiny_batch():
    nbcnn.manual_seed(0)
    model = build_model("fastnet", input_size=16, bn_weight=True)
    x = np.random.default_rng(0).standard_normal((2, 3, 16, 16)).astype(np.float32)
    logits = model(nbcnn.tensor(x))
    assert logits.shape == (2, 10)
    F.cross_entropy(logits, nbcnn.tensor(np.array([1, 7]))).backward()
    assert model.whiten.weight.grad is None and model.whiten.bias.grad is not None
    assert all(p.grad is not None and np.isfinite(p.grad.numpy()).all()
               for n, p in model.named_parameters() if n != "whiten.weight")


def test_whitening_decorrelates_patches():
    rng = np.random.default_rng(1)
    mix = rng.standard_normal((3, 3))
    images = np.einsum("dc,nchw->ndhw", mix, rng.standard_normal((40, 3, 12, 12)))  # correlated channels
    images += np.roll(images, 1, axis=3)  # and neighbouring pixels
    model = build_model("fastnet", input_size=12)
    model.init_whitening(images.astype(np.float32), eps=0.0)
    w = model.whiten.weight.numpy().astype(np.float64)
    np.testing.assert_array_equal(w[12:], -w[:12])
    out = np.einsum("kcij,nchwij->nkhw", w[:12],
                    np.lib.stride_tricks.sliding_window_view(images, (2, 2), axis=(2, 3)))
    flat = out.transpose(1, 0, 2, 3).reshape(12, -1)
    np.testing.assert_allclose(flat @ flat.T / flat.shape[1], np.eye(12), atol=1e-4)


def test_default_recipe_is_recorded():
    cfg = TrainConfig(model="fastnet", data="cifar10").resolved()
    assert (cfg.batch_size, cfg.epochs, cfg.lr, cfg.momentum, cfg.nesterov, cfg.weight_decay_mode) == \
        (1024, 10, 1.5, 0.85, True, "decoupled")
    assert (cfg.flip, cfg.translate, cfg.translate_mode, cfg.tta, cfg.label_smoothing) == \
        ("alternating", 2, "reflect", "flip-translate", 0.2)
    assert cfg.lookahead["every"] == 5 and cfg.param_groups[0]["select"] == "norm"
    adam = TrainConfig(model="fastnet", data="cifar10", optimizer="adam").resolved()
    assert adam.weight_decay_mode == "l2"  # the recipe's decoupled decay goes with its SGD


@pytest.fixture(scope="module")
def cifar(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cifar")
    write_fake_dataset("cifar10", folder, n_train=24, n_test=8, seed=2, binary=True)
    return load_dataset(str(folder))


def tiny(**settings):
    lookahead = {"every": 2, "start": 0, "decay": 0.9, "power": 1.0}
    return TrainConfig(model="fastnet", data="cifar10", batch_size=8, epochs=2, lookahead=lookahead,
                       tta="flip", **settings)


def test_recipe_resumes_exactly_and_records_tta(cifar, tmp_path):
    whole = Trainer(tiny(), cifar, tmp_path / "whole")
    records = whole.fit()
    assert "test_accuracy_tta" in records[-1] and "test_accuracy_tta" not in records[0]
    config = json.loads((tmp_path / "whole" / "config.json").read_text())
    assert config["weight_decay_mode"] == "decoupled" and config["flip"] == "alternating"

    first = Trainer(tiny(), cifar, tmp_path / "split")

    class StopAfter(Reporter):
        def batch(self, *args):
            if first.iteration == 5:  # mid second epoch, one step past a Lookahead synchronisation
                first._stop_requested = True

    first.reporter = StopAfter()
    with pytest.raises(TrainingInterrupted):
        first.fit()
    resumed = Trainer(tiny(), cifar, tmp_path / "split")
    resumed.restore(tmp_path / "split" / "last.npz")
    resumed.fit()
    a, b = whole.model.state_dict(), resumed.model.state_dict()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
