"""fastnet: airbench94's network (Jordan 2024, after Page's and tysam's fast CIFAR-10 ResNets), a small VGG-like
net that reaches 94 % on CIFAR-10 in about ten epochs.

    whiten: 2×2 conv, 3 → 24 channels, frozen, set from the training images' patch statistics; GELU
    three groups (64, 256, 256 channels): 3×3 conv → 2×2 max pool → BN → GELU → 3×3 conv → BN → GELU
    max pool over what is left (3×3 at 32 px), a linear head without bias, logits × logit_scale

The whitening layer's 12 filters and their negatives decorrelate the 2×2×3 patches (eigenvectors of their
covariance, scaled by 1/√eigenvalue), so the first trained layer sees inputs of equal variance in every direction;
negated copies let the GELU after it keep both signs. Convolutions have no bias (BN follows each) and start as an
identity on their first in_channels filters (PyTorch's dirac_ init), an implicit residual. Batch norm keeps its
scale at 1 unless bn_weight (airbench trains only the biases), with eps and momentum as options. The small logit
scale (1/9) stands in for a lower initial temperature.
"""
import numpy as np

from .. import nn
from .common import size_pair
from ..errors import ConfigError

WIDTHS = (64, 256, 256)


class ConvGroup(nn.Module):
    def __init__(self, in_channels, out_channels, bn_momentum, bn_eps, bn_weight):
        super().__init__()
        self.conv1 = _conv(in_channels, out_channels)
        self.pool = nn.MaxPool2d(2)
        self.norm1 = _norm(out_channels, bn_momentum, bn_eps, bn_weight)
        self.conv2 = _conv(out_channels, out_channels)
        self.norm2 = _norm(out_channels, bn_momentum, bn_eps, bn_weight)
        self.activation = nn.GELU()

    def forward(self, x):
        x = self.activation(self.norm1(self.pool(self.conv1(x))))
        return self.activation(self.norm2(self.conv2(x)))


class FastNet(nn.Module):
    def __init__(self, in_channels=3, input_size=32, num_classes=10, bn_momentum=0.4, bn_eps=1e-12,
                 bn_weight=False, logit_scale=1 / 9, whiten_kernel=2):
        super().__init__()
        k = whiten_kernel
        self.whiten = nn.Conv2d(in_channels, 2 * in_channels * k * k, k)
        self.whiten.weight.requires_grad = False
        self.whiten.bias.data[...] = 0
        self.activation = nn.GELU()
        widths = (self.whiten.out_channels,) + WIDTHS
        self.group1, self.group2, self.group3 = (ConvGroup(c_in, c_out, bn_momentum, bn_eps, bn_weight)
                                                 for c_in, c_out in zip(widths, widths[1:]))
        left = [(n - k + 1) // 8 for n in size_pair(input_size)]  # three 2×2 poolings after the whitening conv
        if min(left) < 1:
            raise ConfigError(f"fastnet needs inputs of at least {k + 7} pixels a side, got {input_size}")
        self.pool = nn.MaxPool2d(tuple(left))
        self.head = nn.Linear(WIDTHS[-1], num_classes, bias=False)
        self.logit_scale = logit_scale

    def forward(self, x):
        x = self.group3(self.group2(self.group1(self.activation(self.whiten(x)))))
        return self.head(self.pool(x).flatten(1)) * self.logit_scale

    def init_whitening(self, images, eps=5e-4):
        """Set the whitening filters from normalised float images (N, C, H, W), e.g. 5000 training images.

        With Σ = E[p pᵀ] over every k×k patch p (flattened in the weight's (C, kh, kw) order) and Σ = V Λ Vᵀ,
        the filters are the rows of Λ^(−1/2) Vᵀ (largest eigenvalue first) and then their negatives; eps keeps
        the near-zero directions from being amplified without bound (airbench's 5e-4)."""
        c, kh, kw = self.whiten.weight.shape[1:]
        covariance = np.zeros((c * kh * kw,) * 2)
        count = 0
        for start in range(0, len(images), 500):  # 500 images' patches in float64: ≈ 46 MB at 32 px
            windows = np.lib.stride_tricks.sliding_window_view(images[start:start + 500], (kh, kw), axis=(2, 3))
            patches = windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, c * kh * kw).astype(np.float64)
            covariance += patches.T @ patches
            count += len(patches)
        eigenvalues, eigenvectors = np.linalg.eigh(covariance / count)
        filters = (eigenvectors.T / np.sqrt(eigenvalues + eps)[:, None])[::-1].reshape(-1, c, kh, kw)
        self.whiten.weight.data = np.concatenate([filters, -filters]).astype(np.float32)


def fastnet(in_channels=3, input_size=32, num_classes=10, bn_momentum=0.4, bn_eps=1e-12, bn_weight=False,
            logit_scale=1 / 9):
    return FastNet(in_channels, input_size, num_classes, bn_momentum, bn_eps, bn_weight, logit_scale)


def _conv(in_channels, out_channels):
    conv = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
    w = conv.weight.numpy()
    w[:in_channels] = 0
    w[np.arange(in_channels), np.arange(in_channels), 1, 1] = 1  # the first in_channels filters pass x through
    conv.weight.data = w
    return conv


def _norm(channels, momentum, eps, train_weight):
    norm = nn.BatchNorm2d(channels, eps=eps, momentum=momentum)
    norm.weight.requires_grad = bool(train_weight)
    return norm
