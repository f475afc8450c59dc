"""Make Numba's CUDA simulator as strict as a GPU about what stays on the device.

The simulator's device array wraps a NumPy array and forwards every attribute to it, supports arithmetic, and its
kernels take host arrays. Code that leans on any of that passes here, then fails (or copies to the host and back
on every call) on a real GPU. After `install()` a simulated device array offers only what numba's DeviceNDArray
offers, NumPy cannot convert it implicitly, a kernel launched with a host array raises, and `host_reads` counts
the copies back to the host.

It also repairs a race in the simulator itself: `cuda.shared.array` looks up, creates and stores a block's array
without a lock, so two threads of a block calling it at once can each get an array of their own; a thread then
reads a tile nobody wrote (np.empty garbage), about one fresh process in six with conftest's 0.1 ms switch
interval. On a GPU the array is one per block by construction.
"""
import sys
import threading

import numpy as np
from numba.core import types
from numba.np import numpy_support
from numba.cuda.simulator import kernel as sim_kernel
from numba.cuda.simulator import kernelapi as sim_api
from numba.cuda.simulator.cudadrv import devicearray as sim_array

# DeviceNDArray's attributes that the simulated array forwards to NumPy (it defines the others itself)
DEVICE_ARRAY_API = {"strides", "dtype", "size", "ndim", "flags", "squeeze"}
_NUMPY_ONLY = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__add__", "__sub__", "__mul__",
               "__floordiv__", "__truediv__", "__mod__", "__pow__")

host_reads = 0


def install():
    cls = sim_array.FakeCUDAArray
    forward, copy_to_host, launch = cls.__getattr__, cls.copy_to_host, sim_kernel.FakeCUDAKernel.__call__

    def __getattr__(self, name):
        if name not in DEVICE_ARRAY_API:
            raise AttributeError(f"a CUDA device array has no attribute {name!r} (NumPy's, not numba's)")
        return forward(self, name)

    def __array__(self, *args, **kwargs):
        raise TypeError("implicit copy of a CUDA device array to the host; call copy_to_host()")

    def counted_copy_to_host(self, *args, **kwargs):
        global host_reads
        host_reads += 1
        return copy_to_host(self, *args, **kwargs)

    def strict_launch(self, *args):
        if not self._device and any(isinstance(a, np.ndarray) for a in args):
            raise TypeError(f"kernel {self.fn.__name__} launched with a host array: on a GPU that is a copy "
                            "to the device and back on every call")
        return launch(self, *args)

    shared_array, shared_lock = sim_api.FakeCUDAShared.array, threading.Lock()

    def one_shared_array_per_block(self, shape, dtype, alignment=None):
        if shape == 0 or alignment is not None:  # dynamic shared memory is one buffer already
            return shared_array(self, shape, dtype, alignment)
        caller = sys._getframe(1)  # the simulator's key: the calling line, so a wrapper must not add a frame
        site = (caller.f_code.co_filename, caller.f_lineno)
        with shared_lock:
            array = self._allocations.get(site)
            if array is None:
                dtype = numpy_support.as_dtype(dtype) if isinstance(dtype, types.Type) else dtype
                array = self._allocations[site] = np.empty(shape, dtype)
        return array

    sim_api.FakeCUDAShared.array = one_shared_array_per_block
    for name in _NUMPY_ONLY:
        delattr(cls, name)
    cls.__getattr__, cls.__array__, cls.copy_to_host = __getattr__, __array__, counted_copy_to_host
    sim_kernel.FakeCUDAKernel.__call__ = strict_launch
