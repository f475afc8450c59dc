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
