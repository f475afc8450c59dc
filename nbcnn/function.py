"""The autograd Function: one op's forward and backward, written once for every device.

A Function subclass receives raw arrays of its input's backend and calls that backend's kernels; it holds no
loops and no device code, so the CPU and CUDA paths share one copy of the backward math. `apply` runs the
forward and, when a gradient is wanted, records the Function itself as a node on the tape: the output tensor
keeps it as `_node`, and the node keeps where its inputs' gradients go (edges) and a sequence number that orders
the tape.
"""
import contextlib
import itertools
import threading

from . import backend as backends
from . import tensor as _tensor  # a cycle (tensor imports function): Tensor is looked up at call time

_grad_mode = threading.local()
_sequence = itertools.count()

# While nbcnn.profile, nbcnn.shape_trace or the ONNX exporter runs, its observer (None otherwise): Module.__call__
# hands it every module call as `call(module, args)`; with a tape recording, apply() shows it each node with what it
# was applied to (`recorded(node, inputs, options, result)`: a node keeps neither its inputs nor its options, and an
# exporter needs both) and Tensor.backward() lets it run each node's backward (`backward(node, grad)`). One
# `is None` test when idle.
_observer = None


@contextlib.contextmanager
def observed_by(observer):
    global _observer
    previous, _observer = _observer, observer
    try:
        yield observer
    finally:
        _observer = previous


def is_grad_enabled():
    return getattr(_grad_mode, "enabled", True)


class _GradMode:
    def __init__(self, enabled):
        self.enabled = enabled

    def __enter__(self):
        self.previous = is_grad_enabled()
        _grad_mode.enabled = self.enabled

    def __exit__(self, *exc):
        _grad_mode.enabled = self.previous

    def __call__(self, func):
        def wrapper(*args, **kwargs):
            with _GradMode(self.enabled):
                return func(*args, **kwargs)

        wrapper.__name__, wrapper.__doc__ = func.__name__, func.__doc__
        return wrapper


def no_grad():
    """Context manager (or decorator) under which no operation is recorded on the tape."""
    return _GradMode(False)


def enable_grad():
    return _GradMode(True)


class Function:
    """Base of every differentiable op.

    Subclasses define `forward(self, *arrays, **options) -> array` and `backward(self, grad) -> tuple`, one
    gradient (or None) per positional input. `self.backend` is the kernel module of the inputs' device.
    """

    def __init__(self, backend, needs_input_grad):
        self.backend = backend
        self.needs_input_grad = needs_input_grad
        self.saved = ()
        self.edges = ()
        self.versions = ()  # (input tensor, its version) for each input whose array was saved
        self.sequence = -1

    def save_for_backward(self, *values):
        self.saved = values

    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def release(self):
        """Drop what the backward pass needed: the tape is freed once it has been replayed."""
        self.saved = None
        self.edges = ()
        self.versions = ()

    def check_versions(self):
        for t, version in self.versions:
            if t._version != version:
                raise RuntimeError(
                    f"a tensor needed for gradient computation has been modified by an in-place operation: "
                    f"{type(self).__name__} saved a tensor of shape {t.shape} at version {version}, and it is now "
                    f"at version {t._version} (an optimiser step, load_state_dict or a .data assignment after the "
                    f"forward pass); run the forward pass again after changing the weights")

    @classmethod
    def apply(cls, *inputs, **options):
        Tensor = _tensor.Tensor
        device = _common_device(cls.__name__, inputs)
        grad_mode = is_grad_enabled()  # under no_grad no input needs a gradient: forward can skip what backward needs
        needs = tuple(grad_mode and isinstance(t, Tensor) and t.requires_grad for t in inputs)
        fn = cls(backends.get(device), needs)
        arrays = [t.data if isinstance(t, Tensor) else t for t in inputs]
        out = fn.forward(*arrays, **options)
        record = any(needs)
        result = Tensor._wrap(out, device, requires_grad=record)
        if record:
            fn.edges = tuple(_edge(t) for t in inputs)
            fn.versions = _saved_versions(fn.saved, inputs)
            fn.sequence = next(_sequence)
            result._node = fn
            if _observer is not None:
                _observer.recorded(fn, inputs, options, result)
        return result


def _edge(value):
    """Where the gradient of one input goes: the node that made it, the leaf tensor itself, or None. A node keeps
    edges rather than its inputs so that an intermediate array lives only while some node has saved it: holding
    the inputs kept every activation alive until backward (CIFAR ResNet-18 at batch 128: 1,036 MiB of arrays at
    the peak of a training step, 627 with edges)."""
    if not isinstance(value, _tensor.Tensor) or not value.requires_grad:
        return None
    return value if value._node is None else value._node


def _saved_versions(saved, inputs):
    """(tensor, version) of each input whose array, or a NumPy view of it, the Function saved: a few identity
    tests per op, and only while recording."""
    found = ()
    for t in inputs:
        if isinstance(t, _tensor.Tensor):
            a = t.data
            if any(v is a or getattr(v, "base", None) is a for v in saved):
                found += ((t, t._version),)
    return found


def _common_device(op_name, inputs):
    devices = {t.device for t in inputs if isinstance(t, _tensor.Tensor)}
    if len(devices) > 1:
        raise RuntimeError(f"{op_name}: expected all tensors on one device, got {sorted(devices)}")
    if not devices:
        raise TypeError(f"{op_name}: needs at least one Tensor input")
    return devices.pop()
