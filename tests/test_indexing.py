"""Basic slicing (Tensor.__getitem__) and constant padding (F.pad): values against NumPy and PyTorch, gradients by
central differences, and the errors PyTorch users would expect."""
import numpy as np
import pytest

import nbcnn
import nbcnn.nn.functional as F
from gradcheck import check_gradients

rng = np.random.default_rng(3)
X = rng.standard_normal((2, 3, 5, 6))

KEYS = [
    (slice(None), slice(None), slice(None, None, 2), slice(None, None, 2)),  # option A's subsampling
    (Ellipsis, slice(1, None, 3)),
    (1, slice(None), None, -1),
    (slice(-1, None), Ellipsis, slice(4, 1)),  # an empty axis
    (slice(None, None, 5), 2, slice(1, 4), slice(None, 100, 4)),
    -2,
    Ellipsis,
]
PADS = [(0, 0, 0, 0, 2, 2), (1, 2), (0, 1, 3, 0), (1, 0, 0, 2, 0, 1, 1, 1), ()]


@pytest.mark.parametrize("key", KEYS)
def test_slicing_matches_numpy(key):
    out = nbcnn.tensor(X)[key]
    np.testing.assert_array_equal(out.numpy(), X[key])
    assert out.shape == X[key].shape


@pytest.mark.parametrize("pad", PADS)
def test_pad_matches_numpy(pad):
    pairs = [(0, 0)] * (X.ndim - len(pad) // 2) + [tuple(pad[i:i + 2]) for i in range(len(pad) - 2, -1, -2)]
    out = F.pad(nbcnn.tensor(X), pad, value=-1.5)
    np.testing.assert_array_equal(out.numpy(), np.pad(X, pairs, constant_values=-1.5))


def test_forward_matches_pytorch():
    torch = pytest.importorskip("torch")
    for key in KEYS:
        np.testing.assert_array_equal(nbcnn.tensor(X)[key].numpy(), torch.tensor(X)[key].numpy(), err_msg=str(key))
    for pad in PADS:
        np.testing.assert_array_equal(F.pad(nbcnn.tensor(X), pad).numpy(),
                                      torch.nn.functional.pad(torch.tensor(X), pad).numpy(), err_msg=str(pad))


@pytest.mark.parametrize("key", KEYS[:5])
def test_slicing_gradient(key):
    check_gradients(lambda x: x[key], X)


def test_overlapping_slices_accumulate():
    # the same elements reach the output through several slices: their gradients add up
    check_gradients(lambda x: x[:, :, ::2] * x[:, :, :3] + x[:, :, 2:, 1:4:2].sum(dim=3, keepdim=True), X)


@pytest.mark.parametrize("pad", PADS)
def test_pad_gradient(pad):
    check_gradients(lambda x: F.pad(x, pad, value=0.5) * F.pad(x, pad), X)


def test_option_a_shortcut_gradient():
    check_gradients(lambda x: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, 1, 2)).tanh(), X)


def test_float32_stays_float32():
    x = nbcnn.tensor(X.astype(np.float32))
    assert x[:, 1:].dtype == np.float32 and F.pad(x, (1, 1)).dtype == np.float32


@pytest.mark.parametrize("key, error, message", [
    ((slice(None, None, -1),), ValueError, "step must be positive"),
    ((0, 0, 0, 6), IndexError, "index 6 is out of bounds for axis 3 with size 6"),
    ((0, 0, 0, 0, 0), IndexError, "too many indices"),
    ((Ellipsis, 0, Ellipsis), IndexError, "single ellipsis"),
    ((0.5,), TypeError, "only integers, slices"),
    ((True,), TypeError, "only integers, slices"),
])
def test_bad_indices(key, error, message):
    with pytest.raises(error, match=message):
        nbcnn.tensor(X)[key]


@pytest.mark.parametrize("pad, mode, message", [
    ((1, 2, 3), "constant", "even number of values"),
    ((1,) * 10, "constant", "at most two per axis"),
    ((0, -1), "constant", "negative padding"),
    ((1, 1), "reflect", "only mode 'constant'"),
])
def test_bad_padding(pad, mode, message):
    with pytest.raises(ValueError, match=message):
        F.pad(nbcnn.tensor(X), pad, mode=mode)


def test_numpy_converts_a_tensor_as_one_array_not_row_by_row():
    t = nbcnn.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    converted = np.asarray(t)
    assert converted.dtype == np.float32 and converted.shape == (2, 3)
    np.testing.assert_array_equal(converted, np.arange(6.0).reshape(2, 3))
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
