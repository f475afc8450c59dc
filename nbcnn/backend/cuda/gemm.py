"""The tiled product behind matmul, linear layers and convolutions: C (M, N) = A (M, K) · B (K, N).

Each block computes TILE × TILE outputs, one per thread, staging a TILE-wide slice of K of both operands through
shared memory per step. Operands are not matrices in memory but index maps, device functions
(geo, row, column) → flat offset, or −1 for an implicit zero. So a convolution's im2col matrix is gathered tile by
tile straight from the image (implicit GEMM), a transposed operand costs nothing, and `out_at` scatters each result
where the op wants it; `bias_at` (−1: none) names the bias element added to it. `geo` is a tuple of ints holding
whatever geometry the index maps need.
"""
import functools

import numba
import numpy as np
from numba import cuda

from . import launch


@functools.cache
def _kernel(a_at, b_at, out_at, bias_at, dtype, tile):
    tile_type, zero = numba.from_dtype(dtype), dtype.type(0)

    @cuda.jit
    def gemm(a, b, bias, out, geo, m, n, k):
        a_tile = cuda.shared.array((tile, tile), tile_type)
        b_tile = cuda.shared.array((tile, tile), tile_type)
        ty, tx = cuda.threadIdx.y, cuda.threadIdx.x
        tiles_n = (n + tile - 1) // tile
        tiles = (m + tile - 1) // tile * tiles_n
        for t in range(cuda.blockIdx.x, tiles, cuda.gridDim.x):  # uniform per block: syncthreads below is safe
            row = t // tiles_n * tile + ty
            col = t % tiles_n * tile + tx
            acc = zero
            for k0 in range(0, k, tile):
                at = a_at(geo, row, k0 + tx) if row < m and k0 + tx < k else -1
                a_tile[ty, tx] = a[at] if at >= 0 else zero
                at = b_at(geo, k0 + ty, col) if k0 + ty < k and col < n else -1
                b_tile[ty, tx] = b[at] if at >= 0 else zero
                cuda.syncthreads()
                for q in range(tile):
                    acc += a_tile[ty, q] * b_tile[q, tx]
                cuda.syncthreads()
            if row < m and col < n:
                at = bias_at(geo, row, col)
                out[out_at(geo, row, col)] = (acc + bias[at]) if at >= 0 else acc

    return gemm


@cuda.jit(device=True)
def no_bias(geo, row, col):
    return -1


def run(a_at, b_at, out_at, bias_at, a, b, bias, out, geo, m, n, k):
    """out ← A·B (+ bias) for flat device arrays a, b, bias (any array when bias_at is no_bias) and out."""
    if m and n:
        blocks, threads = launch.tiles(m, n)
        kernel = _kernel(a_at, b_at, out_at, bias_at, np.dtype(out.dtype), launch.TILE)
        kernel[blocks, threads](a, b, bias, out, tuple(int(g) for g in geo), m, n, k)
