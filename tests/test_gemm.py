"""The BLAS products under every kernel: gemm inside Numba, its fallback, and blas.matmul's thread split."""
import ctypes
import os
import subprocess
import sys

import numpy as np
import pytest
from numba import cfunc, njit

from nbcnn.backend.cpu import blas, gemm as gemm_module, openblas
from nbcnn.backend.cpu.gemm import gemm


@njit(cache=True)
def _gemm_in_kernel(a, b, out, beta):
    gemm(a, b, out, beta)


def _operands(rng, m, k, n, dtype):
    """(name, a) and (name, b) views of one logical product: contiguous, transposed, sliced."""
    big_a = rng.standard_normal((m + 3, k + 2)).astype(dtype)
    big_b = rng.standard_normal((n + 1, k + 5)).astype(dtype)
    a_views = {"C": np.ascontiguousarray(big_a[:m, :k]), "slice": big_a[1:m + 1, 2:k + 2],
               "F": np.asfortranarray(big_a[:m, :k])}
    b_views = {"transposed slice": big_b[:n, :k].T, "C": np.ascontiguousarray(big_b[:n, :k].T)}
    return a_views, b_views


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, k, n", [(3, 4, 5), (1, 7, 3), (6, 1, 4), (5, 6, 1), (64, 147, 130), (4, 0, 3)])
def test_gemm_matches_numpy_on_strided_operands(dtype, m, k, n):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a_views, b_views = _operands(rng, m, k, n, dtype)
    tol = dict(rtol=1e-5, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for a_name, a in a_views.items():
        for b_name, b in b_views.items():
            frame = rng.standard_normal((m + 2, n + 3)).astype(dtype)
            out = frame[1:m + 1, 2:n + 2]  # a window of a larger array: rows strided, columns contiguous
            before = out.copy()
            _gemm_in_kernel(a, b, out, 1.0)
            np.testing.assert_allclose(out, a @ b + before, **tol, err_msg=f"a {a_name}, b {b_name}, beta 1")
            _gemm_in_kernel(a, b, out, 0.0)
            np.testing.assert_allclose(out, a @ b, **tol, err_msg=f"a {a_name}, b {b_name}, beta 0")


def test_gemm_leaves_the_rest_of_the_frame_alone():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 6))
    frame = np.full((6, 9), 7.0)
    _gemm_in_kernel(a, b, frame[1:5, 2:8], 0.0)
    untouched = np.ones_like(frame, bool)
    untouched[1:5, 2:8] = False
    assert (frame[untouched] == 7.0).all()
    np.testing.assert_allclose(frame[1:5, 2:8], a @ b)


def test_gemm_rejects_what_blas_cannot_read_and_matmul_copies_it():
    a, b = np.arange(12.0).reshape(3, 4)[::-1], np.ones((4, 5))  # negative row stride
    with pytest.raises(ValueError, match="neither contiguous"):
        _gemm_in_kernel(a, b, np.empty((3, 5)), 0.0)
    np.testing.assert_allclose(blas.matmul(a, b), a @ b)
    np.testing.assert_allclose(blas.matmul(b.T, a.T[:, ::2]), b.T @ a.T[:, ::2])


def test_gemm_rejects_mismatched_shapes_and_strided_output_rows():
    a, b = np.ones((3, 4)), np.ones((4, 5))
    with pytest.raises(ValueError, match="shapes"):
        _gemm_in_kernel(a, np.ones((3, 5)), np.empty((3, 5)), 0.0)
    with pytest.raises(ValueError, match="rows of out"):
        _gemm_in_kernel(a, b, np.empty((5, 3)).T, 0.0)


@pytest.mark.parametrize("dtype, ctype", [(np.float32, ctypes.c_float), (np.float64, ctypes.c_double)])
@pytest.mark.parametrize("trans_a, trans_b", [(111, 111), (112, 111), (111, 112), (112, 112)])
def test_fallback_follows_the_cblas_contract(dtype, ctype, trans_a, trans_b):
    # what the kernels call when NumPy's OpenBLAS is not found: row-major cblas_?gemm with leading dimensions
    fallback = cfunc(gemm_module._SYMBOLS[dtype][1])(gemm_module._fallback_gemm).ctypes
    rng = np.random.default_rng(trans_a + trans_b)
    m, k, n, pad = 5, 7, 4, 3
    a_store = rng.standard_normal((m, k + pad) if trans_a == 111 else (k, m + pad)).astype(dtype)
    b_store = rng.standard_normal((k, n + pad) if trans_b == 111 else (n, k + pad)).astype(dtype)
    a = a_store[:, :k] if trans_a == 111 else a_store[:, :m].T
    b = b_store[:, :n] if trans_b == 111 else b_store[:, :k].T
    c_store = rng.standard_normal((m, n + pad)).astype(dtype)
    expected = 2.0 * (a @ b) + 0.5 * c_store[:, :n]
    tail = c_store[:, n:].copy()
    pointer = lambda arr: arr.ctypes.data_as(ctypes.POINTER(ctype))  # noqa: E731
    fallback(101, trans_a, trans_b, m, n, k, 2.0, pointer(a_store), a_store.shape[1], pointer(b_store),
             b_store.shape[1], 0.5, pointer(c_store), n + pad)
    np.testing.assert_allclose(c_store[:, :n], expected, rtol=1e-5)
    np.testing.assert_array_equal(c_store[:, n:], tail)


def test_numpy_openblas_found_and_thread_count_restored():
    library = openblas.library()
    if library is None:
        pytest.skip("NumPy here is not on a bundled OpenBLAS we can find: the kernels use the fallback")
    before = library.get_threads()
    with openblas.single_threaded():
        assert library.get_threads() == 1
    assert library.get_threads() == before


@pytest.mark.parametrize("shape", [(300, 200, 40), (40, 200, 300), (7, 9, 5), (1, 3000, 2000)])  # rows, columns, serial, one row
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_matmul_splits_over_threads_with_beta(shape, beta):
    m, k, n = shape
    rng = np.random.default_rng(m)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = np.asfortranarray(rng.standard_normal((k, n)).astype(np.float32))
    out = rng.standard_normal((m, n)).astype(np.float32)
    expected = a.astype(np.float64) @ b + beta * out
    blas.matmul(a, b, out, beta=beta)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-3)


def test_kernels_run_on_the_fallback_when_numpy_openblas_is_missing(tmp_path):
    # a process whose NumPy BLAS is not found binds the fallback; the same JIT cache serves it
    script = (
        "import sys; sys.path.insert(0, %r)\n"
        "from nbcnn.backend.cpu import openblas; assert openblas.library() is None\n"
        "import numpy as np, reference\n"
        "from nbcnn.backend.cpu import conv_im2col, blas\n"
        "rng = np.random.default_rng(0)\n"
        "x = rng.standard_normal((2, 3, 9, 9)); w = rng.standard_normal((4, 3, 3, 3)); b = rng.standard_normal(4)\n"
        "y = conv_im2col.conv2d_forward(x, w, b, (2, 2), (1, 1))\n"
        "assert np.allclose(y, reference.conv2d(x, w, b, (2, 2), (1, 1)))\n"
        "a = rng.standard_normal((50, 60)); c = rng.standard_normal((60, 70))\n"
        "assert np.allclose(blas.matmul(a, c), a @ c)\n"
        "print('fallback ok')\n") % os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, NBCNN_NUMPY_BLAS="0")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "fallback ok" in done.stdout
