"""Activations, linear, dropout, concatenation and the loss."""
import numpy as np
import pytest

import nbcnn
import nbcnn.nn.functional as F
import reference
from gradcheck import check_gradients


def away_from_zero(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    return x + np.sign(x) * 0.1  # keep ReLU's kink out of the finite differences


@pytest.mark.parametrize("name, numpy_fn", [
    ("relu", lambda x: np.maximum(x, 0)), ("sigmoid", lambda x: 1 / (1 + np.exp(-x))), ("tanh", np.tanh),
])
def test_activations(name, numpy_fn):
    x = away_from_zero((3, 4, 5), 0)
    fn = getattr(F, name)
    np.testing.assert_allclose(fn(nbcnn.tensor(x)).numpy(), numpy_fn(x), rtol=1e-12)
    check_gradients(fn, x)


def test_sigmoid_is_finite_for_large_inputs():
    y = F.sigmoid(nbcnn.tensor([-1000.0, 1000.0])).numpy()
    np.testing.assert_array_equal(y, [0.0, 1.0])


def test_linear():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((4, 5)), rng.standard_normal((3, 5)), rng.standard_normal(3)
    np.testing.assert_allclose(F.linear(nbcnn.tensor(x), nbcnn.tensor(w), nbcnn.tensor(b)).numpy(), x @ w.T + b)
    check_gradients(F.linear, x, w, b)


def test_concat_along_channels():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 1, 3, 3)), rng.standard_normal((2, 3, 3, 3))
    np.testing.assert_array_equal(nbcnn.cat([nbcnn.tensor(a), nbcnn.tensor(b)], 1).numpy(), np.concatenate([a, b], 1))
    check_gradients(lambda a, b: nbcnn.cat([F.tanh(a), b * 2], dim=1), a, b)


def test_cross_entropy_matches_log_softmax_and_is_stable():
    rng = np.random.default_rng(3)
    logits, target = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    loss = F.cross_entropy(nbcnn.tensor(logits), nbcnn.tensor(target))
    assert loss.shape == ()
    np.testing.assert_allclose(loss.item(), reference.cross_entropy(logits, target), rtol=1e-12)
    check_gradients(lambda z: F.cross_entropy(z, target), logits)
    huge = F.cross_entropy(nbcnn.tensor([[1000.0, 0.0], [0.0, -1000.0]]), nbcnn.tensor([1, 0]))
    np.testing.assert_allclose(huge.item(), 500.0)


def test_cross_entropy_rejects_labels_out_of_range():
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        F.cross_entropy(nbcnn.zeros(2, 3), nbcnn.tensor([0, 3]))


def test_dropout_is_inverted_seeded_and_identity_in_eval():
    x = nbcnn.ones(100, 100)
    nbcnn.manual_seed(0)
    a = F.dropout(x, 0.3).numpy()
    nbcnn.manual_seed(0)
    b = F.dropout(x, 0.3).numpy()
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) == {0.0, np.float32(1 / 0.7)}
    assert abs((a == 0).mean() - 0.3) < 0.02
    assert F.dropout(x, 0.3, training=False) is x
    layer = nbcnn.nn.Dropout(0.5).eval()
    assert layer(x) is x


@pytest.mark.parametrize("shards", [[(slice(0, 4), 0, 1), (slice(4, 8), 4, 1)],  # contiguous halves
                                    [(slice(0, 8, 2), 0, 2), (slice(1, 8, 2), 1, 2)]])  # DataParallel's rows
def test_dropout_of_a_shard_draws_the_whole_batchs_mask_for_its_rows(shards):
    """Ranks each holding some rows of a batch, at the same generator state, draw the masks one process draws."""
    from nbcnn.random import example_positions, get_state, set_state
    x = nbcnn.tensor(np.random.default_rng(5).standard_normal((8, 3, 4, 5)) + 10.0)  # no zeros: y == 0 iff dropped
    state = get_state()
    whole = F.dropout(x, 0.5).numpy()
    assert 0 < (whole == 0).sum() < whole.size
    parts = np.empty_like(whole)
    for rows, start, step in shards:
        set_state(state)
        with example_positions(start, step):
            parts[rows] = F.dropout(nbcnn.tensor(x.numpy()[rows]), 0.5).numpy()
    np.testing.assert_array_equal(parts, whole)


def test_dropout_gradient_uses_the_same_mask():
    x = nbcnn.tensor(np.random.default_rng(4).standard_normal((6, 7)), requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (y.numpy() != 0) * 2.0)
