"""Parallel kernels must give the results of a single thread (a race would show up as a difference), and a run's
weights depend on the thread count only through rounding: `--resume` restores the count the run trained with, so
a resumed run ends with exactly the weights of an uninterrupted one."""
import json
import os
import subprocess
import sys

import numba
import numpy as np
import pytest
from click.testing import CliRunner

from nbcnn.data.fake import write_fake_dataset
from nbcnn_cli.main import main

SCRIPT = r"""
import sys, numpy as np, nbcnn, nbcnn.nn as nn
nbcnn.manual_seed(0)
model = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                      nn.MaxPool2d(3, 2, 1), nn.LocalResponseNorm(3), nn.Conv2d(8, 8, 1), nn.AvgPool2d(2),
                      nn.Flatten(), nn.Dropout(0.3), nn.Linear(8 * 2 * 2, 10))
x = nbcnn.tensor(np.random.default_rng(0).standard_normal((16, 3, 16, 16)).astype(np.float32))
loss = nn.functional.cross_entropy(model(x), nbcnn.tensor(np.arange(16) % 10))
loss.backward()
np.savez(sys.argv[1], loss=loss.numpy(), **{n: p.grad.numpy() for n, p in model.named_parameters()})
"""

# Every convolution algorithm's three passes at 1, 2 and 3 threads, twice each, in one process whose ceiling
# (NUMBA_NUM_THREADS, read at import) is 3. Shapes are sized so that each algorithm splits its work over the
# threads: the shifted products pass blas's parallel threshold, Winograd's blocked schedule gets blocks of 4 tiles,
# im2col's tiles are rounded to the thread count.
CONV_SCRIPT = r"""
import sys, numba, numpy as np
from nbcnn.backend.cpu import conv, conv_winograd
CASES = {  # name: (algorithm, Winograd schedule, x shape, w shape, stride, padding)
    "winograd-blocked": ("winograd", "blocked", (3, 16, 10, 10), (16, 16, 3, 3), (1, 1), (1, 1)),
    "winograd-whole": ("winograd", "whole", (3, 16, 10, 10), (16, 16, 3, 3), (1, 1), (1, 1)),
    "winograd4": ("winograd4", None, (40, 16, 6, 6), (16, 16, 3, 3), (1, 1), (1, 1)),
    "shifted": ("shifted", None, (2, 64, 16, 16), (64, 64, 3, 3), (1, 1), (1, 1)),
    "im2col": ("im2col", None, (5, 8, 12, 12), (16, 8, 3, 3), (2, 2), (1, 1)),
    "batched": ("batched", None, (20, 6, 14, 14), (16, 6, 5, 5), (1, 1), (0, 0)),
    "direct": ("direct", None, (4, 6, 14, 14), (16, 6, 5, 5), (1, 1), (0, 0)),
}
rng = np.random.default_rng(0)
out = {}
for name, (algorithm, schedule, xs, ws, stride, padding) in CASES.items():
    conv.choose = lambda *shapes, algorithm=algorithm, **options: algorithm
    conv_winograd._plan = lambda *layer, whole=schedule == "whole": (whole, 4)
    x, w = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)
    gy = rng.standard_normal(conv.conv2d_forward(x, w, None, stride, padding).shape).astype(np.float32)
    for threads in (1, 2, 3):
        numba.set_num_threads(threads)
        for repeat in (0, 1):
            key = f"{name}:{threads}:{repeat}"
            out[key + ":forward"] = conv.conv2d_forward(x, w, None, stride, padding)
            out[key + ":input"] = conv.conv2d_backward_input(gy, w, xs, stride, padding)
            out[key + ":weight"] = conv.conv2d_backward_weight(gy, x, ws, stride, padding)
np.savez(sys.argv[1], **out)
"""


def run(threads, path, script=SCRIPT):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    subprocess.run([sys.executable, "-c", script, str(path)], env=env, check=True)
    return np.load(path)


