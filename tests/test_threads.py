"""Parallel kernels must give the results of a single thread: a race would show up as a difference."""
import os
import subprocess
import sys

import numpy as np

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


def run(threads, path):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    subprocess.run([sys.executable, "-c", SCRIPT, str(path)], env=env, check=True)
    return np.load(path)


def test_one_thread_and_many_threads_agree(tmp_path):
    one, many = run(1, tmp_path / "one.npz"), run(os.cpu_count() or 2, tmp_path / "many.npz")
    for key in one.files:
        np.testing.assert_allclose(many[key], one[key], rtol=1e-5, atol=1e-6, err_msg=key)
