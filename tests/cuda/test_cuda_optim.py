import numpy as np
import pytest

from cudacheck import check_in_place

rng = np.random.default_rng(10)


def _arrays(count, dtype=np.float32, shape=(3, 7)):
    return [rng.standard_normal(shape).astype(dtype) for _ in range(count)]


@pytest.mark.parametrize("momentum, dampening, nesterov", [(0.0, 0.0, False), (0.9, 0.1, False), (0.9, 0.0, True)])
@pytest.mark.parametrize("first_step", [True, False])
def test_sgd(momentum, dampening, nesterov, first_step):
    param, grad, buf = _arrays(3)
    check_in_place("sgd_update", param, grad, buf, 0.1, momentum, dampening, 1e-2, nesterov, first_step)


@pytest.mark.parametrize("step", [1, 10])
def test_adam(step):
    param, grad, exp_avg = _arrays(3)
    exp_avg_sq = rng.uniform(0, 1, param.shape).astype(np.float32)
    check_in_place("adam_update", param, grad, exp_avg, exp_avg_sq, 1e-3, 0.9, 0.999, 1e-8, 1e-2, step)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_rmsprop(momentum):
    param, grad, buf = _arrays(3, np.float64, (5,))
    square_avg = rng.uniform(0, 1, param.shape)
    check_in_place("rmsprop_update", param, grad, square_avg, buf, 1e-2, 0.99, 1e-8, 1e-3, momentum)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_decoupled_weight_decay(nesterov):
    param, grad, buf = _arrays(3)
    check_in_place("sgd_update", param, grad, buf, 0.1, 0.9, 0.0, 5e-2, nesterov, False, True)


def test_lookahead():
    fast, slow = _arrays(2)
    check_in_place("lookahead_update", fast, slow, 0.3)
