import numpy as np
import pytest

import nbcnn
import nbcnn.nn.functional as F
import reference
from gradcheck import check_gradients
from nbcnn.backend.cpu import (conv, conv_batched, conv_direct, conv_im2col, conv_lowered_cl, conv_winograd,
                               conv_winograd4)

CASES = [  # N, C, H, W, K, kh, kw, stride, padding
    (2, 3, 7, 6, 4, 3, 3, (1, 1), (1, 1)),
    (2, 2, 9, 8, 3, 3, 2, (2, 1), (1, 0)),   # non-square kernel, uneven stride
    (1, 4, 6, 6, 5, 1, 1, (1, 1), (0, 0)),   # 1×1
    (3, 1, 8, 8, 2, 5, 5, (3, 3), (2, 2)),   # stride 3 with padding
    (1, 2, 5, 7, 2, 2, 3, (1, 2), (0, 1)),
    (2, 3, 6, 5, 2, 2, 3, (1, 1), (1, 2)),   # stride 1, uneven padding, even kernel height
    (2, 9, 6, 7, 16, 3, 3, (1, 1), (0, 1)),  # enough channels for the shifted products
    (2, 1, 9, 9, 3, 5, 5, (1, 1), (2, 2)),   # LeNet's first layer, small
    (1, 8, 5, 5, 8, 3, 1, (1, 1), (2, 0)),   # padding past the half kernel
    (2, 6, 9, 8, 7, 5, 5, (1, 1), (0, 0)),   # direct's 5-wide rows: 7 channels (4 + 3), 6 (3 + 3)
    (1, 5, 7, 9, 6, 5, 5, (1, 1), (1, 2)),   # the same, uneven padding
]


def _runs(algorithm, case):
    n, c, h, w, k, kh, kw, stride, padding = case
    return algorithm is None or conv.ALGORITHMS[algorithm].supports((k, c, kh, kw), stride, padding)


# Each case once per algorithm that runs it, forced for every call, and once with the dispatcher's choice (None)
PAIRS = [pytest.param(algorithm, case, id=f"{algorithm or 'auto'}-{i}")
         for algorithm in [None] + list(conv.ALGORITHMS) for i, case in enumerate(CASES) if _runs(algorithm, case)]


@pytest.fixture
def algorithm(request, monkeypatch):
    if request.param is not None:
        monkeypatch.setattr(conv, "choose", lambda *shapes, **options: request.param)
    return request.param


