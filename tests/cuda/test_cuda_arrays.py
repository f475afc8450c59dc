import numpy as np
import pytest

from cudacheck import check, gpu, to_host

rng = np.random.default_rng(0)


@pytest.mark.parametrize("array", [np.full((), 2.5, np.float32), rng.standard_normal((3, 5)),
                                   np.arange(7, dtype=np.int64)])
def test_round_trip(array):
    device = gpu.asarray(array)
    back = gpu.to_numpy(device)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 4)])
def test_fills(shape):
    a = rng.standard_normal(shape).astype(np.float32)
    check("zeros", shape, np.float32)
    check("full", shape, 1.5, np.float64)
    check("zeros_like", a)
    check("ones_like", a)


def test_astype_and_copy():
    a = rng.standard_normal((3, 7)) * 10
    check("astype", a, np.float32)
    check("astype", a, np.int64)
    check("astype", a.astype(np.float32), np.float32)
    device = gpu.asarray(a)
    duplicate = gpu.copy(device)
    # an in-place kernel changes the original; a view would change with it
    gpu.sgd_update(device, gpu.ones_like(device), gpu.zeros_like(device), 1.0, 0.0, 0.0, 0.0, False, True)
    np.testing.assert_array_equal(to_host(duplicate), a)


def test_transpose2d():
    check("transpose2d", rng.standard_normal((5, 3)))


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_concatenate_and_split(axis):
    shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
    for shape, size in zip(shapes, (1, 3, 2)):
        shape[axis] = size
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    joined = check("concatenate", arrays, axis)
    check("split", joined, [1, 3, 2], axis)
