import numpy as np
import pytest

import nbcnn
import nbcnn.nn.functional as F
import reference
from gradcheck import check_gradients

CASES = [  # kernel, stride, padding, H, W
    ((2, 2), (2, 2), (0, 0), 6, 6),
    ((3, 3), (2, 2), (0, 0), 7, 9),   # AlexNet's overlapping windows
    ((3, 3), (2, 2), (1, 1), 6, 5),
    ((3, 2), (1, 2), (1, 0), 5, 6),
]


def distinct_input(shape, seed):
    """Values far apart, so no max-pool window holds a tie and finite differences stay away from kinks."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.prod(shape)).reshape(shape) * 0.1 + rng.uniform(0, 0.01, shape)


@pytest.mark.parametrize("kernel, stride, padding, h, w", CASES)
def test_max_pool_forward_and_gradient(kernel, stride, padding, h, w):
    x = distinct_input((2, 3, h, w), 0)
    y = F.max_pool2d(nbcnn.tensor(x), kernel, stride, padding).numpy()
    np.testing.assert_allclose(y, reference.pool2d(x, kernel, stride, padding, np.max, -np.inf))
    check_gradients(lambda x: F.max_pool2d(x, kernel, stride, padding), x, eps=1e-4)


@pytest.mark.parametrize("kernel, stride, padding, h, w", CASES)
def test_avg_pool_forward_and_gradient(kernel, stride, padding, h, w):
    x = np.random.default_rng(1).standard_normal((2, 3, h, w))
    y = F.avg_pool2d(nbcnn.tensor(x), kernel, stride, padding).numpy()
    np.testing.assert_allclose(y, reference.pool2d(x, kernel, stride, padding, np.mean, 0.0), rtol=1e-12)
    check_gradients(lambda x: F.avg_pool2d(x, kernel, stride, padding), x)


def test_max_pool_tie_routes_gradient_to_first_element():
    x = nbcnn.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[1, 0], [0, 0]])


def test_global_average_pool():
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5))
    y = F.adaptive_avg_pool2d(nbcnn.tensor(x), (1, 1))
    np.testing.assert_allclose(y.numpy(), x.mean(axis=(2, 3), keepdims=True))
    check_gradients(lambda x: F.adaptive_avg_pool2d(x, 1), x)


def test_padding_over_half_the_kernel_is_rejected():
    with pytest.raises(ValueError, match="half the kernel"):
        F.max_pool2d(nbcnn.zeros(1, 1, 5, 5), 2, padding=2)


@pytest.mark.parametrize("window, shape", [
    ((2, 2, 0), (2, 3, 8, 8)), ((2, 2, 0), (1, 2, 7, 9)),   # 7×9: the last row and column are dropped
    ((3, 2, 1), (2, 3, 8, 8)), ((3, 2, 1), (1, 2, 7, 9)), ((3, 2, 0), (1, 2, 9, 6)), ((3, 2, 2), (1, 2, 5, 4)),
])
def test_max_pool_fast_paths_match_the_general_loop(window, shape):
    """The 2×2/2 and 3×3/2 paths keep the general loop's values, argmax, tie rule, NaN handling and gradients."""
    from nbcnn.backend.cpu import pool
    kernel, stride, padding = window
    x = np.round(np.random.default_rng(4).standard_normal(shape), 1).astype(np.float32)  # rounding makes ties
    x[0, 0, 0, :2] = x[0, 0, 1, 0] = 9.0
    x[0, 1, 0, 1] = np.nan
    y, record = pool.max_pool2d_forward(x, (kernel, kernel), (stride, stride), (padding, padding))
    y_general, argmax_general = np.empty_like(y), np.empty(y.shape, np.int32)
    pool._max_pool(x, kernel, kernel, stride, stride, padding, padding, y_general, argmax_general)
    np.testing.assert_array_equal(y, y_general)
    argmax = record
    if kernel == 2:  # the 2×2 path records the place in the window, 0–3 row-major
        assert record.dtype == np.int8
        oy, ox = np.indices(y.shape[2:])
        argmax = (2 * oy + record // 2) * shape[3] + 2 * ox + record % 2
    np.testing.assert_array_equal(argmax, argmax_general)
    g = np.random.default_rng(5).standard_normal(y.shape).astype(np.float32)
    gx_general = np.empty(shape, np.float32)
    pool._max_pool_grad(g, argmax_general, gx_general)
    np.testing.assert_array_equal(pool.max_pool2d_backward(g, record, shape), gx_general)


@pytest.mark.parametrize("window, shape", [
    ((2, 2, 0), (2, 3, 8, 8)), ((2, 2, 0), (1, 2, 7, 9)), ((3, 2, 1), (2, 3, 8, 8)), ((3, 2, 1), (1, 2, 7, 9)),
    ((3, 1, 1), (1, 2, 6, 5)), ((3, 3, 1), (1, 2, 10, 7)), ((3, 2, 0), (1, 2, 9, 6)),  # overlaps, gaps
])
def test_max_pool_without_record_keeps_the_values(window, shape):
    """Inference's path (no gradient wanted) computes the maxima without their places: the same values, NaN
    included, as the recording kernels."""
    from nbcnn.backend.cpu import pool
    kernel, stride, padding = window
    x = np.round(np.random.default_rng(6).standard_normal(shape), 1).astype(np.float32)
    x[0, 0, 1, 1] = x[0, 1, 0, 0] = x[0, 1, 2:5, 3] = np.nan  # a lone NaN, a window's first, a NaN column
    args = (kernel, kernel), (stride, stride), (padding, padding)
    y, record = pool.max_pool2d_forward(x, *args)
    values, none = pool.max_pool2d_forward(x, *args, record=False)
    assert none is None and record is not None
    np.testing.assert_array_equal(values, y)
    with nbcnn.no_grad():
        np.testing.assert_array_equal(F.max_pool2d(nbcnn.tensor(x, requires_grad=True), *args).numpy(), y)


NAN_WINDOWS = [  # kernel, stride, padding: the 2×2 byte-record path, the 3×3/2 path, the general loop
    ((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)), ((3, 3), (1, 1), (1, 1)),
    ((3, 2), (1, 2), (1, 0)), ((2, 3), (1, 1), (0, 1)),
]


@pytest.mark.parametrize("kernel, stride, padding", NAN_WINDOWS, ids=str)
def test_a_nan_anywhere_in_a_window_is_its_maximum_and_takes_its_gradient(kernel, stride, padding):
    """As in PyTorch. The 2×2 path once gave [nan, 0, 0, 0] for a NaN at each of a window's four places, and
    the other paths passed over a NaN that was not a window's first element."""
    shape = (1, 2, 6, 7)
    for place in range(shape[2] * shape[3]):
        x = distinct_input(shape, 3).astype(np.float32)
        x[0, 1].flat[place] = np.nan
        want = reference.pool2d(x, kernel, stride, padding, np.max, -np.inf)  # np.max propagates NaN
        t = nbcnn.tensor(x, requires_grad=True)
        y = F.max_pool2d(t, kernel, stride, padding)
        np.testing.assert_array_equal(y.numpy(), want.astype(np.float32), err_msg=f"NaN at {place}")
        y.sum().backward()
        assert t.grad.numpy()[0, 1].flat[place] == np.isnan(want).sum(), f"NaN at {place}"
        with nbcnn.no_grad():  # the record-free path of windows 3 wide
            values = F.max_pool2d(nbcnn.tensor(x), kernel, stride, padding).numpy()
        np.testing.assert_array_equal(values, y.numpy(), err_msg=f"NaN at {place}, no record")


# ---------------------------------------------------------------- ceil_mode
CEIL_CASES = [  # kernel, stride, padding, H, W: a cut last window, the start-inside rule, GoogLeNet's pools
    ((3, 3), (2, 2), (0, 0), 8, 7),
    ((2, 2), (2, 2), (0, 0), 5, 7),   # 2×2/2 on odd sizes: the last window is one pixel wide
    ((2, 2), (2, 2), (1, 1), 5, 4),   # ⌈5/2⌉ + 1 = 4 windows, the fourth would start in the right padding: 3
    ((3, 2), (2, 3), (1, 0), 6, 8),
    ((3, 3), (1, 1), (1, 1), 5, 6),   # the Inception branch pool: ceil_mode changes nothing at stride 1
]


def windows_kept(n, k, s, p):
    """PyTorch's ceil_mode counted window by window: windows are added until one reaches the padded input's end,
    and a window is kept only if it starts inside the input or its left padding."""
    count, start = 0, -p
    while start < n:
        count += 1
        if start + k >= n + p:
            break
        start += s
    return count


@pytest.mark.parametrize("k, s, p", [(2, 2, 0), (3, 2, 0), (3, 2, 1), (2, 2, 1), (3, 3, 1), (4, 3, 2), (5, 2, 2)])
def test_ceil_mode_output_size_counts_the_kept_windows(k, s, p):
    from nbcnn.shapes import pool_output_size
    for n in range(max(1, k - 2 * p), 20):
        assert pool_output_size(n, k, p, s, ceil_mode=True) == windows_kept(n, k, s, p), n


@pytest.mark.parametrize("kernel, stride, padding, h, w", CEIL_CASES)
def test_ceil_mode_pools_match_pytorch(kernel, stride, padding, h, w):
    torch = pytest.importorskip("torch")
    x = distinct_input((2, 3, h, w), 7)
    for ours, theirs in [(F.max_pool2d, torch.nn.functional.max_pool2d),
                         (F.avg_pool2d, torch.nn.functional.avg_pool2d)]:
        want = theirs(torch.tensor(x), kernel, stride, padding, ceil_mode=True).numpy()
        y = ours(nbcnn.tensor(x, requires_grad=True), kernel, stride, padding, ceil_mode=True).numpy()
        with nbcnn.no_grad():  # max pooling's record-free path
            values = ours(nbcnn.tensor(x), kernel, stride, padding, ceil_mode=True).numpy()
        np.testing.assert_allclose(y, want, rtol=1e-12, err_msg=ours.__name__)
        np.testing.assert_allclose(values, want, rtol=1e-12, err_msg=ours.__name__)


@pytest.mark.parametrize("kernel, stride, padding, h, w", CEIL_CASES)
def test_ceil_mode_gradients(kernel, stride, padding, h, w):
    x = distinct_input((1, 2, h, w), 8)
    check_gradients(lambda x: F.max_pool2d(x, kernel, stride, padding, ceil_mode=True), x, eps=1e-4)
    check_gradients(lambda x: F.avg_pool2d(x, kernel, stride, padding, ceil_mode=True), x)


def test_ceil_mode_in_the_layer_and_its_errors():
    layer = nbcnn.nn.MaxPool2d(3, 2, ceil_mode=True)
    assert layer(nbcnn.zeros(1, 1, 8, 8)).shape == (1, 1, 4, 4)  # 3 without ceil_mode
    assert "ceil_mode=True" in repr(layer)
    assert F.max_pool2d(nbcnn.zeros(1, 1, 2, 2), 3, 2, ceil_mode=True).shape == (1, 1, 1, 1)  # as PyTorch
    with pytest.raises(ValueError, match=r"padding \(0, 0\), ceil_mode: output size \(0, 0\)"):
        F.max_pool2d(nbcnn.zeros(1, 1, 1, 1), 3, 2, ceil_mode=True)
