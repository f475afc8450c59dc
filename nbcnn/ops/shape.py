"""Ops that move or gather values without arithmetic on them: reshape, sum, concatenation."""
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
