import numpy as np
import pytest

import nbcnn
import nbcnn.nn.functional as F
import reference
from gradcheck import check_gradients
from nbcnn.backend.cpu import conv, conv_batched, conv_direct, conv_im2col, conv_winograd

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
ALGORITHMS = [None] + list(conv.ALGORITHMS)  # None: the shape decides


@pytest.fixture(params=ALGORITHMS, ids=lambda a: a or "auto")
def algorithm(request, monkeypatch):
    """Every test below runs once per algorithm forced for every call, and once with the dispatcher's choice."""
    monkeypatch.setattr(conv, "_FORCE", request.param)
    return request.param


def _skip_unsupported(algorithm, case):
    k, c, kh, kw, stride, padding = case[4], case[1], case[5], case[6], case[7], case[8]
    if algorithm and not conv.ALGORITHMS[algorithm].supports((k, c, kh, kw), stride, padding):
        pytest.skip(f"{algorithm} does not run stride {stride}, padding {padding}")


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_matches_numpy(algorithm, case, dtype):
    _skip_unsupported(algorithm, case)
    n, c, h, w, k, kh, kw, stride, padding = case
    rng = np.random.default_rng(0)
    x, wt, b = rng.standard_normal((n, c, h, w)), rng.standard_normal((k, c, kh, kw)), rng.standard_normal(k)
    y = F.conv2d(nbcnn.tensor(x, dtype=dtype), nbcnn.tensor(wt, dtype=dtype), nbcnn.tensor(b, dtype=dtype),
                 stride, padding)
    assert y.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(y.numpy(), reference.conv2d(x, wt, b, stride, padding), rtol=tol, atol=tol)


@pytest.mark.parametrize("case", CASES)
def test_gradients(algorithm, case):
    _skip_unsupported(algorithm, case)
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


@pytest.mark.parametrize("n, c, hw, k, kernel, stride, padding, expected", [
    (64, 1, 28, 6, 5, 1, 2, "direct"), (64, 6, 14, 16, 5, 1, 0, "batched"),     # LeNet-5
    (8, 6, 14, 16, 5, 1, 0, "direct"),        # LeNet's conv2 at a batch too small for the batch blocks
    (8, 64, 56, 64, 3, 1, 1, "winograd"), (128, 512, 4, 512, 3, 1, 1, "winograd"),  # VGG/ResNet 3×3 layers
    (1, 512, 14, 512, 3, 1, 1, "winograd"),   # 49 tiles of 2×2
    (1, 512, 7, 512, 3, 1, 1, "im2col"),      # 16 tiles: too few for Winograd, too wide for the shifted products
    (1, 128, 7, 128, 3, 1, 1, "shifted"),     # too few tiles, narrow enough for the shifted products
    (1, 64, 27, 192, 5, 1, 2, "shifted"),     # AlexNet's 5×5 layer
    (8, 3, 224, 64, 3, 1, 1, "im2col"),       # a 3-channel 3×3 stem: too few channels for Winograd's transforms
    (8, 16, 56, 64, 3, 1, 1, "winograd"),
    (8, 3, 224, 64, 7, 2, 3, "im2col"),       # ResNet's 7×7 stride-2 stem
    (8, 64, 56, 128, 3, 2, 1, "im2col"), (8, 64, 56, 128, 1, 2, 0, "im2col"),  # strided ResNet layers
    (8, 16, 16, 16, 3, 1, 3, "im2col"),       # padding neither stride-1 algorithm takes
])
def test_dispatch_by_shape(n, c, hw, k, kernel, stride, padding, expected):
    assert conv.choose((n, c, hw, hw), (k, c, kernel, kernel), (stride, stride), (padding, padding)) == expected


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
    monkeypatch.setattr(conv_winograd, "_SCHEDULE", schedule)
    monkeypatch.setattr(conv_winograd, "_BLOCK_TILES", block_tiles)
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


@pytest.mark.parametrize("n, side, padding, forward, expect", [
    (256, 14, 0, True, True), (64, 14, 0, True, True), (8, 14, 0, True, False), (8, 14, 0, False, False),
    (256, 28, 2, True, False), (256, 28, 2, False, True),   # conv1: planes forward, batched backward
])
def test_batched_form_where_it_pays(n, side, padding, forward, expect):
    hp = side + 2 * padding
    assert conv_batched.pays(n, hp, hp, hp - 4, hp - 4, forward) == expect
    assert conv.choose((n, 6, side, side), (16, 6, 5, 5), (1, 1), (padding, padding), forward) == (
        "batched" if expect else "direct")
    assert 8 <= conv_batched.block_size(n) <= 64 and conv_batched.block_size(n) % 8 == 0