@pytest.mark.parametrize("algorithm, case", PAIRS, indirect=["algorithm"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_matches_numpy(algorithm, case, dtype):
    n, c, h, w, k, kh, kw, stride, padding = case
    rng = np.random.default_rng(0)
    x, wt, b = rng.standard_normal((n, c, h, w)), rng.standard_normal((k, c, kh, kw)), rng.standard_normal(k)
    y = F.conv2d(nbcnn.tensor(x, dtype=dtype), nbcnn.tensor(wt, dtype=dtype), nbcnn.tensor(b, dtype=dtype),
                 stride, padding)
    assert y.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(y.numpy(), reference.conv2d(x, wt, b, stride, padding), rtol=tol, atol=tol)


@pytest.mark.parametrize("algorithm, case", PAIRS, indirect=["algorithm"])
def test_gradients(algorithm, case):
    n, c, h, w, k, kh, kw, stride, padding = case
    rng = np.random.default_rng(1)
    check_gradients(lambda x, wt, b: F.conv2d(x, wt, b, stride, padding),
                    rng.standard_normal((n, c, h, w)), rng.standard_normal((k, c, kh, kw)), rng.standard_normal(k))


@pytest.mark.parametrize("rows_per_tile", [1, 3, 11])  # one output row; 3 and 11 cut across images
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stride, padding", [((1, 1), (1, 1)), ((2, 1), (0, 2))])
def test_tiled_lowering_matches_one_tile(monkeypatch, rows_per_tile, dtype, stride, padding):
    """Tiles of a few output rows, including tiles that span two images, give the result of one tile."""
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((5, 3, 8, 8)).astype(dtype), rng.standard_normal((4, 3, 3, 3)).astype(dtype)
    b = rng.standard_normal(4).astype(dtype)
    monkeypatch.setattr(conv_im2col, "_CHUNK_BYTES", 1 << 30)
    whole = conv_im2col.conv2d_forward(x, w, b, stride, padding)
    gy = rng.standard_normal(whole.shape).astype(dtype)
    gw_whole = conv_im2col.conv2d_backward_weight(gy, x, w.shape, stride, padding)
    gx_whole = conv_im2col.conv2d_backward_input(gy, w, x.shape, stride, padding)
    ow = whole.shape[3]
    monkeypatch.setattr(conv_im2col, "_CHUNK_BYTES", rows_per_tile * x.itemsize * 27 * ow)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv_im2col.conv2d_forward(x, w, b, stride, padding), whole, **tol)
    np.testing.assert_allclose(conv_im2col.conv2d_backward_weight(gy, x, w.shape, stride, padding), gw_whole, **tol)
    np.testing.assert_allclose(conv_im2col.conv2d_backward_input(gy, w, x.shape, stride, padding), gx_whole, **tol)
    np.testing.assert_allclose(whole, reference.conv2d(x, w, b, stride, padding), **tol)


@pytest.mark.parametrize("per_block", [1, 2, 3])  # blocks of whole images; 5 images leave a short last block
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("stride, padding", [((2, 2), (1, 1)), ((2, 1), (0, 2)), ((3, 2), (2, 1))])
def test_channels_last_blocks_match_the_reference(monkeypatch, per_block, threads, stride, padding):
    """Blocks of one, two or three images, on one or two threads, give the plain loops' outputs and gradients."""
    import numba
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((5, 3, 9, 8)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    monkeypatch.setattr(conv_lowered_cl, "_MIN_ROWS", 1)
    monkeypatch.setattr(conv_lowered_cl, "l2_bytes", lambda: 0)
    y_ref = reference.conv2d(x, w, b, stride, padding)
    monkeypatch.setattr(conv_lowered_cl, "_MIN_ROWS", per_block * y_ref.shape[2] * y_ref.shape[3])
    gy = rng.standard_normal(y_ref.shape)
    previous = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        assert conv_lowered_cl._Geometry(x.shape, w.shape, stride, padding, 8).per_block == per_block
        y = conv_lowered_cl.conv2d_forward(x, w, b, stride, padding)
        gx = conv_lowered_cl.conv2d_backward_input(gy, w, x.shape, stride, padding)
        gw = conv_lowered_cl.conv2d_backward_weight(gy, x, w.shape, stride, padding)
    finally:
        numba.set_num_threads(previous)
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-12)
    gx_ref, gw_ref = reference.conv2d_grads(x, w, gy, stride, padding)
    np.testing.assert_allclose(gx, gx_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gw, gw_ref, rtol=1e-12, atol=1e-12)


def test_same_and_valid_padding_strings():
    x = nbcnn.randn(1, 2, 7, 7)
    w = nbcnn.randn(3, 2, 5, 3)
    assert F.conv2d(x, w, padding="same").shape == (1, 3, 7, 7)
    assert F.conv2d(x, w, padding="valid").shape == (1, 3, 3, 5)


@pytest.mark.parametrize("tile_rows", [1, 7, 64])  # tiles far smaller than an image, cutting across rows
def test_shifted_tiles_match_one_tile(monkeypatch, tile_rows):
    from nbcnn.backend.cpu import conv_shifted
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((3, 4, 6, 5)), rng.standard_normal((5, 4, 3, 2))
    b, stride, padding = rng.standard_normal(5), (1, 1), (1, 1)
    y = conv_shifted.conv2d_forward(x, w, b, stride, padding)
    gy = rng.standard_normal(y.shape)
    whole = (y, conv_shifted.conv2d_backward_input(gy, w, x.shape, stride, padding),
             conv_shifted.conv2d_backward_weight(gy, x, w.shape, stride, padding))
    monkeypatch.setattr(conv_shifted, "_TILE_ROWS", tile_rows)
    tiled = (conv_shifted.conv2d_forward(x, w, b, stride, padding),
             conv_shifted.conv2d_backward_input(gy, w, x.shape, stride, padding),
             conv_shifted.conv2d_backward_weight(gy, x, w.shape, stride, padding))
    for a, e in zip(tiled, whole):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y, reference.conv2d(x, w, b, stride, padding), rtol=1e-12, atol=1e-12)


