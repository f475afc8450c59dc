"""Run a kernel on both backends with the same inputs and compare, the CPU backend being the reference."""
import numpy as np

from nbcnn import backend

cpu = backend.get("cpu")
gpu = backend.get("cuda")


def to_device(value):
    if isinstance(value, np.ndarray):
        return gpu.asarray(value)
    if isinstance(value, (list, tuple)):
        return type(value)(to_device(v) for v in value)
    return value


def to_host(value):
    if getattr(value, "__cuda_ndarray__", False):
        return gpu.to_numpy(value)
    if isinstance(value, (list, tuple)):
        return type(value)(to_host(v) for v in value)
    return value


def _copied(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_copied(v) for v in value)
    return value


def assert_close(got, want, rtol=1e-6, atol=1e-7, what="result"):
    if isinstance(want, np.generic):  # NumPy answers a full reduction of an array with a scalar
        want = np.asarray(want)
    if isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), f"{what}: {got!r} vs {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, rtol, atol, f"{what}[{i}]")
    elif isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), f"{what}: expected an array, got {type(got).__name__}"
        assert (got.shape, got.dtype) == (want.shape, want.dtype), \
            f"{what}: {got.shape} {got.dtype} vs CPU {want.shape} {want.dtype}"
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=what)
    else:
        assert got == want, f"{what}: {got!r} vs CPU {want!r}"


def check(name, *args, rtol=1e-6, atol=1e-7):
    """Kernel `name` on the CUDA backend returns what it returns on the CPU backend."""
    want = getattr(cpu, name)(*_copied(args))
    got = to_host(getattr(gpu, name)(*to_device(args)))
    assert_close(got, want, rtol, atol, name)
    return got


def check_in_place(name, *args, rtol=1e-6, atol=1e-7):
    """An in-place kernel leaves every array argument as the CPU backend leaves it."""
    host, device = _copied(args), to_device(args)
    getattr(cpu, name)(*host)
    getattr(gpu, name)(*device)
    for i, (h, d) in enumerate(zip(host, device)):
        if isinstance(h, np.ndarray):
            assert_close(to_host(d), h, rtol, atol, f"{name} argument {i}")
