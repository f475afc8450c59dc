import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import nbcnn
import nbcnn.nn.functional as F
from nbcnn import shapes

FAST = settings(max_examples=40, deadline=None)


def window_positions(n, f, p, s):
    """How many windows of f pixels, s apart, fit in n pixels padded by p on each side, counted one by one: a
    reference independent of the floor formula in nbcnn.shapes."""
    count, start = 0, 0
    while start + f <= n + 2 * p:
        count, start = count + 1, start + s
    return count


@FAST
@given(n=st.integers(1, 12), f=st.integers(1, 5), p=st.integers(0, 2), s=st.integers(1, 3),
       c=st.integers(1, 3), k=st.integers(1, 3), batch=st.integers(1, 2))
def test_conv_output_shape_counts_the_window_positions(n, f, p, s, c, k, batch):
    expected = window_positions(n, f, p, s)
    x = nbcnn.zeros(batch, c, n, n)
    w = nbcnn.zeros(k, c, f, f)
    if expected < 1:
        with pytest.raises(ValueError, match="below 1"):
            F.conv2d(x, w, stride=s, padding=p)
        return
    assert F.conv2d(x, w, stride=s, padding=p).shape == (batch, k, expected, expected)


@FAST
@given(n=st.integers(1, 12), f=st.integers(1, 4), s=st.integers(1, 3), data=st.data())
def test_pool_output_shape_counts_the_window_positions(n, f, s, data):
    p = data.draw(st.integers(0, f // 2))
    expected = window_positions(n, f, p, s)
    x = nbcnn.zeros(1, 2, n, n)
    for pool in (F.max_pool2d, F.avg_pool2d):
        if expected < 1:
            with pytest.raises(ValueError):
                pool(x, f, s, p)
        else:
            assert pool(x, f, s, p).shape == (1, 2, expected, expected)


@FAST
@given(n=st.integers(1, 15), f=st.sampled_from([1, 3, 5, 7]))
def test_same_padding_preserves_size(n, f):
    x = nbcnn.zeros(1, 1, n, n)
    assert F.conv2d(x, nbcnn.zeros(1, 1, f, f), padding="same").shape == (1, 1, n, n)


@FAST
@given(n=st.integers(1, 40), f=st.integers(1, 7), p=st.integers(0, 3), s=st.integers(1, 5))
def test_output_never_grows_with_stride(n, f, p, s):
    assume(n + 2 * p >= f)  # a valid layer
    assert window_positions(n, f, p, s + 1) <= window_positions(n, f, p, s)
    assert shapes.conv_output_size(n, f, p, s) == window_positions(n, f, p, s)


@FAST
@given(c=st.integers(1, 16), k=st.integers(1, 16), f=st.integers(1, 7), bias=st.booleans())
def test_conv2d_parameter_count(c, k, f, bias):
    layer = nbcnn.nn.Conv2d(c, k, f, bias=bias)
    count = sum(p.numel() for p in layer.parameters())
    assert count == (f * f * c + (1 if bias else 0)) * k == shapes.conv2d_params(c, k, f, bias)


@pytest.mark.parametrize("kwargs, match", [
    (dict(stride=0), "stride"), (dict(padding=-1), "padding"), (dict(kernel=9), "below 1"),
])
def test_invalid_conv_configurations_name_the_values(kwargs, match):
    kernel = kwargs.pop("kernel", 3)
    x = nbcnn.zeros(2, 3, 5, 5)
    with pytest.raises(ValueError, match=match) as info:
        F.conv2d(x, nbcnn.zeros(4, 3, kernel, kernel), **kwargs)
    assert "(2, 3, 5, 5)" in str(info.value)


def test_channel_mismatch_names_layer_and_shape():
    layer = nbcnn.nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8.*expected 3 input channels.*\(1, 4, 8, 8\)"):
        layer(nbcnn.zeros(1, 4, 8, 8))


def test_layer_constructor_rejects_impossible_values():
    with pytest.raises(ValueError, match="stride=0"):
        nbcnn.nn.Conv2d(3, 8, 3, stride=0)
    with pytest.raises(ValueError, match="odd"):
        nbcnn.nn.Conv2d(3, 8, 4, padding="same")


# The worked examples of the convolution lecture notes
IMAGE = [[3, 0, 1, 2, 7, 4], [1, 5, 8, 9, 3, 1], [2, 7, 2, 5, 1, 3],
         [0, 1, 3, 1, 7, 8], [4, 2, 1, 6, 2, 8], [2, 4, 5, 2, 3, 9]]
VERTICAL = [[1, 0, -1]] * 3


def conv(image, kernel, **kw):
    x = nbcnn.tensor(np.array(image, np.float32)[None, None])
    w = nbcnn.tensor(np.array(kernel, np.float32)[None, None])
    return F.conv2d(x, w, **kw).numpy()[0, 0]


def test_vertical_edge_example():
    expected = [[-5, -4, 0, 8], [-10, -2, 2, 3], [0, -2, -4, -7], [-3, -2, -3, -16]]
    np.testing.assert_array_equal(conv(IMAGE, VERTICAL), expected)


def test_vertical_edge_example_stride_2():
    np.testing.assert_array_equal(conv(IMAGE, VERTICAL, stride=2), [[-5, 0], [0, -4]])


def test_small_kernel_example():
    np.testing.assert_array_equal(conv([[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[0, 1], [2, 3]]), [[19, 25], [37, 43]])


def test_max_pool_window_example():
    x = nbcnn.tensor(np.array([[0, 1], [3, 4]], np.float32)[None, None])
    assert F.max_pool2d(x, 2).numpy().item() == 4
