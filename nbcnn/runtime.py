"""The process-wide settings nbcnn makes, in one place, each with its off switch (README, "Process-wide
settings"). `at_import()` runs first thing in `import nbcnn`, before NumPy loads OpenBLAS; `before_cpu_kernels()`
when the CPU backend loads, before its first parallel launch (so that `import nbcnn` does not import Numba).

- OpenBLAS (NumPy's and SciPy's) keeps its worker threads spinning for about 2²⁸ cycles after every product; on
  two cores one of them then starves whichever Numba kernel comes next (ResNet-34's forward ran 1.7× slower).
  OPENBLAS_THREAD_TIMEOUT=4 (2⁴ cycles) puts them to sleep at once. OpenBLAS reads it when it loads, so it only
  works when nbcnn is imported before NumPy, as the command line does; otherwise set it in the environment.
  Off switch: any OPENBLAS_THREAD_TIMEOUT of your own wins.
- Numba's threading layer: OpenMP first. A parallel launch costs 2 µs under GNU OpenMP and 125 µs under
  workqueue, whose threads sleep between kernels: LeNet-5's 40-odd small kernels a step spent most of their time
  waking threads (training step 3.3× faster with OpenMP, ResNet-34's forward 1.4×). OpenMP's idle threads spin
  for a while after each kernel; with OpenBLAS's spinning stopped (above) and Winograd running BLAS inside Numba's
  threads, OpenMP wins on every bench row. GNU OpenMP is not fork-safe: nbcnn never forks after a kernel ran, and
  code that does should use spawn. Off switch: NUMBA_THREADING_LAYER of your own wins.
- glibc's malloc keeps freed memory. It serves blocks above a threshold (32 MiB at most once it adapts) with
  fresh mmap pages and unmaps them on free, so every such array is page-faulted in again, one 4 KiB page at a
  time: a ReLU over one 33.5 MB CIFAR ResNet activation (batch 128, 64×32×32) took 9.1 ms that way and 2.1 ms from
  recycled heap memory. Raised mmap and trim thresholds make big arrays come from the heap and stay there once
  freed; the resident size no longer drops between steps. Off switch: NBCNN_KEEP_FREED_MEMORY=0.
- Portable machine code, off unless NBCNN_PORTABLE_JIT=1: kernels compiled for the x86-64-v3 level instead of
  this CPU's exact model, so that their cache (or a bundle from `nbcnn warmup --bundle`) serves other machines
  (nbcnn/jit_bundle.py). Applied here because it must precede Numba's first compilation.
"""
import ctypes
import ctypes.util
import os

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8


def at_import():
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")


def before_cpu_kernels():
    from . import jit_bundle
    if jit_bundle.portable_requested():
        jit_bundle.use_portable_code()
    if "NUMBA_THREADING_LAYER" not in os.environ:
        import numba
        numba.config.THREADING_LAYER_PRIORITY = ["omp", "tbb", "workqueue"]
    keep_freed_memory()


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
