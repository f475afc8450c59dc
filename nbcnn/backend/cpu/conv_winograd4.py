"""3×3 stride-1 convolution by Winograd's F(4×4, 3×3) with channels innermost (transforms in winograd4_tiles.py).

Each 4×4 output tile comes from a 6×6 input patch; for each of the 36 positions ξ of the transformed tile the sum
over input channels is one matrix product M[ξ] (tiles, K) = V[ξ] (tiles, C) @ U[ξ] (C, K): 36·C·K
multiplications per 16 outputs where F(2×2, 3×3) takes 64 and the direct sum 144. The larger tiles cost more
additions and a little accuracy (float32 results within a few 1e-6 of float64, relative to the largest output,
against 2e-7 for F(2×2, 3×3)).

Work is split by whole images: each thread copies one image at a time into its channels-innermost form, transforms
it into a block of images' tiles, and once the block is full runs the 36 products through BLAS single-threaded
(our threads already fill the cores) and writes the block's outputs. Backward-input is the forward pass over the
gradient padded by 2 − p with the kernel flipped and its channel axes swapped. Backward-weight differentiates
the tile formula: dU[ξ] = Σ_tiles V[ξ]ᵀ Z[ξ] with Z = A dy Aᵀ of each 4×4 gradient tile, summed per thread over
its blocks, then dW = Gᵀ dU G. Weight (K, C, 3, 3).
"""
import numba
import numpy as np
from numba import njit, prange

from . import conv_winograd, openblas
from .conv_winograd import _matrix
from .gemm import gemm
from .winograd4_tiles import (grad_to_phases, grad_transform, input_transform, output_transform, to_phases,
                              transform_weight, untransform_weight_grad)

_BLOCK_TILES = 64  # at least, per block of whole images: products of fewer rows ran slower than F(2×2, 3×3)'s
_SKEW = 32  # elements between the 36 planes of a block, so that they do not share L1 sets


def supports(w_shape, stride, padding):
    return conv_winograd.supports(w_shape, stride, padding)


@njit(parallel=True, cache=True)
def _forward(x, u, bias, ph, pw, per_block, workers, y):
    n, c_in = x.shape[0], x.shape[1]
    k_out, oh, ow = y.shape[1], y.shape[2], y.shape[3]
    th, tw = (oh + 3) // 4, (ow + 3) // 4
    tiles = th * tw
    blocks = (n + per_block - 1) // per_block
    workers = min(workers, blocks)
    for p in prange(workers):
        xt = np.empty((4 * th + 2, 4, tw + 1, c_in), x.dtype)
        v = np.empty((36, per_block * tiles * c_in + _SKEW), x.dtype)
        m = np.empty((36, per_block * tiles * k_out + _SKEW), x.dtype)
        t_rows = np.empty((6, 4, (tw + 1) * c_in), x.dtype)
        s_rows = np.empty((4, 6, tw * k_out), x.dtype)
        o_rows = np.empty((4, tw * k_out), x.dtype)
        for blk in range(p * blocks // workers, (p + 1) * blocks // workers):
            first = blk * per_block
            count = min(per_block, n - first)
            for b in range(count):
                to_phases(x, first + b, ph, pw, xt)
                input_transform(xt, th, tw, b * tiles, t_rows, v)
            rows = count * tiles
            for xi in range(36):
                gemm(_matrix(v, xi, rows, c_in), u[xi], _matrix(m, xi, rows, k_out))
            for b in range(count):
                output_transform(m, bias, first + b, th, tw, b * tiles, s_rows, o_rows, y)
    return y


@njit(parallel=True, cache=True)
def _backward_weight(x, g, ph, pw, per_block, parts):
    """parts[p] = Σ over worker p's tiles of V[ξ]ᵀ Z[ξ], (36, C, K); the caller sums the workers' parts."""
    n, c_in = x.shape[0], x.shape[1]
    k_out, oh, ow = g.shape[1], g.shape[2], g.shape[3]
    th, tw = (oh + 3) // 4, (ow + 3) // 4
    tiles = th * tw
    blocks = (n + per_block - 1) // per_block
    workers = parts.shape[0]
    for p in prange(workers):
        parts[p] = 0
        xt = np.empty((4 * th + 2, 4, tw + 1, c_in), x.dtype)
        gt = np.empty((4 * th, 4, tw, k_out), x.dtype)
        v = np.empty((36, per_block * tiles * c_in + _SKEW), x.dtype)
        z = np.empty((36, per_block * tiles * k_out + _SKEW), x.dtype)
        t_rows = np.empty((6, 4, (tw + 1) * c_in), x.dtype)
        z_rows = np.empty((6, 4, tw * k_out), x.dtype)
        for blk in range(p * blocks // workers, (p + 1) * blocks // workers):
            first = blk * per_block
            count = min(per_block, n - first)
            for b in range(count):
                to_phases(x, first + b, ph, pw, xt)
                input_transform(xt, th, tw, b * tiles, t_rows, v)
                grad_to_phases(g, first + b, gt)
                grad_transform(gt, th, tw, b * tiles, z_rows, z)
            rows = count * tiles
            for xi in range(36):
                gemm(_matrix(v, xi, rows, c_in).T, _matrix(z, xi, rows, k_out), parts[p, xi], 1.0)
    return parts


def _per_block(oh, ow):
    """Whole images per block, enough for products of at least _BLOCK_TILES rows."""
    return -(-_BLOCK_TILES // (((oh + 3) // 4) * ((ow + 3) // 4)))


def _run(x, weight, flip, bias, ph, pw, y):
    c_in, k_out = x.shape[1], y.shape[1]
    u = np.empty((36, c_in, k_out), x.dtype)
    transform_weight(weight, flip, u)
    per_block = _per_block(y.shape[2], y.shape[3])
    with openblas.single_threaded():
        return _forward(np.ascontiguousarray(x), u, bias, ph, pw, per_block, numba.get_num_threads(), y)


def conv2d_forward(x, weight, bias, stride, padding):
    n, _, h, w = x.shape
    k_out = weight.shape[0]
    bias = np.zeros(k_out, x.dtype) if bias is None else bias
    y = np.empty((n, k_out, h + 2 * padding[0] - 2, w + 2 * padding[1] - 2), x.dtype)
    return _run(x, weight, False, bias, padding[0], padding[1], y)


def conv2d_backward_input(grad, weight, x_shape, stride, padding):
    # the forward pass from K to C channels with the kernel flipped
    return _run(grad, weight, True, np.zeros(x_shape[1], grad.dtype), 2 - padding[0], 2 - padding[1],
                np.empty(x_shape, grad.dtype))


def conv2d_backward_weight(grad, x, w_shape, stride, padding):
    k_out, c_in = w_shape[:2]
    n, _, oh, ow = grad.shape
    per_block = _per_block(oh, ow)
    parts = np.empty((min(numba.get_num_threads(), -(-n // per_block)), 36, c_in, k_out), x.dtype)
    with openblas.single_threaded():
        _backward_weight(np.ascontiguousarray(x), np.ascontiguousarray(grad), padding[0], padding[1], per_block,
                         parts)
    dw = np.empty(w_shape, x.dtype)
    untransform_weight_grad(parts, dw)
    return dw
