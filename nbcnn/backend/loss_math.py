"""Softmax cross-entropy's per-row and per-element math with label smoothing (PyTorch's definition), compiled by
both backends around their own loops so the CPU and CUDA losses cannot drift apart.

With smoothing ε over K classes the target of row i is q_j = (1 − ε)·[j = label] + ε/K, and the loss
−Σ_j q_j·log p_j; its gradient with respect to the logits is p − q.
"""
import math


def smoothed_row_loss(logits, i, label, log_sum_exp, smoothing):
    """The loss of row i, given log Σ exp(logits[i]); −log p_j = log_sum_exp − logits[i, j] is never negative,
    so the smoothing term adds no cancellation."""
    loss = log_sum_exp - logits[i, label]
    if smoothing == 0:
        return loss
    k = logits.shape[1]
    total = 0.0
    for j in range(k):
        total += log_sum_exp - logits[i, j]
    return (1 - smoothing) * loss + smoothing * total / k


def smoothed_target(j, label, k, smoothing):
    """q_j of a row whose label is `label`."""
    return (1 - smoothing if j == label else 0.0) + smoothing / k


def softmax_row(logits, i, probs):
    """Writes softmax(logits[i]) into probs[i] and returns log Σ exp(logits[i]), shifted by the row's maximum so
    large logits stay finite."""
    k = logits.shape[1]
    top = logits[i, 0]
    for j in range(1, k):
        top = max(top, logits[i, j])
    s = 0.0
    for j in range(k):
        e = math.exp(logits[i, j] - top)
        probs[i, j] = e
        s += e
    for j in range(k):
        probs[i, j] /= s
    return top + math.log(s)
