import numpy as np
import pytest

from cudacheck import check

rng = np.random.default_rng(7)


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_lrn(size):
    x = rng.standard_normal((2, 4, 3, 2))
    y, scale = check("lrn_forward", x, size, 1e-2, 0.75, 2.0)
    check("lrn_backward", rng.standard_normal(x.shape), x, scale, size, 1e-2, 0.75)


def test_lrn_float32():
    x = rng.standard_normal((1, 6, 2, 3)).astype(np.float32)
    y, scale = check("lrn_forward", x, 5, 1e-4, 0.75, 1.0, rtol=1e-6)
    check("lrn_backward", rng.standard_normal(x.shape).astype(np.float32), x, scale, 5, 1e-4, 0.75, rtol=1e-5)
