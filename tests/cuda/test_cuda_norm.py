import numpy as np
import pytest

from cudacheck import check, check_in_place

rng = np.random.default_rng(6)
SHAPES = [(3, 2, 3, 5), (4, 3, 1, 1)]  # the second is BatchNorm1d's (N, D) viewed as (N, D, 1, 1)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_train(shape, affine):
    c = shape[1]
    x = rng.standard_normal(shape) * 3 + 1
    gamma, beta = (rng.standard_normal(c), rng.standard_normal(c)) if affine else (None, None)
    y, mean, var = check("batch_norm_forward_train", x, gamma, beta, 1e-5, rtol=1e-9, atol=1e-12)
    grad = rng.standard_normal(shape)
    check("batch_norm_backward_train", grad, x, gamma, mean, var, 1e-5, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_eval(affine):
    shape, c = (2, 3, 2, 3), 3
    x = rng.standard_normal(shape).astype(np.float32)
    mean, var = rng.standard_normal(c).astype(np.float32), rng.uniform(0.5, 2, c).astype(np.float32)
    gamma, beta = (rng.standard_normal(c).astype(np.float32), rng.standard_normal(c).astype(np.float32)) \
        if affine else (None, None)
    check("batch_norm_forward_eval", x, mean, var, gamma, beta, 1e-5, rtol=1e-6, atol=1e-6)
    grad = rng.standard_normal(shape).astype(np.float32)
    check("batch_norm_backward_eval", grad, x, gamma, mean, var, 1e-5, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_backward_with_global_sums(affine):
    """Synchronised batch norm's dx: the batch-statistics formula with sums over a larger batch than x's."""
    shape, c = (3, 2, 3, 4), 2
    x, grad = rng.standard_normal(shape), rng.standard_normal(shape)
    mean, var = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    gamma = rng.standard_normal(c) if affine else None
    sum_dy, sum_dy_xhat = rng.standard_normal(c) * 10, rng.standard_normal(c) * 10
    check("batch_norm_backward_global", grad, x, gamma, mean, var, 1e-5, sum_dy, sum_dy_xhat, 5 * 3 * 3 * 4,
          rtol=1e-9, atol=1e-12)


def test_batch_norm_float32_statistics():
    x = (rng.standard_normal((4, 2, 3, 3)) * 10 + 100).astype(np.float32)  # a large mean: two passes matter
    check("batch_norm_forward_train", x, None, None, 1e-5, rtol=1e-6, atol=1e-5)


def test_batch_norm_update_running_in_place():
    c = 3
    running_mean, running_var = rng.standard_normal(c).astype(np.float32), rng.uniform(1, 2, c).astype(np.float32)
    mean, var = rng.standard_normal(c).astype(np.float32), rng.uniform(1, 2, c).astype(np.float32)
    check_in_place("batch_norm_update_running", running_mean, running_var, mean, var, 18, 0.1)
