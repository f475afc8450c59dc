"""Batch normalisation and local response normalisation.

Batch norm works on (N, C, H, W); (N, D) inputs are viewed as (N, D, 1, 1). In training mode it normalises with
the batch's biased variance and, when running statistics are given, updates them in place with the unbiased
one: run = (1 − momentum)·run + momentum·batch, as PyTorch does.

Synchronised batch norm (data-parallel training with --sync-bn) is a strategy the op is given: `sync` turns this
process's per-channel statistics (mean, variance, count) and gradient sums (Σdy, Σdy·x̂) into those of every
process's batch (nbcnn.distributed.sync_bn), so training-mode batch norm normalises, and differentiates, as one
process with the global batch would.
"""
from ..function import Function


class BatchNorm(Function):
    def forward(self, x, weight, bias, running_mean, running_var, training, momentum, eps, sync=None):
        be = self.backend
        x4 = x.reshape(x.shape + (1, 1)) if len(x.shape) == 2 else x
        counts = None
        if training:
            y, mean, var = be.batch_norm_forward_train(x4, weight, bias, eps)
            count = total = x4.shape[0] * x4.shape[2] * x4.shape[3]
            if sync is not None:  # normalise again, with the global batch's statistics
                mean, var, total = sync.statistics(be, mean, var, count)
                y = be.batch_norm_forward_eval(x4, mean, var, weight, bias, eps)
                counts = (count, total)
            if running_mean is not None:
                be.batch_norm_update_running(running_mean, running_var, mean, var, total, momentum)
        else:
            mean, var = running_mean, running_var
            y = be.batch_norm_forward_eval(x4, mean, var, weight, bias, eps)
        self.save_for_backward(x4, weight, mean, var, training, eps, x.shape, sync, counts)
        return y.reshape(x.shape)

    def backward(self, grad):
        x4, weight, mean, var, training, eps, shape, sync, counts = self.saved
        be = self.backend
        grad = grad.reshape(x4.shape)
        if counts is None:
            kernel = be.batch_norm_backward_train if training else be.batch_norm_backward_eval
            gx, gw, gb = kernel(grad, x4, weight, mean, var, eps)
        else:
            # this process's Σdy·x̂ and Σdy are its γ and β gradients (data parallelism averages them later); dx
            # needs the global batch's
            _, gw, gb = be.batch_norm_backward_eval(grad, x4, weight, mean, var, eps)
            count, total = counts
            sum_dy, sum_dy_xhat = sync.gradient_sums(be, gb, gw, count, total)
            gx = be.batch_norm_backward_global(grad, x4, weight, mean, var, eps, sum_dy, sum_dy_xhat, total)
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
