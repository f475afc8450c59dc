"""Batch normalisation and local response normalisation.

Batch norm works on (N, C, H, W); (N, D) inputs are viewed as (N, D, 1, 1). In training mode it normalises with
the batch's biased variance and, when running statistics are given, updates them in place with the unbiased
one: run = (1 − momentum)·run + momentum·batch, as PyTorch does.
"""
from ..function import Function


class BatchNorm(Function):
    def forward(self, x, weight, bias, running_mean, running_var, training, momentum, eps):
        be = self.backend
        x4 = x.reshape(x.shape + (1, 1)) if len(x.shape) == 2 else x
        if training:
            y, mean, var = be.batch_norm_forward_train(x4, weight, bias, eps)
            if running_mean is not None:
                count = x4.shape[0] * x4.shape[2] * x4.shape[3]
                be.batch_norm_update_running(running_mean, running_var, mean, var, count, momentum)
        else:
            mean, var = running_mean, running_var
            y = be.batch_norm_forward_eval(x4, mean, var, weight, bias, eps)
        self.save_for_backward(x4, weight, mean, var, training, eps, x.shape)
        return y.reshape(x.shape)

    def backward(self, grad):
        x4, weight, mean, var, training, eps, shape = self.saved
        kernel = self.backend.batch_norm_backward_train if training else self.backend.batch_norm_backward_eval
        gx, gw, gb = kernel(grad.reshape(x4.shape), x4, weight, mean, var, eps)
        return gx.reshape(shape), gw, gb


class LocalResponseNorm(Function):
    """b_c = a_c · (k + α/n · Σ a_c'²)^(−β) over n neighbouring channels, as AlexNet and PyTorch define it."""

    def forward(self, x, size, alpha, beta, k):
        y, scale = self.backend.lrn_forward(x, size, alpha, beta, k)
        self.save_for_backward(x, scale, size, alpha, beta)
        return y

    def backward(self, grad):
        x, scale, size, alpha, beta = self.saved
        return (self.backend.lrn_backward(grad, x, scale, size, alpha, beta),)
