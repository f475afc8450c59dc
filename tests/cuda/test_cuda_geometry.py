"""The other tests shrink blocks and tiles to keep the simulator fast; these run the backend's own sizes."""
import numpy as np
import pytest

from cudacheck import check

pytestmark = pytest.mark.production_launches
rng = np.random.default_rng(12)


def test_conv2d_with_full_tiles():
    x, weight = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((5, 3, 3, 3))
    y = check("conv2d_forward", x, weight, rng.standard_normal(5), (1, 1), (1, 1))
    grad = rng.standard_normal(y.shape)
    check("conv2d_backward_input", grad, weight, x.shape, (1, 1), (1, 1))
    check("conv2d_backward_weight", grad, x, weight.shape, (1, 1), (1, 1))


def test_linear_with_full_tiles():
    check("linear_forward", rng.standard_normal((17, 9)), rng.standard_normal((18, 9)), rng.standard_normal(18))


def test_block_reductions_with_full_blocks():
    x = rng.standard_normal((5, 2, 7, 9))  # 315 values per channel: more than one block's threads
    check("sum", x, (0, 2, 3), False)
    check("batch_norm_forward_train", x, None, None, 1e-5, rtol=1e-9, atol=1e-12)
    check("relu_forward", x)
