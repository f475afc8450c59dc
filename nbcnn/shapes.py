"""Shape formulas, used by every layer and by the summary: one place where output sizes are decided.

out = ⌊(n + 2p − f)/s⌋ + 1 for convolution and pooling alike; a pool in ceil_mode rounds up instead, as PyTorch
does (pool_output_size). Every check raises ShapeError (a ValueError)
naming the layer, the input shape and the offending values before any kernel runs.
"""
import operator

from .errors import ShapeError


def pair(value, name="value"):
    """An int or a pair of ints as an (h, w) pair."""
    if isinstance(value, int):
        return (value, value)
    try:
        h, w = value
        return (int(h), int(w))
    except (TypeError, ValueError):
        raise ShapeError(f"{name} must be an int or a pair of ints, got {value!r}") from None


def conv_output_size(n, f, p, s):
    """⌊(n + 2p − f)/s⌋ + 1."""
    return (n + 2 * p - f) // s + 1


def pool_output_size(n, f, p, s, ceil_mode=False):
    """⌊(n + 2p − f)/s⌋ + 1, or in ceil_mode ⌈(n + 2p − f)/s⌉ + 1 less a last window that would start in the
    right padding or beyond: PyTorch keeps only windows that start inside the input or its left padding."""
    if not ceil_mode:
        return conv_output_size(n, f, p, s)
    out = -(-(n + 2 * p - f) // s) + 1
    return out - 1 if (out - 1) * s >= n + p else out


def same_padding(f):
    """The padding that keeps the size at stride 1: (f − 1)/2, defined for odd f."""
    if f % 2 == 0:
        raise ShapeError(f"'same' padding needs an odd kernel size, got {f}")
    return (f - 1) // 2


def resolve_padding(padding, kernel):
    """padding as an (h, w) pair; 'same' and 'valid' resolved against the kernel."""
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        return (same_padding(kernel[0]), same_padding(kernel[1]))
    return pair(padding, "padding")


def window_output_shape(input_shape, kernel, stride, padding, ceil_mode=False):
    """(N, C, OH, OW) of a window sliding over (N, C, H, W), for kernels that were checked already."""
    n, c, h, w = input_shape
    return (n, c, pool_output_size(h, kernel[0], padding[0], stride[0], ceil_mode),
            pool_output_size(w, kernel[1], padding[1], stride[1], ceil_mode))


def conv2d_output_shape(layer, input_shape, out_channels, kernel, stride, padding, in_channels=None):
    """(N, K, OH, OW) of a convolution, or ValueError naming what is impossible."""
    n, c, h, w = _four_dims(layer, input_shape)
    if in_channels is not None and c != in_channels:
        raise ShapeError(f"{layer}: expected {in_channels} input channels, got input of shape {tuple(input_shape)}")
    oh, ow = _window_output(layer, input_shape, (h, w), kernel, stride, padding)
    return (n, out_channels, oh, ow)


def pool2d_output_shape(layer, input_shape, kernel, stride, padding, ceil_mode=False):
    """(N, C, OH, OW) of a pooling window; padding may be at most half the kernel, as in PyTorch."""
    n, c, h, w = _four_dims(layer, input_shape)
    for p, f in zip(padding, kernel):
        if p > f // 2:
            raise ShapeError(f"{layer}: padding {padding} must be at most half the kernel size {kernel} "
                             f"(input shape {tuple(input_shape)})")
    oh, ow = _window_output(layer, input_shape, (h, w), kernel, stride, padding, ceil_mode)
    return (n, c, oh, ow)


def conv2d_params(in_channels, out_channels, kernel, bias=True):
    """(f·f·C + 1)·K for a square kernel; kh·kw·C·K (+ K) in general."""
    kh, kw = pair(kernel, "kernel_size")
    return (kh * kw * in_channels + (1 if bias else 0)) * out_channels


def conv2d_mult_adds(output_shape, in_channels, kernel):
    """Multiply-adds of one image: OH·OW·K·C·kh·kw."""
    _, k, oh, ow = output_shape
    kh, kw = pair(kernel, "kernel_size")
    return oh * ow * k * in_channels * kh * kw


def linear_params(in_features, out_features, bias=True):
    return (in_features + (1 if bias else 0)) * out_features


def basic_index(shape, key):
    """PyTorch's basic indexing of a tensor of `shape` by ints, slices with positive steps, `...` and None, as
    one strided slice: (starts, steps, sizes) per axis, and the result's shape (an int drops its axis, None adds
    one of size 1)."""
    key = key if isinstance(key, tuple) else (key,)
    ellipses = sum(k is Ellipsis for k in key)
    indexed = sum(k is not None and k is not Ellipsis for k in key)
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if indexed > len(shape):
        raise IndexError(f"too many indices for a tensor of dimension {len(shape)}: {len(key)} given")
    rest = (slice(None),) * (len(shape) - indexed)
    at = next((i for i, k in enumerate(key) if k is Ellipsis), len(key))
    key = key[:at] + rest + key[at + 1:]
    starts, steps, sizes, result = [], [], [], []
    for k in key:
        if k is None:
            result.append(1)
            continue
        axis, n = len(sizes), shape[len(sizes)]
        if isinstance(k, slice):
            if k.step is not None and k.step <= 0:
                raise ShapeError(f"slice step must be positive, got {k.step} (axis {axis})")
            start, stop, step = k.indices(n)
            size = len(range(start, stop, step))
            result.append(size)
        else:
            i = _integer_index(k)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
            start, step, size = i % n, 1, 1
        starts.append(start)
        steps.append(step)
        sizes.append(size)
    return tuple(starts), tuple(steps), tuple(sizes), tuple(result)


def _integer_index(k):
    try:
        if not isinstance(k, bool):
            return operator.index(k)
    except TypeError:
        pass
    raise TypeError(f"only integers, slices with positive steps, '...' and None are valid indices, got {k!r}")


def pad_pairs(shape, pad):
    """F.pad's flat `pad` (before, after, before, after, … from the last axis backwards) as one (before, after)
    pair per axis of `shape`, in axis order."""
    pad = tuple(operator.index(p) for p in pad)
    if len(pad) % 2 or len(pad) > 2 * len(shape):
        raise ShapeError(f"pad: expected an even number of values, at most two per axis of input {tuple(shape)}, "
                         f"got {pad}")
    if min(pad, default=0) < 0:
        raise ShapeError(f"pad: negative padding (cropping) is not supported, got {pad}; slice instead")
    padded = [(pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2)]
    return ((0, 0),) * (len(shape) - len(padded)) + tuple(padded)


def _four_dims(layer, input_shape):
    if len(input_shape) != 4:
        raise ShapeError(f"{layer}: expected input of shape (N, C, H, W), got {tuple(input_shape)}")
    return input_shape


def _window_output(layer, input_shape, size, kernel, stride, padding, ceil_mode=False):
    def where():  # the message is built only for an error: every forward pass checks its shapes
        return f"{layer}: input shape {tuple(input_shape)}, kernel {tuple(kernel)}, stride {tuple(stride)}, " \
               f"padding {tuple(padding)}" + (", ceil_mode" if ceil_mode else "")

    if min(kernel) < 1:
        raise ShapeError(f"{where()}: kernel size must be at least 1")
    if min(stride) < 1:
        raise ShapeError(f"{where()}: stride must be at least 1")
    if min(padding) < 0:
        raise ShapeError(f"{where()}: padding must not be negative")
    out = tuple(pool_output_size(n, f, p, s, ceil_mode) for n, f, p, s in zip(size, kernel, padding, stride))
    if min(out) < 1:
        raise ShapeError(f"{where()}: output size {out} is below 1 (input too small for this layer)")
    return out
