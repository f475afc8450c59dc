"""y = x Wᵀ + b with W laid out (out_features, in_features), as PyTorch lays it."""
from ..function import Function


class Linear(Function):
    def forward(self, x, weight, bias):
        self.save_for_backward(x, weight)
        return self.backend.linear_forward(x, weight, bias)

    def backward(self, grad):
        x, weight = self.saved
        be = self.backend
        gx = be.linear_backward_input(grad, weight) if self.needs_input_grad[0] else None
        gw = be.linear_backward_weight(grad, x) if self.needs_input_grad[1] else None
        gb = be.sum(grad, (0,), False) if self.needs_input_grad[2] else None
        return gx, gw, gb
