import numpy as np
import pytest

from cudacheck import check, gpu, to_host

rng = np.random.default_rng(5)

# (kernel, stride, padding): tiling, overlapping windows, padding, rectangular, gaps between windows
CASES = [((2, 2), (2, 2), (0, 0)), ((3, 3), (1, 1), (1, 1)), ((3, 2), (2, 1), (1, 0)), ((2, 2), (3, 3), (0, 0))]


def _distinct(shape):
    """Values without ties, so the maximum of every window is unambiguous."""
    return rng.permutation(np.prod(shape)).reshape(shape) / 7.0


@pytest.mark.parametrize("kernel, stride, padding", CASES, ids=str)
def test_max_pool(kernel, stride, padding):
    x = _distinct((2, 3, 6, 5))
    y, argmax = check("max_pool2d_forward", x, kernel, stride, padding)
    check("max_pool2d_backward", rng.standard_normal(y.shape), argmax, x.shape, rtol=1e-12)


def test_max_pool_ties_keep_the_first_element():
    x = np.zeros((1, 1, 4, 4), np.float32)
    check("max_pool2d_forward", x, (2, 2), (2, 2), (0, 0))


@pytest.mark.parametrize("kernel, stride, padding", CASES, ids=str)
def test_avg_pool(kernel, stride, padding):
    x = rng.standard_normal((2, 3, 6, 5))
    y = check("avg_pool2d_forward", x, kernel, stride, padding)
    check("avg_pool2d_backward", rng.standard_normal(y.shape), x.shape, kernel, stride, padding)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_global_avg_pool(dtype):
    x = rng.standard_normal((2, 3, 4, 5)).astype(dtype)
    y = check("global_avg_pool2d_forward", x, rtol=1e-6)
    check("global_avg_pool2d_backward", rng.standard_normal(y.shape).astype(dtype), x.shape)


def test_max_pool_float32_gradient_reaches_each_argmax():
    x = _distinct((1, 2, 5, 5)).astype(np.float32)
    y, argmax = gpu.max_pool2d_forward(gpu.asarray(x), (3, 3), (1, 1), (1, 1))
    gx = to_host(gpu.max_pool2d_backward(gpu.ones_like(y), argmax, x.shape))
    assert gx.sum() == y.size  # overlapping windows: the atomic adds lose nothing
