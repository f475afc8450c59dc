import numpy as np
import pytest

from cudacheck import check

rng = np.random.default_rng(3)


@pytest.mark.parametrize("m, k, n", [(1, 1, 1), (5, 7, 3), (9, 4, 10)])  # tiles of 4: partial edge tiles
def test_matmul(m, k, n):
    check("matmul", rng.standard_normal((m, k)), rng.standard_normal((k, n)))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear(bias, dtype):
    batch, features, outs = 5, 7, 6
    x = rng.standard_normal((batch, features)).astype(dtype)
    weight = rng.standard_normal((outs, features)).astype(dtype)
    b = rng.standard_normal(outs).astype(dtype) if bias else None
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else {}
    check("linear_forward", x, weight, b, **tol)
    grad = rng.standard_normal((batch, outs)).astype(dtype)
    check("linear_backward_input", grad, weight, **tol)
    check("linear_backward_weight", grad, x, **tol)
