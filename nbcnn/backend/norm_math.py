"""Batch norm's and local response norm's per-element math, compiled by both backends around their own loops
(`njit` on the CPU, `cuda.jit(device=True)` on CUDA), so the two devices normalise, and differentiate, alike.

Batch norm, per channel with σ = √(var + eps): y = γ·(x − μ)/σ + β = x·scale + shift. With batch statistics the
mean and variance depend on x, and dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)) with x̂ = (x − μ)/σ; with running
statistics dx = γ/σ·dy. Running statistics: run = (1 − momentum)·run + momentum·batch, the variance made unbiased
by the caller, as PyTorch does.

Local response norm across channels (AlexNet, PyTorch's padding of the channel axis):
b_c = a_c · scale_c^(−β), scale_c = k + α/n · Σ a_j² over j in [c − n//2, c + (n − 1)//2].
"""
import math


def bn_scale_shift(gamma, beta, mean, var, eps):
    """(scale, shift) of y = x·scale + shift."""
    scale = gamma / math.sqrt(var + eps)
    return scale, beta - mean * scale


def bn_input_grad(g, x, k, mean, offset, slope):
    """k·(g − offset − (x − mean)·slope): dx with batch statistics for k = γ/σ, offset = mean(dy) and
    slope = mean(dy·x̂)/σ."""
    return k * (g - offset - (x - mean) * slope)


def running_update(run, batch, keep, momentum):
    """keep = 1 − momentum, both in the statistics' dtype."""
    return run * keep + momentum * batch


def lrn_scale(x, i, ch, p, q, size, alpha, k):
    """scale_c of channel ch at (i, p, q)."""
    c = x.shape[1]
    s = 0.0
    for j in range(max(0, ch - size // 2), min(c, ch + (size - 1) // 2 + 1)):
        s += x[i, j, p, q] * x[i, j, p, q]
    return k + alpha / size * s


def lrn_input_grad(gy, x, scale, i, ch, p, q, size, alpha, beta):
    """dx of channel ch at (i, p, q), given the forward's scales."""
    c = x.shape[1]
    # channel ch sits in the windows of the channels j with j − size//2 ≤ ch ≤ j + (size − 1)//2
    s = 0.0
    for j in range(max(0, ch - (size - 1) // 2), min(c, ch + size // 2 + 1)):
        s += gy[i, j, p, q] * x[i, j, p, q] * scale[i, j, p, q] ** (-beta - 1)
    return gy[i, ch, p, q] * scale[i, ch, p, q] ** -beta - 2 * alpha * beta / size * x[i, ch, p, q] * s
