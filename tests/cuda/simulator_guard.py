"""Make Numba's CUDA simulator as strict as a GPU about what stays on the device.

The simulator's device array wraps a NumPy array and forwards every attribute to it, supports arithmetic, and its
kernels take host arrays. Code that leans on any of that passes here, then fails (or copies to the host and back
on every call) on a real GPU. After `install()` a simulated device array offers only what numba's DeviceNDArray
offers, NumPy cannot convert it implicitly, a kernel launched with a host array raises, and `host_reads` counts
the copies back to the host.
"""
import numpy as np
from numba.cuda.simulator import kernel as sim_kernel
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

    for name in _NUMPY_ONLY:
        delattr(cls, name)
    cls.__getattr__, cls.__array__, cls.copy_to_host = __getattr__, __array__, counted_copy_to_host
    sim_kernel.FakeCUDAKernel.__call__ = strict_launch
