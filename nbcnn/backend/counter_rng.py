"""The counter-based generator behind dropout, written once in plain Python and compiled by each backend
(`njit` on the CPU, `cuda.jit(device=True)` on CUDA), so a seed draws the same mask on every device.

The counter of an element is its flat index in the *global* batch, so a process that holds only some rows of a
batch (a rank under data parallelism) draws for them the values one process draws for the whole batch.
"""
import numpy as np


def splitmix_uniform(seed, i):
    """A uniform float in [0, 1) from (seed, i): SplitMix64's finaliser, top 24 bits."""
    z = np.uint64(seed) + np.uint64(i + 1) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(40)) / 16777216.0


def global_index(n, e, row_size, start, step):
    """The flat index in the global batch of element e of local row n, when local row n is global row
    start + n·step and a row holds row_size elements. Kernels advance (n, e) along with their flat index rather
    than divide for every element: a division an element made the sharded case three times slower."""
    return (start + step * n) * row_size + e


def row_size(shape):
    """Elements per example (row) of an array of `shape`, the batch being its first axis."""
    size = 1
    for d in shape[1:]:
        size *= d
    return max(size, 1)
