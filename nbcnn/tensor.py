"""Tensor and backward(): the tape.

A tensor holds an array of its device's backend. When an op that needs a gradient runs, its Function becomes a
node of the tape (`tensor._node`), numbered in the order ops ran. `backward()` gathers the nodes the result
depends on, replays them from the newest to the oldest, adds up the gradients of values used more than once
(a residual connection), and frees each node as soon as it has been replayed.

Every tensor counts its in-place changes (`_version`: an optimiser step, load_state_dict, a `.data` assignment).
A node notes the versions of the inputs whose arrays it saved, and backward refuses to use a saved array that has
changed since, as PyTorch does: the gradients would be those of weights the forward pass never saw.
"""
import numpy as np

from . import backend as backends
from . import function, ops, shapes
from .backend.broadcast import normalize_axes

_FLOATS = (np.float32, np.float64)


class Tensor:
    __slots__ = ("_data", "_version", "device", "requires_grad", "grad", "_node", "__weakref__")

    def __init__(self, data, requires_grad=False, dtype=None, device="cpu"):
        device = backends.normalize_device(device)
        array = _as_numpy(data, dtype)
        if requires_grad and array.dtype.type not in _FLOATS:
            raise TypeError(f"only float32/float64 tensors can require gradients, got {array.dtype}")
        self._data, self._version = backends.get(device).asarray(array), 0
        self.device = device
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._node = None

    @classmethod
    def _wrap(cls, array, device, requires_grad=False):
        """A tensor around a backend array, without copying or converting it."""
        t = cls.__new__(cls)
        t._data, t._version, t.device, t.requires_grad, t.grad, t._node = array, 0, device, requires_grad, None, None
        return t

    @property
    def data(self):
        return self._data

    @data.setter
    def data(self, array):
        self._data = array
        self._version += 1

    def _modified_in_place(self):
        """Called by whatever writes into this tensor's array (an optimiser step)."""
        self._version += 1

    # ------------------------------------------------------------------ properties
    @property
    def shape(self):
        return tuple(self.data.shape)

    @property
    def dtype(self):
        return np.dtype(self.data.dtype)

    @property
    def ndim(self):
        return len(self.data.shape)

    @property
    def is_leaf(self):
        return self._node is None

    def numel(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def __len__(self):
        return self.shape[0]

    def __array__(self, dtype=None, copy=None):
        # With __getitem__ and __len__, NumPy would otherwise take a tensor for a sequence and convert it row by
        # row (np.asarray(t) built an array of tensors); PyTorch's tensors convert as a whole too.
        values = self.numpy()
        return values if dtype is None else values.astype(dtype, copy=False)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        dev = "" if self.device == "cpu" else f", device='{self.device}'"
        return f"tensor({np.array2string(self.numpy(), precision=4, separator=', ')}{dev}{grad})"

    # ------------------------------------------------------------------ conversion
    def numpy(self):
        if self.requires_grad:
            return backends.get(self.device).to_numpy(self.data).copy()
        return backends.get(self.device).to_numpy(self.data)

    def item(self):
        if self.numel() != 1:
            raise ValueError(f"item() needs a tensor of one element, got shape {self.shape}")
        return self.numpy().reshape(()).item()

    def detach(self):
        return Tensor._wrap(self.data, self.device)

    def to(self, device):
        """A copy on `device`; the gradient flows back to this tensor, as for any op."""
        device = backends.normalize_device(device)
        if device == self.device:
            return self
        return ops.ToDevice.apply(self, device=device)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return ops.Cast.apply(self, dtype=np.float32)

    def double(self):
        return ops.Cast.apply(self, dtype=np.float64)

    def requires_grad_(self, flag=True):
        self.requires_grad = flag
        return self

    # ------------------------------------------------------------------ autograd
    def backward(self, grad=None):
        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad and has no recorded history")
        be = backends.get(self.device)
        callers = None  # the caller's gradient array: read by the kernels, copied only where a leaf would keep it
        if grad is None:
            if self.numel() != 1:
                raise RuntimeError(f"backward() without a gradient needs a scalar, got shape {self.shape}")
            grad = be.ones_like(self.data)
        else:  # not copied up front: a pass over a large gradient (bench/README.md)
            grad = callers = grad.data if isinstance(grad, Tensor) else be.asarray(np.asarray(grad))
        if self._node is None:
            _accumulate_leaf(self, grad if callers is None else be.copy(grad), be)
            return
        pending = {self._node: grad}
        observer = function._observer  # the profiler, timing each node's backward
        for node in _tape_of(self._node):
            grad_out = pending.pop(node, None)
            if grad_out is None:
                continue
            if node.saved is None:
                raise RuntimeError("backward() through a graph a second time: its tape was freed by the first")
            node.check_versions()
            grads = node.backward(grad_out) if observer is None else observer.backward(node, grad_out)
            nbe = node.backend  # the gradients' device: the node's inputs' (Tensor.to crosses devices)
            for edge, g in zip(node.edges, grads):
                if g is None or edge is None:
                    continue
                if isinstance(edge, Tensor):
                    if edge.requires_grad:  # a pass-through op (reshape, +) may hand a leaf the caller's array
                        shared = callers is not None and nbe is be and be.may_share_memory(g, callers)
                        _accumulate_leaf(edge, nbe.copy(g) if shared else g, nbe)
                elif edge in pending:
                    pending[edge] = nbe.add(pending[edge], g)
                else:
                    pending[edge] = g
            node.release()

    # ------------------------------------------------------------------ operators
    def __add__(self, other):
        return ops.Add.apply(self, _lift(other, self))

    def __radd__(self, other):
        return ops.Add.apply(_lift(other, self), self)

    def __sub__(self, other):
        return ops.Sub.apply(self, _lift(other, self))

    def __rsub__(self, other):
        return ops.Sub.apply(_lift(other, self), self)

    def __mul__(self, other):
        return ops.Mul.apply(self, _lift(other, self))

    def __rmul__(self, other):
        return ops.Mul.apply(_lift(other, self), self)

    def __truediv__(self, other):
        return ops.Div.apply(self, _lift(other, self))

    def __rtruediv__(self, other):
        return ops.Div.apply(_lift(other, self), self)

    def __neg__(self):
        return ops.Neg.apply(self)

    def __matmul__(self, other):
        return ops.MatMul.apply(self, _lift(other, self))

    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return ops.Reshape.apply(self, shape=_resolve_shape(self.shape, shape))

    view = reshape

    def __getitem__(self, key):
        """Basic indexing as PyTorch does it (ints, slices with positive steps, `...`, None); the gradient lands
        in zeros of this tensor's shape."""
        if self.ndim == 0:
            raise IndexError("indexing a 0-dim tensor is not supported")
        starts, steps, sizes, shape = shapes.basic_index(self.shape, key)
        out = ops.StridedSlice.apply(self, starts=starts, steps=steps, shape=sizes)
        return out if shape == sizes else out.reshape(shape)

    def flatten(self, start_dim=0, end_dim=-1):
        shape = self.shape
        end = end_dim % len(shape) if shape else 0
        flat = int(np.prod(shape[start_dim:end + 1], dtype=np.int64))
        return self.reshape(shape[:start_dim] + (flat,) + shape[end + 1:])

    def sum(self, dim=None, keepdim=False):
        return ops.Sum.apply(self, axis=normalize_axes(dim, self.ndim), keepdims=keepdim)

    def mean(self, dim=None, keepdim=False):
        axes = normalize_axes(dim, self.ndim)
        count = int(np.prod([self.shape[a] for a in axes], dtype=np.int64))
        return ops.Sum.apply(self, axis=axes, keepdims=keepdim) * (1.0 / count)

    def exp(self):
        return ops.Exp.apply(self)

    def log(self):
        return ops.Log.apply(self)

    def relu(self):
        return ops.ReLU.apply(self)

    def sigmoid(self):
        return ops.Sigmoid.apply(self)

    def tanh(self):
        return ops.Tanh.apply(self)

    @property
    def T(self):
        return ops.Transpose2d.apply(self)

    def argmax(self, dim=None):
        return Tensor(np.argmax(self.numpy(), axis=dim), device=self.device)


def tensor(data, dtype=None, requires_grad=False, device="cpu"):
    """A new tensor holding a copy of `data`: float32 by default, float64 kept when asked for or given."""
    if isinstance(data, Tensor):
        data = data.numpy()
    if isinstance(data, np.ndarray):
        data = data.copy()
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def _as_numpy(data, dtype):
    if dtype is not None:
        return np.asarray(data, dtype=np.dtype(dtype), order="C")
    array = np.asarray(data)
    if array.dtype.kind == "f" and array.dtype.type not in _FLOATS:
        array = array.astype(np.float32)
    elif array.dtype.kind == "f" and not isinstance(data, np.ndarray):
        array = array.astype(np.float32)  # Python floats: float32, as PyTorch makes them
    elif array.dtype.kind in "iub":
        array = array.astype(np.int64)
    return np.asarray(array, order="C")  # unlike ascontiguousarray, keeps 0-d arrays 0-d


def _lift(value, like):
    """Turn a Python number or array into a constant tensor of `like`'s dtype and device."""
    if isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value, dtype=like.dtype), device=like.device)


