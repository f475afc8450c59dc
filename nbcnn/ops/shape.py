"""Ops that move or gather values without arithmetic on them: reshape, sum, concatenation, slicing, padding."""
from ..function import Function


class Reshape(Function):
    def forward(self, a, shape):
        self.save_for_backward(a.shape)
        return a.reshape(shape)

    def backward(self, grad):
        return (grad.reshape(self.saved[0]),)


class Sum(Function):
    def forward(self, a, axis, keepdims=False):
        self.save_for_backward(a.shape, axis, keepdims)
        return self.backend.sum(a, axis, keepdims)

    def backward(self, grad):
        shape, axis, keepdims = self.saved
        if not keepdims:
            kept = tuple(1 if i in axis else n for i, n in enumerate(shape))
            grad = grad.reshape(kept)
        return (self.backend.add(self.backend.zeros(shape, grad.dtype), grad),)


class Concat(Function):
    """Joins tensors along one axis (channels for Inception blocks)."""

    def forward(self, *arrays, axis=1):
        self.save_for_backward(axis, [a.shape[axis] for a in arrays])
        return self.backend.concatenate(arrays, axis)

    def backward(self, grad):
        axis, sizes = self.saved
        return tuple(self.backend.split(grad, sizes, axis))


class StridedSlice(Function):
    """Basic slicing with positive steps: out[i] = a[starts + i·steps] on each axis, for out of `shape`."""

    def forward(self, a, starts, steps, shape):
        self.save_for_backward(a.shape, starts, steps)
        return self.backend.strided_slice(a, starts, steps, shape)

    def backward(self, grad):
        shape, starts, steps = self.saved
        return (self.backend.strided_embed(grad, shape, starts, steps, 0),)


class Pad(Function):
    """Constant padding, one (before, after) pair per axis."""

    def forward(self, a, pads, value):
        before = tuple(p for p, _ in pads)
        self.save_for_backward(before, a.shape)
        shape = tuple(n + p + q for n, (p, q) in zip(a.shape, pads))
        return self.backend.strided_embed(a, shape, before, (1,) * len(shape), value)

    def backward(self, grad):
        before, shape = self.saved
        return (self.backend.strided_slice(grad, before, (1,) * len(shape), shape),)
