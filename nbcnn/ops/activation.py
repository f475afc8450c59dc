"""Activations. Each keeps what its backward needs: ReLU and sigmoid/tanh keep their output, GELU its input."""
from ..function import Function


class ReLU(Function):
    def forward(self, x):
        y = self.backend.relu_forward(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        return (self.backend.relu_backward(grad, self.saved[0]),)


class Sigmoid(Function):
    def forward(self, x):
        y = self.backend.sigmoid_forward(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        return (self.backend.sigmoid_backward(grad, self.saved[0]),)


class Tanh(Function):
    def forward(self, x):
        y = self.backend.tanh_forward(x)
        self.save_for_backward(y)
        return y

    def backward(self, grad):
        return (self.backend.tanh_backward(grad, self.saved[0]),)


class GELU(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return self.backend.gelu_forward(x)

    def backward(self, grad):
        return (self.backend.gelu_backward(grad, self.saved[0]),)
