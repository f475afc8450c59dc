"""Elementwise arithmetic with NumPy broadcasting; gradients are summed back to each input's shape."""
from ..function import Function


class Add(Function):
    def forward(self, a, b):
        self.save_for_backward(a.shape, b.shape)
        return self.backend.add(a, b)

    def backward(self, grad):
        a_shape, b_shape = self.saved
        be = self.backend
        return be.sum_to_shape(grad, a_shape), be.sum_to_shape(grad, b_shape)


class Sub(Function):
    def forward(self, a, b):
        self.save_for_backward(a.shape, b.shape)
        return self.backend.sub(a, b)

    def backward(self, grad):
        a_shape, b_shape = self.saved
        be = self.backend
        return be.sum_to_shape(grad, a_shape), be.sum_to_shape(be.neg(grad), b_shape)


class Mul(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.backend.mul(a, b)

    def backward(self, grad):
        a, b = self.saved
        be = self.backend
        ga = be.sum_to_shape(be.mul(grad, b), a.shape) if self.needs_input_grad[0] else None
        gb = be.sum_to_shape(be.mul(grad, a), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.backend.div(a, b)

    def backward(self, grad):
        a, b = self.saved
        be = self.backend
        ga = be.sum_to_shape(be.div(grad, b), a.shape) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:  # d(a/b)/db = -a / b²
            gb = be.sum_to_shape(be.neg(be.div(be.mul(grad, a), be.mul(b, b))), b.shape)
        return ga, gb


class Neg(Function):
    def forward(self, a):
        return self.backend.neg(a)

    def backward(self, grad):
        return (self.backend.neg(grad),)


class Exp(Function):
    def forward(self, a):
        out = self.backend.exp(a)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        return (self.backend.mul(grad, self.saved[0]),)


class Log(Function):
    def forward(self, a):
        self.save_for_backward(a)
        return self.backend.log(a)

    def backward(self, grad):
        return (self.backend.div(grad, self.saved[0]),)


class MatMul(Function):
    """(m, k) @ (k, n); batched products are left to reshape + linear."""

    def forward(self, a, b):
        if len(a.shape) != 2 or len(b.shape) != 2 or a.shape[1] != b.shape[0]:
            raise ValueError(f"matmul: expected (m, k) @ (k, n), got {tuple(a.shape)} @ {tuple(b.shape)}")
        self.save_for_backward(a, b)
        return self.backend.matmul(a, b)

    def backward(self, grad):
        a, b = self.saved
        be = self.backend
        ga = be.matmul(grad, be.transpose2d(b)) if self.needs_input_grad[0] else None
        gb = be.matmul(be.transpose2d(a), grad) if self.needs_input_grad[1] else None
        return ga, gb


class Transpose2d(Function):
    def forward(self, a):
        return self.backend.transpose2d(a)

    def backward(self, grad):
        return (self.backend.transpose2d(grad),)


class Cast(Function):
    def forward(self, a, dtype):
        self.save_for_backward(a.dtype)
        return self.backend.astype(a, dtype)

    def backward(self, grad):
        return (self.backend.astype(grad, self.saved[0]),)
