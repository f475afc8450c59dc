"""Max, average and global average pooling over (N, C, H, W)."""
from ..function import Function


class MaxPool2d(Function):
    """Ties send the whole gradient to the first maximal element of the window, in row-major order."""

    def forward(self, x, kernel, stride, padding, ceil_mode):
        y, argmax = self.backend.max_pool2d_forward(x, kernel, stride, padding, ceil_mode,
                                                    record=self.needs_input_grad[0])
        self.save_for_backward(argmax, x.shape)
        return y

    def backward(self, grad):
        argmax, x_shape = self.saved
        return (self.backend.max_pool2d_backward(grad, argmax, x_shape),)


class AvgPool2d(Function):
    """Padding counts as zeros in the average (PyTorch's count_include_pad=True); the backward pass reads ceil_mode's
    extra windows from the gradient's shape."""

    def forward(self, x, kernel, stride, padding, ceil_mode):
        self.save_for_backward(x.shape, kernel, stride, padding)
        return self.backend.avg_pool2d_forward(x, kernel, stride, padding, ceil_mode)

    def backward(self, grad):
        x_shape, kernel, stride, padding = self.saved
        return (self.backend.avg_pool2d_backward(grad, x_shape, kernel, stride, padding),)


class GlobalAvgPool2d(Function):
    """(N, C, H, W) -> (N, C, 1, 1)."""

    def forward(self, x):
        self.save_for_backward(x.shape)
        return self.backend.global_avg_pool2d_forward(x)

    def backward(self, grad):
        return (self.backend.global_avg_pool2d_backward(grad, self.saved[0]),)
