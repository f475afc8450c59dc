import numpy as np
import pytest

import nbcnn
import nbcnn.nn.functional as F
import reference
from gradcheck import check_gradients


@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (6, 5)])
def test_batch_norm_training_forward_and_gradients(shape):
    rng = np.random.default_rng(0)
    x, gamma, beta = rng.standard_normal(shape), rng.uniform(0.5, 1.5, shape[1]), rng.standard_normal(shape[1])
    y = F.batch_norm(nbcnn.tensor(x), None, None, nbcnn.tensor(gamma), nbcnn.tensor(beta), training=True)
    np.testing.assert_allclose(y.numpy(), reference.batch_norm_train(x, gamma, beta, 1e-5)[0], rtol=1e-9, atol=1e-9)
    check_gradients(lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True), x, gamma, beta)


def test_batch_norm_eval_gradients_use_running_statistics():
    rng = np.random.default_rng(1)
    x, gamma, beta = rng.standard_normal((3, 2, 4, 4)), rng.uniform(0.5, 1.5, 2), rng.standard_normal(2)
    mean, var = nbcnn.tensor(rng.standard_normal(2)), nbcnn.tensor(rng.uniform(0.5, 2, 2))
    y = F.batch_norm(nbcnn.tensor(x), mean, var, nbcnn.tensor(gamma), nbcnn.tensor(beta), training=False)
    m, v = mean.numpy()[None, :, None, None], var.numpy()[None, :, None, None]
    expected = (x - m) / np.sqrt(v + 1e-5) * gamma[None, :, None, None] + beta[None, :, None, None]
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)
    check_gradients(lambda x, g, b: F.batch_norm(x, mean, var, g, b, training=False), x, gamma, beta)


def test_running_statistics_follow_the_formula_over_k_steps():
    rng = np.random.default_rng(2)
    bn = nbcnn.nn.BatchNorm2d(3, momentum=0.2)
    run_mean, run_var = np.zeros(3), np.ones(3)
    for _ in range(4):
        x = rng.standard_normal((5, 3, 2, 3)) * 2 + 1
        bn(nbcnn.tensor(x, dtype=np.float32))
        m = x.size // 3
        run_mean = 0.8 * run_mean + 0.2 * x.mean(axis=(0, 2, 3))
        run_var = 0.8 * run_var + 0.2 * x.var(axis=(0, 2, 3)) * m / (m - 1)  # unbiased, as PyTorch
    np.testing.assert_allclose(bn.running_mean.numpy(), run_mean, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), run_var, rtol=1e-5)
    assert bn.num_batches_tracked.item() == 4
    bn.eval()
    x = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
    expected = (x - run_mean[None, :, None, None]) / np.sqrt(run_var[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(bn(nbcnn.tensor(x)).numpy(), expected, rtol=1e-4, atol=1e-5)
    assert bn.num_batches_tracked.item() == 4  # eval leaves the statistics alone


def test_batch_norm_1d_rejects_images():
    with pytest.raises(ValueError, match="2-D"):
        nbcnn.nn.BatchNorm1d(3)(nbcnn.zeros(2, 3, 4, 4))


@pytest.mark.parametrize("size", [1, 2, 5])
def test_local_response_norm(size):
    x = np.random.default_rng(3).standard_normal((2, 6, 3, 3))
    y = F.local_response_norm(nbcnn.tensor(x), size, alpha=0.5, beta=0.75, k=2.0)
    np.testing.assert_allclose(y.numpy(), reference.lrn(x, size, 0.5, 0.75, 2.0), rtol=1e-12)
    check_gradients(lambda x: F.local_response_norm(x, size, alpha=0.5, beta=0.75, k=2.0), x)
