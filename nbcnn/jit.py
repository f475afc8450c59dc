"""What Numba's compiler is doing for nbcnn: time spent compiling, and whether this CPU's kernels are cached yet.

A kernel compiles the first time it is called with a new signature, unless Numba's on-disk cache (NUMBA_CACHE_DIR,
else __pycache__ beside the sources) holds it for this CPU model and feature set: a new user's first run, or the
first run on another machine, spends most of its time here.
"""
import sys
import time

from numba.core import event
from numba.core.registry import CPUDispatcher


class CompileClock(event.Listener):
    """Wall seconds spent compiling kernels while installed (`with CompileClock() as clock:`), nested compilations
    of helper functions counted once; on_first() is called as the first compilation starts."""

    def __init__(self, on_first=None):
        self.seconds, self.compilations = 0.0, 0
        self.on_first = on_first
        self._depth, self._started = 0, 0.0

    def __call__(self):
        return self.seconds + (time.perf_counter() - self._started if self._depth else 0.0)

    def on_start(self, ev):
        if self._depth == 0:
            if self.compilations == 0 and self.on_first is not None:
                self.on_first()
            self._started = time.perf_counter()
        self._depth += 1

    def on_end(self, ev):
        self._depth -= 1
        if self._depth == 0:
            self.seconds += time.perf_counter() - self._started
            self.compilations += 1

    def __enter__(self):
        event.register("numba:compile", self)
        return self

    def __exit__(self, *exc):
        event.unregister("numba:compile", self)


def cpu_kernels():
    """Every cached dispatcher of nbcnn's CPU backend, by module (the modules must have been imported)."""
    return [value for name, module in list(sys.modules.items()) if name.startswith("nbcnn.backend.cpu.")
            for value in vars(module).values()
            if isinstance(value, CPUDispatcher) and value.__module__ == name and value._cache.__class__.__name__
            != "NullCache"]


def cached_for_this_cpu(dispatcher):
    """Whether Numba's cache holds any signature of `dispatcher` compiled for this CPU; reads its small index
    file, not the machine code. Numba's index layout is internal: an unreadable one counts as not cached."""
    try:
        index = dispatcher._cache._cache_file._load_index()
        magic = dispatcher.targetctx.codegen().magic_tuple()
    except Exception:  # noqa: BLE001  any change in Numba's internals
        return False
    return any(key[1] == magic for key in index)


def cold_share():
    """The share of nbcnn's CPU kernels with nothing cached for this CPU: 1.0 on a first run."""
    kernels = cpu_kernels()
    return sum(not cached_for_this_cpu(k) for k in kernels) / max(len(kernels), 1)
