"""Strided slicing and padding kernels, and the ops over them, on the CUDA backend against the CPU backend."""
import numpy as np
import pytest

import nbcnn
import nbcnn.nn.functional as F

from cudacheck import assert_close, check

rng = np.random.default_rng(5)
X = rng.standard_normal((2, 3, 5, 4))


@pytest.mark.parametrize("starts, steps, shape", [((0, 0, 0, 0), (1, 1, 2, 2), (2, 3, 3, 2)),
                                                  ((1, 2, 1, 3), (1, 1, 3, 1), (1, 1, 2, 1)),
                                                  ((0, 1, 0, 0), (1, 1, 1, 1), (2, 0, 5, 4))])
def test_strided_slice_and_embed(starts, steps, shape):
    part = check("strided_slice", X, starts, steps, shape)
    check("strided_embed", part, X.shape, starts, steps, 0.0)
    check("strided_embed", part.astype(np.float32), (3, 4, 9, 6), starts, steps, -2.0)


def _run(device):
    x = nbcnn.tensor(X, requires_grad=True, device=device)
    out = F.pad(x[:, :, ::2, 1::2], (0, 0, 1, 0, 2, 1), value=0.5)[1, ..., None, 1:]
    out.backward(nbcnn.tensor(np.arange(out.numel(), dtype=np.float64).reshape(out.shape), device=device))
    return [out.numpy(), x.grad.numpy()]


def test_ops_match_the_cpu():
    assert_close(_run("cuda"), _run("cpu"), what="output and gradient")