def test_one_thread_and_many_threads_agree(tmp_path):
    one, many = run(1, tmp_path / "one.npz"), run(os.cpu_count() or 2, tmp_path / "many.npz")
    for key in one.files:
        np.testing.assert_allclose(many[key], one[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_every_conv_algorithm_at_one_two_and_three_threads(tmp_path):
    """Each pass at 2 and 3 threads agrees with 1 thread to float32 rounding (no race), and repeats bit for bit at
    a given count (what an exact resume at the recorded count relies on)."""
    out = run(3, tmp_path / "conv.npz", CONV_SCRIPT)
    for key in (k for k in out.files if ":0:" in k):
        name, threads, _, which = key.split(":")
        np.testing.assert_array_equal(out[key.replace(":0:", ":1:")], out[key], err_msg=f"{key}: not repeatable")
        one = out[f"{name}:1:0:{which}"]
        np.testing.assert_allclose(out[key], one, rtol=1e-4, atol=1e-4 * np.abs(one).max(), err_msg=key)


@pytest.fixture
def cifar_dir(tmp_path):
    write_fake_dataset("cifar10", tmp_path / "cifar", n_train=64, n_test=16, seed=0)
    return tmp_path / "cifar"


@pytest.fixture
def threads_restored():
    before = numba.get_num_threads()
    yield
    numba.set_num_threads(before)


def _train(cifar_dir, run, *options):
    # ResNet-20: its 16-channel 3×3 layers take Winograd, whose weight gradient sums per-thread partials. A
    # constant rate: a 1-epoch run's schedule is then the start of a 2-epoch run's.
    result = CliRunner().invoke(main, ["train", "resnet20", "--data", "cifar10", "--data-dir", str(cifar_dir),
                                       "--batch-size", "32", "--optimizer", "adam", "--lr", "0.01",
                                       "--schedule", "constant", "--out", str(run), *options])
    assert result.exit_code == 0, result.output
    return result


def _weights(run):
    with np.load(run / "last.npz") as arrays:
        return {k: arrays[k] for k in arrays.files if k.startswith("model")}


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 threads to change the count")
def test_resume_restores_the_thread_count_and_the_weights(cifar_dir, tmp_path, threads_restored):
    """1 epoch + resume = 2 epochs, when the resuming process would otherwise run on more threads."""
    _train(cifar_dir, tmp_path / "whole", "--epochs", "2", "--threads", "1")
    _train(cifar_dir, tmp_path / "split", "--epochs", "1", "--threads", "1")
    assert json.loads((tmp_path / "split" / "config.json").read_text())["threads"] == 1
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)  # a new process's default
    _train(cifar_dir, tmp_path / "split", "--resume", str(tmp_path / "split"), "--epochs", "2")
    whole, split = _weights(tmp_path / "whole"), _weights(tmp_path / "split")
    for key in whole:
        np.testing.assert_array_equal(split[key], whole[key], err_msg=key)
    assert numba.get_num_threads() == 1


def test_a_run_records_the_effective_thread_count(cifar_dir, tmp_path, threads_restored):
    _train(cifar_dir, tmp_path / "run", "--epochs", "1")
    assert json.loads((tmp_path / "run" / "config.json").read_text())["threads"] == numba.get_num_threads()


def test_resume_refuses_more_threads_than_the_ceiling_unless_told(cifar_dir, tmp_path, threads_restored):
    run = tmp_path / "run"
    _train(cifar_dir, run, "--epochs", "1", "--threads", "1")
    saved = json.loads((run / "config.json").read_text())
    ceiling = numba.config.NUMBA_NUM_THREADS
    (run / "config.json").write_text(json.dumps(dict(saved, threads=ceiling + 1)))
    result = CliRunner().invoke(main, ["train", "resnet20", "--resume", str(run), "--epochs", "2"])
    assert result.exit_code != 0
    assert f"trained with {ceiling + 1} threads" in result.output and "NUMBA_NUM_THREADS" in result.output
    result = CliRunner().invoke(main, ["train", "resnet20", "--resume", str(run), "--epochs", "2",
                                       "--threads", str(ceiling)])
    assert result.exit_code == 0, result.output
    assert "will differ from those of an uninterrupted run" in result.output
