"""The counter-based generator behind dropout, written once in plain Python and compiled by each backend
(`njit` on the CPU, `cuda.jit(device=True)` on CUDA), so a seed draws the same mask on every device."""
import numpy as np


def splitmix_uniform(seed, i):
    """A uniform float in [0, 1) from (seed, i): SplitMix64's finaliser, top 24 bits."""
    z = np.uint64(seed) + np.uint64(i + 1) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(40)) / 16777216.0
