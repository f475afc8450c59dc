"""2-D convolution kernels: one algorithm per module, chosen here by the layer's shape.

`choose`'s table, first match wins (the constants below; what each row was measured against is in bench/README.md,
"Measurements behind the kernels", and bench/conv_algorithms.py reruns it layer by layer):

batched   stride 1, C·K ≤ 128, batch ≥ 16; a forward pass only where the padded planes are ≥ 1.5× the output.
          Few channels (LeNet's 1→6, 6→16): a lowered product would be a BLAS call with 6 or 16 rows; images
          innermost skip the padded planes' junk columns.
direct    stride 1, C·K ≤ 128 otherwise: the same loops over zero-padded planes, for small batches.
winograd4 what winograd takes (below) with C, K ≤ 64 and outputs of at most 32²: F(4×4, 3×3), 4× fewer
          multiplications, channels innermost (the CIFAR ResNets' layers, where it beats F(2×2, 3×3) on every
          pass; on wider channels or larger maps F(2×2, 3×3) wins).
winograd  3×3, stride 1, padding ≤ 2, C ≥ 8, K ≥ 16, ≥ 40 output tiles of 2×2. F(2×2, 3×3): 2.25× fewer
          multiplications, the products BLAS's. With fewer tiles im2col's one fat product wins; with 3 input
          channels the transforms cost more than they save.
shifted   stride 1, padding < kernel size, 8 ≤ C, K ≤ 256 (what Winograd does not take: other kernel sizes, few
          tiles). One BLAS product per kernel tap over rows of the channels-last padded input, no im2col copy;
          past 256 channels im2col wins.
lowered_cl strided, kernel larger than 1×1, outputs of at most 16², batch ≥ 16 (the CIFAR ResNets' stride-2
          layers): one product per block of whole images over channels-last lowered rows, each tap row one
          contiguous copy; on larger maps and small batches im2col's tiles keep both threads busier.
im2col    everything else (large strided layers, 3-channel stems, 1×1 downsampling): im2col tiles + BLAS.

Tests and bench/conv_ab.py force one algorithm by replacing `choose`.
"""
import numpy as np
from numba import njit, prange

from ...shapes import conv_output_size
from . import conv_batched, conv_direct, conv_im2col, conv_lowered_cl, conv_shifted, conv_winograd, conv_winograd4

ALGORITHMS = {"direct": conv_direct, "batched": conv_batched, "winograd": conv_winograd,
              "winograd4": conv_winograd4, "shifted": conv_shifted, "lowered_cl": conv_lowered_cl,
              "im2col": conv_im2col}
_FEW_CHANNELS = 128  # C·K at most: batched or direct
_WINOGRAD_MIN_IN, _WINOGRAD_MIN_OUT, _WINOGRAD_MIN_TILES = 8, 16, 40
_WINOGRAD4_MAX_CHANNELS, _WINOGRAD4_MAX_SIDE = 64, 32
_SHIFTED_MIN_CHANNELS, _SHIFTED_MAX_CHANNELS = 8, 256
_LOWERED_CL_MIN_BATCH, _LOWERED_CL_MAX_SIDE = 16, 16


def choose(x_shape, w_shape, stride, padding, forward=True):
    """The ALGORITHMS key for a convolution of input (N, C, H, W) with weight (K, C, kh, kw), for its forward pass
    or (forward=False) its backward passes."""
    (n, c_in, h, w), k_out = x_shape, w_shape[0]
    if tuple(stride) == (1, 1) and c_in * k_out <= _FEW_CHANNELS:
        hp, wp = h + 2 * padding[0], w + 2 * padding[1]
        oh, ow = hp - w_shape[2] + 1, wp - w_shape[3] + 1
        return "batched" if conv_batched.pays(n, hp, wp, oh, ow, forward) else "direct"
    if (conv_winograd.supports(w_shape, stride, padding) and k_out >= _WINOGRAD_MIN_OUT and c_in >= _WINOGRAD_MIN_IN
            and conv_winograd.tiles(n, h + 2 * padding[0] - 2, w + 2 * padding[1] - 2) >= _WINOGRAD_MIN_TILES):
        small = max(h + 2 * padding[0], w + 2 * padding[1]) - 2 <= _WINOGRAD4_MAX_SIDE
        return "winograd4" if small and max(c_in, k_out) <= _WINOGRAD4_MAX_CHANNELS else "winograd"
    if (conv_shifted.supports(w_shape, stride, padding) and _SHIFTED_MIN_CHANNELS <= min(c_in, k_out)
            and max(c_in, k_out) <= _SHIFTED_MAX_CHANNELS):
        return "shifted"
    if max(stride) > 1 and w_shape[2] * w_shape[3] > 1 and n >= _LOWERED_CL_MIN_BATCH:
        oh = conv_output_size(h, w_shape[2], padding[0], stride[0])
        if max(oh, conv_output_size(w, w_shape[3], padding[1], stride[1])) <= _LOWERED_CL_MAX_SIDE:
            return "lowered_cl"
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
    _bias_grad(np.ascontiguousarray(grad).reshape(n, k_out, -1), out)  # NumPy's sum over (0, 2, 3) is one core's
    return out
