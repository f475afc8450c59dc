"""Softmax cross-entropy with PyTorch's label smoothing, mean over the batch; log-sum-exp keeps large logits
finite. One thread per row.

Out-of-range labels are flagged by the kernel and read back as one int: the only host transfer of the loss.
"""

import numpy as np
from numba import cuda

from ..loss_math import smoothed_row_loss, smoothed_target, softmax_row
from .arrays import empty, flat, run_flat, zeros
from .reduce import reduce


_softmax_row = cuda.jit(device=True)(softmax_row)
_row_loss = cuda.jit(device=True)(smoothed_row_loss)
_target = cuda.jit(device=True)(smoothed_target)


@cuda.jit
def _cross_entropy(logits, target, smoothing, probs, losses, bad):
    n, k = logits.shape
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        label = target[i]
        if label < 0 or label >= k:
            bad[0] = 1
            losses[i] = 0.0
            continue
        losses[i] = _row_loss(logits, i, label, _softmax_row(logits, i, probs), smoothing)


@cuda.jit
def _cross_entropy_grad(probs, target, smoothing, grad, n, g):
    k = probs.shape[1]
    scale = grad[0] / n
    for t in range(cuda.grid(1), probs.size, cuda.gridsize(1)):
        i, j = t // k, t % k
        g[i, j] = (probs[i, j] - _target(j, target[i], k, smoothing)) * scale


def _check_shapes(logits, target):
    if len(logits.shape) != 2 or tuple(target.shape) != (logits.shape[0],):
        raise ValueError(f"cross_entropy: expected logits (N, classes) and targets (N,), "
                         f"got {tuple(logits.shape)} and {tuple(target.shape)}")


def cross_entropy_forward(logits, target, label_smoothing=0.0):
    _check_shapes(logits, target)
    n = logits.shape[0]
    probs, losses, bad = empty(logits.shape, logits.dtype), empty((n,), np.float64), zeros((1,), np.int32)
    run_flat(_cross_entropy, n, logits, target, float(label_smoothing), probs, losses, bad)
    if bad.copy_to_host()[0]:
        labels = target.copy_to_host()
        raise ValueError(f"cross_entropy: target labels must lie in [0, {logits.shape[1] - 1}], "
                         f"got values from {labels.min()} to {labels.max()}")
    return reduce(losses, (0,), logits.dtype, 1.0 / n).reshape(()), probs


def cross_entropy_backward(grad, probs, target, label_smoothing=0.0):
    g = empty(probs.shape, probs.dtype)
    run_flat(_cross_entropy_grad, probs.size, probs, target, float(label_smoothing), flat(grad),
             grad.dtype.type(target.shape[0]), g)
    return g
