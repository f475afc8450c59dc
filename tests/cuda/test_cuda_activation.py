import numpy as np
import pytest

from cudacheck import check

rng = np.random.default_rng(2)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_forward_and_backward(name, dtype):
    x = rng.standard_normal((3, 2, 5)).astype(dtype) * 4  # sigmoid sees both of its branches
    y = check(f"{name}_forward", x, rtol=1e-5)
    check(f"{name}_backward", rng.standard_normal(x.shape).astype(dtype), y.astype(dtype), rtol=1e-5)


def test_relu_passes_nan_forward_and_backward():
    """PyTorch's rule: relu(NaN) is NaN, and its backward (`output <= 0` gives 0) passes the gradient."""
    x = np.array([np.nan, -1.0, 2.0])
    y = check("relu_forward", x)
    assert np.isnan(y[0]) and y[1] == 0
    assert check("relu_backward", np.full(3, 3.0), y)[0] == 3.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_forward_and_backward(dtype):
    x = rng.standard_normal((3, 2, 5)).astype(dtype) * 4
    check("gelu_forward", x, rtol=1e-6)
    check("gelu_backward", rng.standard_normal(x.shape).astype(dtype), x, rtol=1e-6)
