import numpy as np
import pytest

from cudacheck import assert_close, check, cpu, gpu, to_host
from nbcnn.shapes import window_output_shape

rng = np.random.default_rng(5)

# (kernel, stride, padding): tiling, overlapping windows, padding, rectangular, gaps between windows
CASES = [((2, 2), (2, 2), (0, 0)), ((3, 3), (1, 1), (1, 1)), ((3, 2), (2, 1), (1, 0)), ((2, 2), (3, 3), (0, 0))]
# on 6×7: a cut last column, a cut last row, and a fourth window dropped for starting in the right padding
CEIL_CASES = [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (0, 0)), ((2, 2), (2, 2), (1, 1))]


def _distinct(shape):
    """Values without ties, so the maximum of every window is unambiguous."""
    return rng.permutation(np.prod(shape)).reshape(shape) / 7.0


def _max_pool_both(x, kernel, stride, padding, ceil_mode=False):
    """Forward and backward (a random gradient) on each backend with its own record of the maxima: the record is
    private to a backend (the CPU keeps a 2×2 window's maximum as its place in the window, one byte)."""
    g = rng.standard_normal(window_output_shape(x.shape, kernel, stride, padding, ceil_mode))
    y_cpu, record = cpu.max_pool2d_forward(x, kernel, stride, padding, ceil_mode)
    gx_cpu = cpu.max_pool2d_backward(g, record, x.shape)
    y_gpu, record = gpu.max_pool2d_forward(gpu.asarray(x), kernel, stride, padding, ceil_mode)
    gx_gpu = gpu.max_pool2d_backward(gpu.asarray(g), record, x.shape)
    return (to_host(y_gpu), to_host(gx_gpu)), (y_cpu, gx_cpu)


@pytest.mark.parametrize("kernel, stride, padding", CASES, ids=str)
def test_max_pool(kernel, stride, padding):
    got, want = _max_pool_both(_distinct((2, 3, 6, 5)), kernel, stride, padding)
    assert_close(got, want, rtol=1e-12)


def test_max_pool_ties_keep_the_first_element():
    got, want = _max_pool_both(np.zeros((1, 1, 4, 4), np.float32), (2, 2), (2, 2), (0, 0))
    assert_close(got, want, rtol=1e-6)
    assert np.count_nonzero(want[1]) == 4 and np.all(want[1][0, 0, ::2, ::2] != 0)  # each window's first element


@pytest.mark.parametrize("kernel, stride, padding", CEIL_CASES, ids=str)
def test_max_pool_ceil_mode(kernel, stride, padding):
    got, want = _max_pool_both(_distinct((1, 2, 6, 7)), kernel, stride, padding, ceil_mode=True)
    assert_close(got, want, rtol=1e-12)


@pytest.mark.parametrize("kernel, stride, padding", CASES, ids=str)
def test_avg_pool(kernel, stride, padding):
    x = rng.standard_normal((2, 3, 6, 5))
    y = check("avg_pool2d_forward", x, kernel, stride, padding)
    check("avg_pool2d_backward", rng.standard_normal(y.shape), x.shape, kernel, stride, padding)


@pytest.mark.parametrize("kernel, stride, padding", CEIL_CASES, ids=str)
def test_avg_pool_ceil_mode(kernel, stride, padding):
    """The cut last windows divide by their part inside the padded image, in the gathering backward pass too."""
    x = rng.standard_normal((1, 2, 6, 7))
    y = check("avg_pool2d_forward", x, kernel, stride, padding, True)
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


@pytest.mark.parametrize("kernel, stride, padding", CASES[:3], ids=str)
def test_a_nan_anywhere_in_a_window_is_its_maximum(kernel, stride, padding):
    """As in PyTorch, and as on the CPU: the NaN is the window's maximum and takes the window's gradient."""
    shape = (1, 1, 4, 4)
    for place in range(16):
        x = _distinct(shape)
        x.flat[place] = np.nan
        got, want = _max_pool_both(x, kernel, stride, padding)
        assert_close(got, want, rtol=1e-12)
        y, gx = got
        assert np.isnan(y).any(), f"NaN at {place}: no NaN maximum"
        assert not np.isnan(gx).any() and gx.flat[place] != 0, f"NaN at {place}: its gradient went elsewhere"
