import numpy as np
import pytest

from cudacheck import check

rng = np.random.default_rng(4)

# (x shape, weight shape, stride, padding): odd sizes, rectangular kernels, strides that skip pixels
CASES = [((2, 3, 5, 5), (4, 3, 3, 3), (1, 1), (1, 1)),
         ((1, 2, 7, 6), (3, 2, 3, 2), (2, 2), (0, 1)),
         ((2, 1, 6, 5), (2, 1, 2, 3), (3, 2), (1, 0)),
         ((1, 2, 4, 4), (3, 2, 1, 1), (1, 1), (0, 0))]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding", CASES, ids=str)
def test_conv2d(x_shape, w_shape, stride, padding):
    x, weight = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    bias = rng.standard_normal(w_shape[0])
    y = check("conv2d_forward", x, weight, bias, stride, padding)
    check("conv2d_forward", x, weight, None, stride, padding)
    grad = rng.standard_normal(y.shape)
    check("conv2d_backward_input", grad, weight, x_shape, stride, padding)
    check("conv2d_backward_weight", grad, x, w_shape, stride, padding)
    check("conv2d_backward_bias", grad)


def test_conv2d_float32():
    x, weight = rng.standard_normal((2, 3, 4, 4)).astype(np.float32), rng.standard_normal((2, 3, 3, 3))
    check("conv2d_forward", x, weight.astype(np.float32), None, (1, 1), (1, 1), rtol=1e-5, atol=1e-5)
