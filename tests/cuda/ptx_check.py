"""Compile every kernel of the CUDA backend to PTX with NVIDIA's numba-cuda compiler, without a GPU.

The simulator runs kernels as Python and never type-checks them; this does. The host wrappers run as usual, but
device arrays are shape-and-dtype stand-ins and a kernel launch compiles the kernel for its argument types
(cuda.compile_ptx, compute capability 7.5) instead of running it. Needs numba-cuda with its toolkit wheels
(`pip install numba-cuda[cu12]`); run as `python tests/cuda/ptx_check.py`. Exit status 1 lists the failures.
"""
import math
import sys
import traceback

import numba
import numpy as np
from numba import cuda, types
from numba.cuda import dispatcher

CC = (7, 5)
compiled, failed = set(), []


class StandIn:
    """What the backend uses of a DeviceNDArray, without device memory."""

    __cuda_ndarray__ = True

    def __init__(self, shape, dtype):
        self.shape, self.dtype = tuple(int(n) for n in shape), np.dtype(dtype)
        self.size, self.ndim = math.prod(self.shape), len(self.shape)

    @property
    def _numba_type_(self):
        return types.Array(numba.from_dtype(self.dtype), self.ndim, "C")

    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        shape = (shape,) if isinstance(shape, int) else shape
        assert math.prod(shape) == self.size, (shape, self.shape)
        return StandIn(shape, self.dtype)

    def copy_to_host(self):
        return np.zeros(self.shape, self.dtype)

    def __len__(self):
        return self.shape[0]


class _Device:  # device functions compile for the current device's compute capability
    compute_capability = CC


def _compile_instead_of_launch(kernel, config):
    def launch(*args):
        signature = tuple(kernel.typeof_pyval(a) for a in args)
        if (kernel.py_func, signature) in compiled:
            return
        compiled.add((kernel.py_func, signature))
        try:
            cuda.compile_ptx(kernel.py_func, signature, cc=CC)
        except Exception:
            failed.append(f"{kernel.py_func.__qualname__}{signature}\n{traceback.format_exc()}")
    return launch


def _stand_in_for_the_device():
    cuda.is_available = lambda: True
    cuda.device_array = lambda shape, dtype: StandIn(shape, dtype)
    cuda.to_device = lambda a: StandIn(np.shape(a), np.asarray(a).dtype)
    dispatcher.get_current_device = _Device
    dispatcher.CUDADispatcher.__getitem__ = _compile_instead_of_launch


