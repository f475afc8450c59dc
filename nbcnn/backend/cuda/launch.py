"""Launch geometry shared by every kernel of the CUDA backend.

Kernels loop grid-stride, so any grid covers any size: MAX_BLOCKS caps the grid and small arrays get one small
block. The values are read at launch time, which lets the tests shrink them: the CUDA simulator runs one Python
thread per CUDA thread, and small blocks also make tiny test shapes cross block and tile edges.
"""
BLOCK = 256  # threads per block of flat and per-group kernels; a power of two
MAX_BLOCKS = 4096  # enough to fill any current GPU; larger work loops inside the kernel
TILE = 16  # edge of the square output tile of the matrix products (TILE × TILE threads)


def flat(n):
    """(blocks, threads) for a grid-stride loop over n items."""
    threads = min(BLOCK, -(-n // 32) * 32)
    return min(MAX_BLOCKS, -(-n // threads)), threads


def per_group(groups, count):
    """(blocks, threads) for one block per group, whose threads share `count` items and then reduce them in a
    shared-memory tree (so a power of two, and no wider than the count needs)."""
    threads = 1
    while threads < min(count, BLOCK):
        threads *= 2
    return min(MAX_BLOCKS, groups), threads


def tiles(m, n):
    """(blocks, (TILE, TILE) threads) for an (m, n) product: a block per output tile, grid-stride."""
    return min(MAX_BLOCKS, -(-m // TILE) * -(-n // TILE)), (TILE, TILE)
