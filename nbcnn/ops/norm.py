"""Batch normalisation and local response normalisation.

Batch norm works on (N, C, H, W); (N, D) inputs are viewed as (N, D, 1, 1). In training mode it normalises with
the batch's biased variance and, when running statistics are given, updates them in place with the unbiased
one: run = (1 − momentum)·run + momentum·batch, as PyTorch does.
"""
import numpy as np

from ..function import Function

# None, or while data-parallel training runs with --sync-bn the hook of nbcnn.distributed.sync_bn: it turns this
# process's per-channel statistics (mean, variance, count) and gradient sums (Σdy, Σdy·x̂) into those of every
# process's batch, so training-mode batch norm normalises, and differentiates, as one process with the global
# batch would.
_sync = None


def synchronize_batch_norm(hook):
    """Use `hook` in every training-mode batch norm from now on (None: each process's own batch)."""
    global _sync
    _sync = hook


class BatchNorm(Function):
    def forward(self, x, weight, bias, running_mean, running_var, training, momentum, eps):
        be = self.backend
        x4 = x.reshape(x.shape + (1, 1)) if len(x.shape) == 2 else x
        counts = None
        if training:
            y, mean, var = be.batch_norm_forward_train(x4, weight, bias, eps)
            count = total = x4.shape[0] * x4.shape[2] * x4.shape[3]
            if _sync is not None:  # normalise again, with the global batch's statistics
                mean, var, total = _sync.statistics(be.to_numpy(mean), be.to_numpy(var), count)
                mean, var = be.asarray(mean.astype(x4.dtype)), be.asarray(var.astype(x4.dtype))
                y = be.batch_norm_forward_eval(x4, mean, var, weight, bias, eps)
                counts = (count, total)
            if running_mean is not None:
                be.batch_norm_update_running(running_mean, running_var, mean, var, total, momentum)
        else:
            mean, var = running_mean, running_var
            y = be.batch_norm_forward_eval(x4, mean, var, weight, bias, eps)
        self.save_for_backward(x4, weight, mean, var, training, eps, x.shape, counts)
        return y.reshape(x.shape)

    def backward(self, grad):
        x4, weight, mean, var, training, eps, shape, counts = self.saved
        be = self.backend
        grad = grad.reshape(x4.shape)
        if counts is not None:
            return self._synchronized_backward(grad, x4, weight, mean, var, eps, shape, counts)
        kernel = be.batch_norm_backward_train if training else be.batch_norm_backward_eval
        gx, gw, gb = kernel(grad, x4, weight, mean, var, eps)
        return gx.reshape(shape), gw, gb

    def _synchronized_backward(self, grad, x4, weight, mean, var, eps, shape, counts):
        """dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)) with the means over the global batch.

        The eval kernel gives γ/σ·dy and this process's Σdy·x̂ and Σdy (its γ and β gradients, which data
        parallelism averages later); the global means then come in as per-channel terms.
        """
        be = self.backend
        count, total = counts
        gx, gw, gb = be.batch_norm_backward_eval(grad, x4, weight, mean, var, eps)
        sum_dy, sum_dy_xhat = _sync.gradient_sums(be.to_numpy(gb), be.to_numpy(gw), count, total)
        c = x4.shape[1]
        invstd = 1.0 / np.sqrt(be.to_numpy(var).astype(np.float64) + eps)
        k = invstd * (1.0 if weight is None else be.to_numpy(weight))
        per_channel = [be.asarray(v.astype(x4.dtype).reshape(1, c, 1, 1))
                       for v in (be.to_numpy(mean), k * sum_dy / total, k * invstd * sum_dy_xhat / total)]
        mu, offset, slope = per_channel
        # k = γ/σ: dx = k·dy − k·mean(dy) − (x − μ)·k/σ·mean(dy·x̂)
        gx = be.sub(gx, be.add(be.mul(be.sub(x4, mu), slope), offset))
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
