import gc
import weakref

import numpy as np
import pytest

import nbcnn
from gradcheck import check_gradients


def test_value_used_twice_accumulates():
    x = nbcnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x + x  # x reaches the output along three paths
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([1, 2, 3]) + 1)


def test_residual_block_gradient():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 5, 5))
    w1 = rng.standard_normal((3, 3, 3, 3)) * 0.3
    w2 = rng.standard_normal((3, 3, 3, 3)) * 0.3
    F = nbcnn.nn.functional

    def block(x, w1, w2):
        h = F.conv2d(F.tanh(F.conv2d(x, w1, padding=1)), w2, padding=1)
        return F.tanh(h + x)  # the input is used twice: through the convs and the shortcut

    check_gradients(block, x, w1, w2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_sums_take_the_parallel_add(dtype, monkeypatch):
    """Same-shape sums past the parallel threshold (residual connections, gradients meeting in backward) run
    in a Numba kernel; anything else, broadcasting or strided, stays NumPy's."""
    from nbcnn.backend.cpu import arrays
    calls, kernel = [], arrays._add
    monkeypatch.setattr(arrays, "_add", lambda *args: calls.append(1) or kernel(*args))
    rng = np.random.default_rng(7)
    a, b = (rng.standard_normal((3, arrays._PARALLEL_ADD // 2 + 5)).astype(dtype) for _ in range(2))
    total = arrays.add(a, b)
    assert total.dtype == dtype and total.shape == a.shape
    np.testing.assert_array_equal(total, a + b)
    np.testing.assert_array_equal(arrays.add(a[:, ::2], b[:, ::2]), a[:, ::2] + b[:, ::2])
    np.testing.assert_array_equal(arrays.add(a, b[:1]), a + b[:1])
    x = nbcnn.tensor(a, requires_grad=True)
    y = x + x  # two gradients of x's size meet in backward
    y.backward(nbcnn.tensor(b))
    np.testing.assert_array_equal(x.grad.numpy(), b + b)
    assert len(calls) == 3  # the first sum, x + x and backward's, not the strided or broadcast ones


def test_callers_gradient_is_not_kept_by_a_leaf():
    """backward(g) reads the caller's array without copying it, except where a leaf would keep it (or a view of
    it) as .grad: the caller may reuse its array afterwards."""
    g = np.arange(6.0).reshape(2, 3)
    x = nbcnn.tensor(np.ones(6), requires_grad=True, dtype=np.float64)
    x.reshape(2, 3).backward(g)  # reshape hands the leaf a view of g
    w = nbcnn.tensor(np.ones((2, 3)), requires_grad=True, dtype=np.float64)
    w.backward(g)  # the root is itself a leaf
    h = nbcnn.tensor(np.ones((2, 3)), requires_grad=True, dtype=np.float64)
    (h * 2.0).backward(g)  # a computed gradient: no copy needed, none made
    g[:] = -1
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(6.0))
    np.testing.assert_array_equal(w.grad.numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(h.grad.numpy(), 2 * np.arange(6.0).reshape(2, 3))


def test_broadcasting_gradients_reduce_to_input_shape():
    a = np.random.default_rng(2).standard_normal((4, 3))
    b = np.random.default_rng(3).standard_normal((3,))
    check_gradients(lambda a, b: a * b + b / (a * a + 1) - b, a, b)


def test_matmul_reshape_sum_mean_exp_log():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    check_gradients(lambda a, b: (a @ b).reshape(6).exp().mean(dim=0, keepdim=True), a, b)
    check_gradients(lambda a: (a * a + 1).log().sum(dim=1), a)
    check_gradients(lambda a, b: (a.T @ a @ b).flatten().sum(), a, b)


def test_scalar_operands_on_both_sides():
    x = nbcnn.tensor([2.0, 4.0], requires_grad=True)
    y = (1 - x) * 3 + 2 / x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -3 - 2 / np.array([4.0, 16.0]))


def test_no_grad_records_nothing():
    x = nbcnn.tensor([1.0], requires_grad=True)
    with nbcnn.no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_backward_frees_the_tape():
    x = nbcnn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_tape_does_not_keep_unsaved_intermediates_alive():
    # Add saves only shapes and ReLU its output: once the caller drops `a`, nothing may hold its array
    x = nbcnn.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    a = x + 1.0
    watch = weakref.ref(a.data)
    b = a.relu()
    del a
    gc.collect()
    assert watch() is None
    (b * b).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 6.0, 8.0])  # d/dx relu(x + 1)² = 2(x + 1) where x + 1 > 0


def test_gradients_accumulate_across_backward_calls():
    x = nbcnn.tensor([3.0], requires_grad=True)
    (x * 2).sum().backward()
    (x * 5).sum().backward()
    assert x.grad.item() == 7.0


def test_deep_chain_does_not_recurse():
    x = nbcnn.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + 0.001
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_dtypes_and_properties():
    assert nbcnn.tensor([1.0]).dtype == np.float32
    assert nbcnn.tensor(np.zeros(2)).dtype == np.float64
    assert nbcnn.tensor([1, 2]).dtype == np.int64
    t = nbcnn.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    assert t.shape == (2, 3) and t.device == "cpu" and not t.detach().requires_grad
    with pytest.raises(TypeError):
        nbcnn.tensor([1, 2], requires_grad=True)


def test_reshape_errors_name_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        nbcnn.tensor(np.zeros((2, 3))).reshape(4, 2)


def test_mixed_devices_rejected():
    from nbcnn.function import _common_device
    a = nbcnn.tensor([1.0])
    b = nbcnn.tensor([1.0])
    b.device = "cuda"  # a stand-in: the check looks at devices only
    with pytest.raises(RuntimeError, match="one device"):
        _common_device("Add", (a, b))
