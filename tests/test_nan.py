"""A NaN in the input reaches every output and input gradient that PyTorch's does, so a diverging network shows a
NaN loss. ReLU once mapped NaN to 0; max pooling's NaN cases are in test_pool.py."""
import numpy as np
import pytest

import nbcnn
import nbcnn.nn.functional as F
from nbcnn.backend.cpu import conv

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(11)
W = rng.standard_normal((4, 3, 3, 3))
B = rng.standard_normal(4)
L = rng.standard_normal((5, 12))
G = rng.standard_normal(3)

# name: (nbcnn's op, PyTorch's, input shape); each takes a tensor of its own library
OPS = {
    "relu": (F.relu, TF.relu, (2, 3, 4, 4)),
    "sigmoid": (F.sigmoid, torch.sigmoid, (2, 3, 4, 4)),
    "tanh": (F.tanh, torch.tanh, (2, 3, 4, 4)),
    "avg_pool": (lambda x: F.avg_pool2d(x, 3, 2, 1), lambda x: TF.avg_pool2d(x, 3, 2, 1), (2, 3, 7, 6)),
    "global_avg_pool": (lambda x: F.adaptive_avg_pool2d(x, 1), lambda x: TF.adaptive_avg_pool2d(x, 1),
                        (2, 3, 4, 5)),
    "linear": (lambda x: F.linear(x, nbcnn.tensor(L)), lambda x: TF.linear(x, torch.tensor(L)), (3, 12)),
    "batch_norm_2d": (lambda x: F.batch_norm(x, None, None, nbcnn.tensor(G), nbcnn.tensor(B[:3]), training=True),
                      lambda x: TF.batch_norm(x, None, None, torch.tensor(G), torch.tensor(B[:3]), training=True),
                      (2, 3, 4, 4)),
    "batch_norm_1d": (lambda x: F.batch_norm(x, None, None, training=True),
                      lambda x: TF.batch_norm(x, None, None, training=True), (4, 3)),
    "lrn": (lambda x: F.local_response_norm(x, 3), lambda x: TF.local_response_norm(x, 3), (2, 5, 3, 3)),
    "cross_entropy": (lambda x: F.cross_entropy(x, [0, 2, 1]),
                      lambda x: TF.cross_entropy(x, torch.tensor([0, 2, 1])), (3, 4)),
}


def _nan_masks(op, x, library):
    """(where the output is NaN, where the input's gradient is NaN), for a random upstream gradient."""
    if library is torch:
        t = torch.tensor(x, requires_grad=True)
        y = op(t)
        (y * torch.tensor(np.ones(y.shape) + 0.5)).sum().backward()
        return np.isnan(y.detach().numpy()), np.isnan(t.grad.numpy())
    t = nbcnn.tensor(x, requires_grad=True)
    y = op(t)
    (y * nbcnn.tensor(np.ones(y.shape) + 0.5)).sum().backward()
    return np.isnan(y.numpy()), np.isnan(t.grad.numpy())


def _with_nan(shape, place):
    x = rng.standard_normal(shape)
    x.flat[place] = np.nan
    return x


@pytest.mark.parametrize("name", sorted(OPS))
def test_nan_reaches_what_it_reaches_in_pytorch(name):
    ours, theirs, shape = OPS[name]
    for place in (0, int(np.prod(shape)) // 2 + 1, int(np.prod(shape)) - 1):
        x = _with_nan(shape, place)
        want_y, want_g = _nan_masks(theirs, x, torch)
        got_y, got_g = _nan_masks(ours, x, nbcnn)
        np.testing.assert_array_equal(got_y, want_y, err_msg=f"{name}: output, NaN at {place}")
        np.testing.assert_array_equal(got_g, want_g, err_msg=f"{name}: gradient, NaN at {place}")


@pytest.mark.parametrize("algorithm", sorted(conv.ALGORITHMS))
def test_conv_output_is_nan_wherever_pytorch_s_is(algorithm, monkeypatch):
    """At least where PyTorch's is: Winograd's tile transforms may spread a NaN over its whole tile."""
    monkeypatch.setattr(conv, "choose", lambda *shapes, **options: algorithm)
    shape = (2, 3, 8, 8)
    if not conv.ALGORITHMS[algorithm].supports(W.shape, (1, 1), (1, 1)):
        pytest.skip(f"{algorithm} does not run stride 1, padding 1")
    for place in (0, 100, 383):
        x = _with_nan(shape, place)
        want_y, want_g = _nan_masks(lambda x: TF.conv2d(x, torch.tensor(W), torch.tensor(B), 1, 1), x, torch)
        got_y, got_g = _nan_masks(lambda x: F.conv2d(x, nbcnn.tensor(W), nbcnn.tensor(B), 1, 1), x, nbcnn)
        assert got_y[want_y].all() and got_g[want_g].all(), f"{algorithm}: NaN at {place}"


def test_dropout_keeps_a_dropped_nan():
    """PyTorch multiplies by the mask, so a dropped NaN stays NaN; nbcnn once wrote 0 there."""
    x = np.full((64,), np.nan)
    y = F.dropout(nbcnn.tensor(x), 0.5).numpy()
    assert np.isnan(y).all()
