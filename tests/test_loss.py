"""Cross-entropy with label smoothing: PyTorch's values and gradients, float64 gradient checks, and its limits."""
import numpy as np
import pytest

import nbcnn
import nbcnn.nn as nn
from nbcnn.nn import functional as F

from gradcheck import check_gradients

rng = np.random.default_rng(11)


def smoothed_reference(logits, target, eps):
    """−Σ q·log softmax with the smoothed one-hot q, as a matrix product."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    q = np.full(logits.shape, eps / logits.shape[1])
    q[np.arange(len(target)), target] += 1 - eps
    return -(q * logp).sum(axis=1).mean()


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5, 1.0])
def test_label_smoothing_matches_a_reference_and_pytorch(eps):
    logits, target = rng.standard_normal((6, 5)) * 4, rng.integers(0, 5, 6)
    ours = F.cross_entropy(nbcnn.tensor(logits, dtype=np.float64, requires_grad=True), nbcnn.tensor(target),
                           label_smoothing=eps)
    np.testing.assert_allclose(ours.item(), smoothed_reference(logits, target, eps), rtol=1e-12)
    torch = pytest.importorskip("torch")
    z = torch.tensor(logits, requires_grad=True)
    theirs = torch.nn.functional.cross_entropy(z, torch.tensor(target), label_smoothing=eps)
    theirs.backward()
    x = nbcnn.tensor(logits, dtype=np.float64, requires_grad=True)
    nn.CrossEntropyLoss(label_smoothing=eps)(x, nbcnn.tensor(target)).backward()
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), z.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("eps", [0.1, 0.9])
def test_label_smoothing_gradients_in_float64(eps):
    logits, target = rng.standard_normal((4, 7)), rng.integers(0, 7, 4)
    check_gradients(lambda z: F.cross_entropy(z, target, label_smoothing=eps), logits)


def test_label_smoothing_stays_finite_for_huge_logits():
    loss = F.cross_entropy(nbcnn.tensor([[1000.0, 0.0]]), nbcnn.tensor([0]), label_smoothing=0.2)
    np.testing.assert_allclose(loss.item(), 0.1 * 1000.0)  # half the smoothing mass sits on a class at −1000


@pytest.mark.parametrize("eps", [-0.1, 1.5, float("nan")])
def test_label_smoothing_outside_0_1_is_refused(eps):
    with pytest.raises(ValueError, match="label_smoothing must lie in"):
        F.cross_entropy(nbcnn.zeros(2, 3), nbcnn.tensor([0, 1]), label_smoothing=eps)