def _every_kernel(g, dt):
    """Calls every kernel of backend `g` in dtype `dt`, with options that take each kernel's branches."""
    def a(shape, dtype=dt):
        return g.asarray(np.zeros(shape, dtype))

    x, w, b, c = a((2, 3, 5, 5)), a((4, 3, 3, 3)), a((4,)), a((3,))
    for op in (g.add, g.sub, g.mul, g.div):
        op(x, x), op(x, a((3, 1, 1))), op(a(()), x)
    g.add(x, a((3, 1, 1), np.float64)), g.div(a((3,), np.int64), a((3,), np.int64))
    g.to_numpy(x), g.may_share_memory(x, x)
    g.neg(x), g.exp(x), g.log(x), g.astype(x, np.int64), g.astype(a((3,), np.int64), dt), g.copy(x)
    g.zeros((2, 3), dt), g.zeros_like(x), g.ones_like(x), g.full((), 2.0, dt)
    g.matmul(a((3, 4)), a((4, 5))), g.transpose2d(a((3, 4)))
    g.sum(x, (0, 2), True), g.sum(x, None, False), g.sum(a((3, 4), np.int64), (1,), False)
    g.sum_to_shape(x, (3, 1, 1)), g.split(g.concatenate([x, x], 1), [3, 3], 1)
    g.strided_embed(g.strided_slice(x, (0, 1, 0, 1), (1, 1, 2, 2), (2, 2, 3, 2)), x.shape, (0, 1, 0, 1),
                    (1, 1, 2, 2), 0.0)
    for name in ("relu", "sigmoid", "tanh"):
        getattr(g, f"{name}_backward")(x, getattr(g, f"{name}_forward")(x))
    g.gelu_backward(x, g.gelu_forward(x))
    m, fw, gm = a((6, 7)), a((5, 7)), a((6, 5))
    g.linear_forward(m, fw, a((5,))), g.linear_forward(m, fw, None)
    g.linear_backward_input(gm, fw), g.linear_backward_weight(gm, m)
    y = g.conv2d_forward(x, w, b, (1, 1), (1, 1))
    g.conv2d_forward(x, w, None, (2, 1), (0, 1))
    g.conv2d_backward_input(y, w, x.shape, (1, 1), (1, 1)), g.conv2d_backward_weight(y, x, w.shape, (1, 1), (1, 1))
    g.conv2d_backward_bias(y)
    p, argmax = g.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
    g.max_pool2d_backward(p, argmax, x.shape), g.max_pool2d_forward(x, (3, 3), (2, 2), (1, 1), record=False)
    g.avg_pool2d_backward(g.avg_pool2d_forward(x, (3, 3), (1, 1), (1, 1)), x.shape, (3, 3), (1, 1), (1, 1))
    g.global_avg_pool2d_backward(g.global_avg_pool2d_forward(x), x.shape)
    _, mean, var = g.batch_norm_forward_train(x, c, c, 1e-5)
    g.batch_norm_forward_train(x, None, None, 1e-5)
    g.batch_norm_forward_eval(x, a((3,), np.float32), a((3,), np.float32), c, c, 1e-5)
    g.batch_norm_backward_train(x, x, c, mean, var, 1e-5), g.batch_norm_backward_eval(x, x, None, mean, var, 1e-5)
    g.batch_norm_update_running(a((3,), np.float32), a((3,), np.float32), mean, var, 50, 0.1)
    g.batch_norm_backward_global(x, x, c, mean, var, 1e-5, a((3,), np.float64), a((3,), np.float64), 200)
    _, scale = g.lrn_forward(x, 5, 1e-4, 0.75, 1.0)
    g.lrn_backward(x, x, scale, 5, 1e-4, 0.75)
    g.dropout_backward(x, g.dropout_forward(x, 0.5, 2 ** 63 - 2)[1], 0.5)
    loss, probs = g.cross_entropy_forward(a((4, 10)), a((4,), np.int64))
    g.cross_entropy_backward(g.ones_like(loss), probs, a((4,), np.int64))
    loss, probs = g.cross_entropy_forward(a((4, 10)), a((4,), np.int64), label_smoothing=0.1)
    g.cross_entropy_backward(g.ones_like(loss), probs, a((4,), np.int64), label_smoothing=0.1)
    g.sgd_update(x, x, x, 0.1, 0.9, 0.0, 1e-4, True, False), g.sgd_update(x, x, x, 0.1, 0.0, 0.0, 0.0, False, True)
    g.sgd_update(x, x, x, 0.1, 0.9, 0.0, 5e-4, False, False, decoupled=True), g.lookahead_update(x, x, 0.5)
    g.adam_update(x, x, x, x, 1e-3, 0.9, 0.999, 1e-8, 0.0, 3)
    g.rmsprop_update(x, x, x, x, 1e-2, 0.99, 1e-8, 0.0, 0.9)


class _Calls:
    """The backend, noting which of its names _every_kernel uses: a kernel added to KERNELS without a call here
    would never meet the compiler."""

    def __init__(self, module):
        self.module, self.used = module, set()

    def __getattr__(self, name):
        self.used.add(name)
        return getattr(self.module, name)


def main():
    _stand_in_for_the_device()
    from nbcnn import backend

    calls = _Calls(backend.get("cuda"))
    for dt in (np.float32, np.float64):
        _every_kernel(calls, dt)
    failed.extend(f"{name}: in backend.KERNELS but never called by ptx_check._every_kernel"
                  for name in backend.KERNELS if name not in calls.used)
    print(f"{len(compiled)} kernel specialisations compiled to PTX (cc {CC[0]}.{CC[1]}), {len(failed)} failed")
    print("\n".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
