"""2-D convolution (cross-correlation, as every framework computes it), weight (K, C, kh, kw)."""
from ..function import Function


class Conv2d(Function):
    def forward(self, x, weight, bias, stride, padding):
        self.save_for_backward(x, weight, stride, padding)
        return self.backend.conv2d_forward(x, weight, bias, stride, padding)

    def backward(self, grad):
        x, weight, stride, padding = self.saved
        be = self.backend
        need_x, need_w, need_b = self.needs_input_grad
        gx = be.conv2d_backward_input(grad, weight, x.shape, stride, padding) if need_x else None
        gw = be.conv2d_backward_weight(grad, x, weight.shape, stride, padding) if need_w else None
        gb = be.conv2d_backward_bias(grad) if need_b else None
        return gx, gw, gb
