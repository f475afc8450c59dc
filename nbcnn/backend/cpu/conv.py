"""2-D convolution kernels: one algorithm per module, chosen here by the layer's shape.

- conv_direct: stride 1 and C·K ≤ 128 (LeNet's 1→6, 6→16). Plain loops over L1-sized planes; a lowered product
  would be a BLAS call with 6 or 16 output rows, all thread hand-off and no arithmetic.
- conv_shifted: stride 1, padding < kernel size, 8 ≤ C, K ≤ 256 (VGG and ResNet 3×3 layers up to 256
  channels). One BLAS product per kernel tap over contiguous rows of the channels-last padded input: no im2col.
  Forward measured 1.2–1.5× faster than im2col at 64 and 128 channels, even at 256, 1.5× slower at 512.
- conv_im2col: everything else (strided layers, 3-channel stems, 1×1 downsampling): im2col tiles + BLAS.
Measured on the 2-vCPU Xeon (bench/README.md). `_FORCE` names one module for every call (tests compare them).
"""
from . import conv_direct, conv_im2col, conv_shifted

ALGORITHMS = {"direct": conv_direct, "shifted": conv_shifted, "im2col": conv_im2col}
_FORCE = None  # an ALGORITHMS key, or None to choose by shape


def choose(c_in, k_out, w_shape, stride, padding):
    """The ALGORITHMS key for a convolution of c_in → k_out channels."""
    if _FORCE is not None:
        return _FORCE
    if tuple(stride) == (1, 1) and c_in * k_out <= 128:
        return "direct"
    if conv_shifted.supports(w_shape, stride, padding) and 8 <= min(c_in, k_out) and max(c_in, k_out) <= 256:
        return "shifted"
    return "im2col"


def _algorithm(w_shape, stride, padding):
    name = choose(w_shape[1], w_shape[0], w_shape, stride, padding)
    algo = ALGORITHMS[name]
    if not algo.supports(w_shape, stride, padding):
        raise ValueError(f"conv algorithm {name!r} cannot run stride {stride}, padding {padding}")
    return algo


def conv2d_forward(x, weight, bias, stride, padding):
    return _algorithm(weight.shape, stride, padding).conv2d_forward(x, weight, bias, stride, padding)


def conv2d_backward_input(grad, weight, x_shape, stride, padding):
    return _algorithm(weight.shape, stride, padding).conv2d_backward_input(grad, weight, x_shape, stride, padding)


def conv2d_backward_weight(grad, x, w_shape, stride, padding):
    return _algorithm(w_shape, stride, padding).conv2d_backward_weight(grad, x, w_shape, stride, padding)


def conv2d_backward_bias(grad):
    return grad.sum(axis=(0, 2, 3), dtype=grad.dtype)
