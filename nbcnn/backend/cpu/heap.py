"""Keep freed memory in the process rather than handing it back to the OS after every array.

glibc serves blocks above a threshold (32 MiB at most once it adapts) with fresh mmap pages and unmaps them on free,
so every such array is page-faulted in again, one 4 KiB page at a time: a ReLU over one 33.5 MB CIFAR ResNet
activation (batch 128, 64×32×32) took 9.1 ms that way and 2.1 ms from recycled heap memory. Raising the mmap and
trim thresholds makes big arrays come from the heap and stay there once freed; the resident size no longer drops
between steps. NBCNN_KEEP_FREED_MEMORY=0 leaves malloc as it is.
"""
import ctypes
import ctypes.util
import os

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8


def keep_freed_memory():
    """Set glibc's thresholds; True when they were set (glibc found, not disabled by the environment)."""
    if os.environ.get("NBCNN_KEEP_FREED_MEMORY", "1") == "0":
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return False
    # Two arenas: with glibc's default of eight per core, each of Numba's threads kept its own recycled blocks and
    # CIFAR ResNet-18's training peak grew by 57 MB.
    return bool(mallopt(_M_MMAP_THRESHOLD, 1 << 30) and mallopt(_M_TRIM_THRESHOLD, (1 << 31) - 1)
                and mallopt(_M_ARENA_MAX, 2))
