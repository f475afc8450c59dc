"""3×3 stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3); the transforms are in winograd_tiles.py.

Each 2×2 output tile comes from a 4×4 input patch; for each of the 16 positions ξ of the transformed tile the sum
over input channels is one matrix product M[ξ] (K, tiles) = U[ξ] (K, C) @ V[ξ] (C, tiles): 16·C·K multiplications
per 4 outputs where the direct sum takes 36·C·K, 2.25× fewer. The transforms are additions.

Two schedules, by the size of the transformed data:
- blocked (large planes, few channels): tiles in blocks whose V and M stay in a core's L2; each thread transforms
  its blocks, runs the 16 products through BLAS single-threaded (our two threads already fill the cores) and
  writes its output tiles. No full-size temporaries.
- whole (small planes, many channels: blocks would be a few tiles against a U of megabytes, re-read per block):
  all tiles transformed at once (channels split over the threads), then the 16 products split over the threads.
Backward-input is the forward pass over the gradient padded by 2 − p with the kernel flipped and its channel axes
swapped (so padding ≤ 2). Backward-weight differentiates the tile formula: dU[ξ] = Σ_tiles (A dY Aᵀ)[ξ] V[ξ]ᵀ,
then dW = Gᵀ dU G. Weight (K, C, 3, 3).
"""
import numba
import numpy as np
from numba import njit, prange

from . import openblas
from .cache_size import l2_bytes
from .gemm import gemm
from .winograd_tiles import grad_transform, input_transform, output_transform, transform_weight, untransform_weight_grad

# V and M of one block: half a core's L2, so that a block's transforms and products stay there (tuned on two L2
# sizes, bench/README.md)
_BLOCK_BYTES = l2_bytes() // 2
# The whole schedule when all tiles' V and M fit in this many bytes and the layer is wide: C + K ≥ 512 for the
# passes forward and ≥ 256 for backward-weight, whose blocked form also pays for a (K, C) sum per block and thread.
# Per-layer measurements (2 threads, VGG/ResNet shapes at 224² and CIFAR's 32²) in bench/README.md.
_WHOLE_BYTES = 40 << 20
_BACKWARD_WEIGHT_TILES = 64  # at most, per block of backward-weight
# A block's 16 planes sit 32 KiB apart at C = 64, 128 tiles: the same L1 sets, so the transforms, which touch all
# 16 at once, evicted each other. 128 bytes more per plane spreads them out.
_SKEW = 32


def supports(w_shape, stride, padding):
    return (tuple(w_shape[2:]) == (3, 3) and tuple(stride) == (1, 1)
            and 0 <= padding[0] <= 2 and 0 <= padding[1] <= 2)


