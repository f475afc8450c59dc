"""2-D convolution kernels: one algorithm per module, chosen here by the layer's shape.

- conv_direct and conv_batched: stride 1 and C·K ≤ 128 (LeNet's 1→6, 6→16). Plain loops; a lowered product would
  be a BLAS call with 6 or 16 output rows, all thread hand-off and no arithmetic. conv_batched (images innermost) at
  batches ≥ 16 (conv2: 1.7–1.9× faster a pass at b256) except for a forward pass over planes that are mostly
  real positions (conv1), conv_direct's zero-padded planes otherwise.
- conv_winograd: 3×3, stride 1, padding ≤ 2, C ≥ 8, K ≥ 16 and ≥ 40 output tiles of 2×2 (every 3×3 layer of
  VGG and ResNet at the benchmarks' batches but the 3-channel stems). F(2×2, 3×3): 2.25× fewer multiplications,
  the products BLAS's. 1.0–3.5× faster than im2col per layer (bench/conv_algorithms.py); with fewer tiles (one or two
  images of 7²) im2col's one fat product is faster forward, and with 3 input channels the transforms cost more
  than they save (CIFAR's 3→64 stem at b128: forward 6.0 → 4.0 ms, backward-weight 11.8 → 5.6 with im2col; at
  8 channels the two are even, at 16 Winograd leads).
- conv_shifted: stride 1, padding < kernel size, 8 ≤ C, K ≤ 256 (what Winograd does not take: other kernel
  sizes, few tiles). One BLAS product per kernel tap over contiguous rows of the channels-last padded input: no
  im2col. Forward measured 1.2–1.5× faster than im2col at 64 and 128 channels, even at 256, 1.5× slower at 512.
- conv_im2col: everything else (strided layers, 3-channel stems, 1×1 downsampling): im2col tiles + BLAS.
Measured on the 2-vCPU Xeon (bench/README.md). `_FORCE` names one module for every call (tests compare them).
"""
import numpy as np
from numba import njit, prange

from . import conv_batched, conv_direct, conv_im2col, conv_shifted, conv_winograd

ALGORITHMS = {"direct": conv_direct, "batched": conv_batched, "winograd": conv_winograd, "shifted": conv_shifted,
              "im2col": conv_im2col}
_FORCE = None  # an ALGORITHMS key, or None to choose by shape


def choose(x_shape, w_shape, stride, padding, forward=True):
    """The ALGORITHMS key for a convolution of input (N, C, H, W) with weight (K, C, kh, kw), for its forward pass
    or (forward=False) its backward passes."""
    if _FORCE is not None:
        return _FORCE
    (n, c_in, h, w), k_out = x_shape, w_shape[0]
    if tuple(stride) == (1, 1) and c_in * k_out <= 128:
        hp, wp = h + 2 * padding[0], w + 2 * padding[1]
        oh, ow = hp - w_shape[2] + 1, wp - w_shape[3] + 1
        return "batched" if conv_batched.pays(n, hp, wp, oh, ow, forward) else "direct"
    if (conv_winograd.supports(w_shape, stride, padding) and k_out >= 16 and c_in >= 8
            and conv_winograd.tiles(n, h + 2 * padding[0] - 2, w + 2 * padding[1] - 2) >= 40):
        return "winograd"
    if conv_shifted.supports(w_shape, stride, padding) and 8 <= min(c_in, k_out) and max(c_in, k_out) <= 256:
        return "shifted"
    return "im2col"


def _algorithm(x_shape, w_shape, stride, padding, forward=True):
    name = choose(x_shape, w_shape, stride, padding, forward)
    algo = ALGORITHMS[name]
    if not algo.supports(w_shape, stride, padding):
        raise ValueError(f"conv algorithm {name!r} cannot run stride {stride}, padding {padding}")
    return algo


def conv2d_forward(x, weight, bias, stride, padding):
    return _algorithm(x.shape, weight.shape, stride, padding).conv2d_forward(x, weight, bias, stride, padding)


def conv2d_backward_input(grad, weight, x_shape, stride, padding):
    algo = _algorithm(x_shape, weight.shape, stride, padding, forward=False)
    return algo.conv2d_backward_input(grad, weight, x_shape, stride, padding)


def conv2d_backward_weight(grad, x, w_shape, stride, padding):
    algo = _algorithm(x.shape, w_shape, stride, padding, forward=False)
    return algo.conv2d_backward_weight(grad, x, w_shape, stride, padding)


@njit(parallel=True, cache=True, fastmath=True)
def _bias_grad(g, out):
    # g (N, K, OH·OW): a plane's sum vectorises in the array's dtype, the batch's sum of them is kept in float64
    n, k_out = g.shape[0], g.shape[1]
    for k in prange(k_out):
        total = 0.0
        for i in range(n):
            plane = g[i, k]
            s = plane.dtype.type(0)
            for q in range(plane.shape[0]):
                s += plane[q]
            total += s
        out[k] = total


def conv2d_backward_bias(grad):
    n, k_out = grad.shape[:2]
    out = np.empty(k_out, grad.dtype)
    _bias_grad(np.ascontiguousarray(grad).reshape(n, k_out, -1), out)  # NumPy's sum over (0, 2, 3): 3–6× slower
    return out
