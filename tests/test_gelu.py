"""GELU against PyTorch's exact (erf) form and against central differences in float64."""
import numpy as np
import pytest

import nbcnn
import nbcnn.nn as nn
import nbcnn.nn.functional as F
from gradcheck import check_gradients

rng = np.random.default_rng(7)


def test_gelu_values_by_hand():
    """gelu(x) = x·Φ(x): Φ(0) = 1/2, Φ(1) = 0.8413447460685429, Φ(−1) = 1 − Φ(1) (tables of the normal CDF)."""
    y = F.gelu(nbcnn.tensor(np.array([0.0, 1.0, -1.0, 30.0, -30.0]))).numpy()
    np.testing.assert_allclose(y, [0.0, 0.8413447460685429, -0.15865525393145707, 30.0, 0.0], atol=1e-15)


@pytest.mark.parametrize("shape", [(7,), (2, 3, 4, 5)])
def test_gelu_gradient_float64(shape):
    check_gradients(F.gelu, rng.standard_normal(shape) * 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    x = (rng.standard_normal((4, 3, 5)) * 4).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    ours = nbcnn.tensor(x, requires_grad=True)
    y = nn.GELU()(ours)
    y.backward(nbcnn.tensor(g))
    theirs = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.gelu(theirs)
    expected.backward(torch.tensor(g))
    tol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=tol, atol=tol)


def test_tanh_approximation_refused():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(nbcnn.tensor(np.zeros(3)), approximate="tanh")