def tiles(n, oh, ow):
    return n * ((oh + 1) // 2) * ((ow + 1) // 2)


def _plan(n, c_in, k_out, oh, ow, itemsize, wide):
    """(whole schedule?, tiles per block) for a pass over C + K ≥ `wide` channels. Tests replace it to force a
    schedule and small blocks."""
    whole = 16 * (c_in + k_out) * tiles(n, oh, ow) * itemsize <= _WHOLE_BYTES and c_in + k_out >= wide
    return whole, int(min(256, max(32, _BLOCK_BYTES // (16 * (c_in + k_out) * itemsize))))


@njit(cache=True, inline="always")
def _grid(n, oh, ow):
    tiles_h, tiles_w = (oh + 1) // 2, (ow + 1) // 2
    return tiles_h, tiles_w, n * tiles_h * tiles_w


@njit(cache=True, inline="always")
def _matrix(planes, xi, rows, cols):
    """Plane ξ of a planar workspace as a (rows, cols) matrix."""
    return planes[xi, :rows * cols].reshape((rows, cols))


@njit(parallel=True, cache=True)
def _forward_blocked(x, u, bias, ph, pw, block, workers, y):
    n, c_in = x.shape[0], x.shape[1]
    k_out, oh, ow = y.shape[1], y.shape[2], y.shape[3]
    tiles_h, tiles_w, total = _grid(n, oh, ow)
    blocks = (total + block - 1) // block
    workers = min(workers, blocks)
    for p in prange(workers):
        v = np.empty((16, c_in * block + _SKEW), x.dtype)
        m = np.empty((16, k_out * block + _SKEW), x.dtype)
        rows = np.empty((4, max(2 * tiles_w + 2, block)), x.dtype)
        for blk in range(p * blocks // workers, (p + 1) * blocks // workers):
            t0 = blk * block
            nb = min(block, total - t0)
            input_transform(x, ph, pw, tiles_h, tiles_w, t0, nb, 0, c_in, rows, v)
            for xi in range(16):
                gemm(_matrix(u, xi, k_out, c_in), _matrix(v, xi, c_in, nb), _matrix(m, xi, k_out, nb))
            output_transform(m, bias, tiles_h, tiles_w, t0, nb, 0, k_out, rows, y)
    return y


@njit(parallel=True, cache=True)
def _forward_whole(x, u, bias, ph, pw, workers, y):
    n, c_in = x.shape[0], x.shape[1]
    k_out, oh, ow = y.shape[1], y.shape[2], y.shape[3]
    tiles_h, tiles_w, total = _grid(n, oh, ow)
    v = np.empty((16, c_in * total + _SKEW), x.dtype)
    m = np.empty((16, k_out * total + _SKEW), x.dtype)
    for p in prange(workers):
        rows = np.empty((4, 2 * tiles_w + 2), x.dtype)
        input_transform(x, ph, pw, tiles_h, tiles_w, 0, total, p * c_in // workers, (p + 1) * c_in // workers,
                        rows, v)
    for xi in prange(16):
        gemm(_matrix(u, xi, k_out, c_in), _matrix(v, xi, c_in, total), _matrix(m, xi, k_out, total))
    for p in prange(workers):
        rows = np.empty((4, total), x.dtype)  # the output transform's four rows span all tiles
        output_transform(m, bias, tiles_h, tiles_w, 0, total, p * k_out // workers, (p + 1) * k_out // workers,
                         rows, y)
    return y


@njit(parallel=True, cache=True)
def _backward_weight_blocked(x, g, ph, pw, block, parts):
    """parts[p] = Σ over worker p's tiles of Z[ξ] V[ξ]ᵀ; the caller sums the workers' parts."""
    n, c_in = x.shape[0], x.shape[1]
    k_out, oh, ow = g.shape[1], g.shape[2], g.shape[3]
    tiles_h, tiles_w, total = _grid(n, oh, ow)
    blocks = (total + block - 1) // block
    workers = parts.shape[0]
    for p in prange(workers):
        v = np.empty((16, c_in * block + _SKEW), x.dtype)
        z = np.empty((16, k_out * block + _SKEW), x.dtype)
        rows = np.empty((6, max(2 * tiles_w + 2, block)), x.dtype)
        parts[p, :, :k_out * c_in] = 0
        for blk in range(p * blocks // workers, (p + 1) * blocks // workers):
            t0 = blk * block
            nb = min(block, total - t0)
            input_transform(x, ph, pw, tiles_h, tiles_w, t0, nb, 0, c_in, rows, v)
            grad_transform(g, tiles_h, tiles_w, t0, nb, 0, k_out, rows, z)
            for xi in range(16):
                gemm(_matrix(z, xi, k_out, nb), _matrix(v, xi, c_in, nb).T, _matrix(parts[p], xi, k_out, c_in), 1.0)
    return parts


@njit(parallel=True, cache=True)
def _backward_weight_whole(x, g, ph, pw, workers, du):
    n, c_in = x.shape[0], x.shape[1]
    k_out, oh, ow = g.shape[1], g.shape[2], g.shape[3]
    tiles_h, tiles_w, total = _grid(n, oh, ow)
    v = np.empty((16, c_in * total + _SKEW), x.dtype)
    z = np.empty((16, k_out * total + _SKEW), x.dtype)
    for p in prange(workers):
        rows = np.empty((6, 2 * tiles_w + 2), x.dtype)
        input_transform(x, ph, pw, tiles_h, tiles_w, 0, total, p * c_in // workers, (p + 1) * c_in // workers,
                        rows, v)
        grad_transform(g, tiles_h, tiles_w, 0, total, p * k_out // workers, (p + 1) * k_out // workers, rows, z)
    for xi in prange(16):
        gemm(_matrix(z, xi, k_out, total), _matrix(v, xi, c_in, total).T, _matrix(du, xi, k_out, c_in))
    return du


def _forward(x, weight, flip, bias, ph, pw, y):
    n, c_in = x.shape[:2]
    k_out, oh, ow = y.shape[1:]
    u = np.empty((16, k_out * c_in + _SKEW), x.dtype)
    transform_weight(weight, flip, u)
    whole, block = _plan(n, c_in, k_out, oh, ow, x.itemsize, 512)
    workers = numba.get_num_threads()
    with openblas.single_threaded():
        if whole:
            return _forward_whole(np.ascontiguousarray(x), u, bias, ph, pw, workers, y)
        return _forward_blocked(np.ascontiguousarray(x), u, bias, ph, pw, block, workers, y)


def conv2d_forward(x, weight, bias, stride, padding):
    n, _, h, w = x.shape
    k_out = weight.shape[0]
    bias = np.zeros(k_out, x.dtype) if bias is None else bias
    y = np.empty((n, k_out, h + 2 * padding[0] - 2, w + 2 * padding[1] - 2), x.dtype)
    return _forward(x, weight, False, bias, padding[0], padding[1], y)


def conv2d_backward_input(grad, weight, x_shape, stride, padding):
    # the forward pass from K to C channels with the kernel flipped
    return _forward(grad, weight, True, np.zeros(x_shape[1], grad.dtype), 2 - padding[0], 2 - padding[1],
                    np.empty(x_shape, grad.dtype))


def conv2d_backward_weight(grad, x, w_shape, stride, padding):
    k_out, c_in = w_shape[:2]
    n, _, oh, ow = grad.shape
    whole, block = _plan(n, c_in, k_out, oh, ow, x.itemsize, 256)
    # Its products Z·Vᵀ read V transposed, slower for OpenBLAS than the forward's: smaller blocks keep that
    # operand in cache (block sizes measured in bench/README.md)
    block = min(block, _BACKWARD_WEIGHT_TILES)
    workers = numba.get_num_threads()
    x, grad = np.ascontiguousarray(x), np.ascontiguousarray(grad)
    with openblas.single_threaded():
        if whole:
            parts = np.empty((1, 16, k_out * c_in + _SKEW), x.dtype)
            _backward_weight_whole(x, grad, padding[0], padding[1], workers, parts[0])
        else:
            parts = np.empty((workers, 16, k_out * c_in + _SKEW), x.dtype)
            _backward_weight_blocked(x, grad, padding[0], padding[1], block, parts)
    dw = np.empty(w_shape, x.dtype)
    untransform_weight_grad(parts, dw)
    return dw