def test_dispatcher_chooses_an_algorithm_that_runs_each_shape():
    """Every shape, stride and padding of a grid goes, forward and backward, to an algorithm that supports it; which
    one is tuning (bench/README.md), tested only through the results above and bench/."""
    import itertools
    for n, c, k, side, kernel, stride, padding, forward in itertools.product(
            (1, 8, 64, 256), (1, 3, 8, 64, 512), (6, 16, 128, 512), (4, 7, 14, 56), (1, 3, 5, 7), (1, 2), (0, 1, 2, 3),
            (True, False)):
        if side + 2 * padding < kernel:
            continue
        name = conv.choose((n, c, side, side), (k, c, kernel, kernel), (stride, stride), (padding, padding), forward)
        assert conv.ALGORITHMS[name].supports((k, c, kernel, kernel), (stride, stride), (padding, padding)), (
            name, n, c, k, side, kernel, stride, padding)


@pytest.mark.parametrize("schedule, block_tiles", [("whole", None), ("blocked", 1), ("blocked", 3), ("blocked", 7)])
@pytest.mark.parametrize("shape, padding", [
    ((2, 3, 7, 9), (1, 1)),    # odd output sizes: the last tile of each row and column is cut
    ((1, 4, 6, 6), (0, 0)),    # no padding: a 4×4 output from 6×6
    ((2, 5, 5, 4), (2, 1)),    # padding 2 (backward-input then pads by 0) and uneven padding
    ((3, 2, 3, 3), (1, 2)),    # a plane smaller than one 4×4 input patch
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_winograd_schedules_match_reference(monkeypatch, schedule, block_tiles, shape, padding, dtype):
    """Both Winograd schedules, with blocks that cut across tile rows and images, against plain loops."""
    monkeypatch.setattr(conv_winograd, "_plan", lambda *layer: (schedule == "whole", block_tiles or 32))
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    w, b = rng.standard_normal((6, shape[1], 3, 3)), rng.standard_normal(6)
    y_ref = reference.conv2d(x, w, b, (1, 1), padding)
    gy = rng.standard_normal(y_ref.shape)
    gx_ref = conv_im2col.conv2d_backward_input(gy, w, x.shape, (1, 1), padding)
    gw_ref = conv_im2col.conv2d_backward_weight(gy, x, w.shape, (1, 1), padding)
    x, w, b, gy = (a.astype(dtype) for a in (x, w, b, gy))
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-11)
    y = conv_winograd.conv2d_forward(x, w, b, (1, 1), padding)
    gx = conv_winograd.conv2d_backward_input(gy, w, x.shape, (1, 1), padding)
    gw = conv_winograd.conv2d_backward_weight(gy, x, w.shape, (1, 1), padding)
    assert y.dtype == gx.dtype == gw.dtype == dtype
    np.testing.assert_allclose(y, y_ref, **tol)
    np.testing.assert_allclose(gx, gx_ref, **tol)
    np.testing.assert_allclose(gw, gw_ref, **tol)


@pytest.mark.parametrize("shape, k, padding", [
    ((2, 3, 7, 9), 6, (1, 1)),    # odd output sizes: the last tile of each row and column is cut
    ((1, 4, 6, 6), 5, (0, 0)),    # no padding: a 4×4 output from 6×6, one tile
    ((2, 5, 5, 4), 3, (2, 1)),    # padding 2 (backward-input then pads by 0) and uneven padding
    ((3, 2, 3, 3), 4, (1, 2)),    # a plane smaller than one 6×6 input patch
    ((70, 3, 5, 5), 2, (1, 1)),   # 4 tiles an image: blocks of 16 images, the last one short
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_winograd4_matches_reference(shape, k, padding, dtype):
    """F(4×4, 3×3) with channels innermost: every pass against plain loops, blocks of several images included."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape)
    w, b = rng.standard_normal((k, shape[1], 3, 3)), rng.standard_normal(k)
    y_ref = reference.conv2d(x, w, b, (1, 1), padding)
    gy = rng.standard_normal(y_ref.shape)
    gx_ref = conv_im2col.conv2d_backward_input(gy, w, x.shape, (1, 1), padding)
    gw_ref = conv_im2col.conv2d_backward_weight(gy, x, w.shape, (1, 1), padding)
    x, w, b, gy = (a.astype(dtype) for a in (x, w, b, gy))
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    y = conv_winograd4.conv2d_forward(x, w, b, (1, 1), padding)
    gx = conv_winograd4.conv2d_backward_input(gy, w, x.shape, (1, 1), padding)
    gw = conv_winograd4.conv2d_backward_weight(gy, x, w.shape, (1, 1), padding)
    assert y.dtype == gx.dtype == gw.dtype == dtype
    np.testing.assert_allclose(y, y_ref, **tol)
    np.testing.assert_allclose(gx, gx_ref, **tol)
    np.testing.assert_allclose(gw, gw_ref, **{k: v * 10 for k, v in tol.items()})  # a sum over every tile


@pytest.mark.parametrize("n, c, side, k, kernel, padding", [
    (20, 6, 14, 16, 5, 0),   # LeNet's conv2: two blocks of 16 (12 zero images in the last), five taps a pass
    (70, 6, 14, 16, 5, 0),   # two blocks of 40, the last holding 30 images
    (17, 2, 9, 3, 3, 1),     # any kernel width, channels in blocks of 4 (one short), padding
    (16, 1, 28, 6, 5, 2),    # LeNet's conv1, mostly real positions
])
@pytest.mark.parametrize("module", [conv_direct, conv_batched], ids=["planes", "batched"])
def test_direct_forms_match_im2col(module, n, c, side, k, kernel, padding):
    """The direct convolutions' forms on the shapes where their blocking has edges, every pass, float64 and
    float32 (the other tests' batches are too small to fill a batch block)."""
    rng = np.random.default_rng(n)
    x, w = rng.standard_normal((n, c, side, side)), rng.standard_normal((k, c, kernel, kernel))
    b = rng.standard_normal(k)
    out = side + 2 * padding - kernel + 1
    gy = rng.standard_normal((n, k, out, out))
    args = (1, 1), (padding, padding)
    want = (conv_im2col.conv2d_forward(x, w, b, *args), conv_im2col.conv2d_backward_input(gy, w, x.shape, *args),
            conv_im2col.conv2d_backward_weight(gy, x, w.shape, *args))
    for dtype, tol in ((np.float64, 1e-10), (np.float32, 2e-4)):
        x_, w_, b_, gy_ = (a.astype(dtype) for a in (x, w, b, gy))
        got = (module.conv2d_forward(x_, w_, b_, *args), module.conv2d_backward_input(gy_, w_, x.shape, *args),
               module.conv2d_backward_weight(gy_, x_, w.shape, *args))
        for g, e in zip(got, want):
            assert g.dtype == dtype
            np.testing.assert_allclose(g, e, rtol=tol, atol=tol * np.abs(e).max())
