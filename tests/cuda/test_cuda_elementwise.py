import numpy as np
import pytest

from cudacheck import check

rng = np.random.default_rng(1)

PAIRS = [((3, 5), (3, 5)), ((4, 3), (3,)), ((2, 1, 3), (4, 1)), ((), (2, 3)), ((2, 3, 1, 5), (1, 3, 4, 1)),
         ((5,), ())]


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
@pytest.mark.parametrize("shapes", PAIRS, ids=str)
def test_broadcasting_arithmetic(op, shapes):
    a, b = (rng.uniform(0.5, 2, s).astype(np.float32) for s in shapes)
    check(op, a, b)
    check(op, b, a)


def test_result_dtypes_follow_numpy():
    check("add", rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal(3))
    check("div", np.arange(1, 7).reshape(2, 3), np.arange(1, 4))
    check("mul", np.arange(6), np.full((), 2.5, np.float32))


@pytest.mark.parametrize("op", ["neg", "exp", "log"])
def test_unary(op):
    check(op, rng.uniform(0.1, 3, (3, 4)))
    check(op, rng.uniform(0.1, 3, ()).astype(np.float32))


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2), (1, 2), (0, 1, 2), -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum(axis, keepdims):
    check("sum", rng.standard_normal((3, 4, 5)).astype(np.float32), axis, keepdims, rtol=1e-5, atol=1e-6)


def test_sum_of_integers_and_scalars():
    check("sum", np.arange(12).reshape(3, 4), (1,), False)
    check("sum", np.full((), 3.0), None, False)


@pytest.mark.parametrize("shapes", [((4, 3), (3,)), ((2, 3, 4), (3, 1)), ((2, 3), (1, 1)), ((2, 3), (2, 3)),
                                    ((5,), ())], ids=str)
def test_sum_to_shape(shapes):
    grad_shape, shape = shapes
    check("sum_to_shape", rng.standard_normal(grad_shape), shape)