def _resolve_shape(old, new):
    new = tuple(int(s) for s in new)
    size = int(np.prod(old, dtype=np.int64))
    if new.count(-1) > 1:
        raise ValueError(f"reshape: only one dimension can be -1, got {new}")
    if -1 in new:
        known = int(np.prod([s for s in new if s != -1], dtype=np.int64))
        if known == 0 or size % known:
            raise ValueError(f"reshape: cannot reshape {old} into {new}")
        new = tuple(size // known if s == -1 else s for s in new)
    if int(np.prod(new, dtype=np.int64)) != size:
        raise ValueError(f"reshape: cannot reshape {old} ({size} elements) into {new}")
    return new


def _tape_of(root):
    """Nodes that `root` depends on, newest first: the order in which the tape is replayed."""
    seen, stack = {root}, [root]
    while stack:
        node = stack.pop()
        for parent in node.edges:
            if parent is not None and not isinstance(parent, Tensor) and parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return sorted(seen, key=lambda n: n.sequence, reverse=True)


def _accumulate_leaf(t, grad, be):
    grad = be.sum_to_shape(grad, t.shape)
    if t.grad is None:  # no copy: gradient arrays are never written in place, so sharing one is safe
        t.grad = Tensor._wrap(grad, t.device)
    else:
        t.grad = Tensor._wrap(be.add(t.grad.data, grad), t.device)
