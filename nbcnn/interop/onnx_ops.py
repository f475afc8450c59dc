"""Each nbcnn op as ONNX nodes (opset 17), for nbcnn.interop.onnx_export.

A converter gets the graph being built (`g`), the ONNX names of the op's positional inputs ("" for an absent
one, such as a convolution without bias), the inputs themselves (for their shapes), the op's options, and the name
its result must have. Each computes what nbcnn's eval-mode forward computes:

- pooling: ceil_mode as given; average pooling counts padding (count_include_pad=1), as nbcnn and PyTorch do;
- batch norm: running statistics (BatchNormalization's inference form), so the model must be in eval mode;
- GELU: the exact erf form, x·½(1 + erf(x/√2)), since the Gelu op needs opset 20 and runtimes lag behind it;
- LRN: ONNX's window over channels is PyTorch's only for odd sizes, so an even size is refused.

Dropout has no converter: in eval mode F.dropout returns its input without running an op.
"""
import math

import numpy as np


class Unsupported(Exception):
    """An op, or an op's options, with no ONNX equivalent here; the exporter adds the op and layer names."""


def conv2d(g, names, inputs, options, out):
    (ph, pw), stride = options["padding"], options["stride"]
    g.node("Conv", names, out, strides=list(stride), pads=[ph, pw, ph, pw])


def linear(g, names, inputs, options, out):
    g.node("Gemm", names, out, transB=1)  # x (N, in) times W (out, in) transposed, plus b


def _window(options):
    (ph, pw), kernel, stride = options["padding"], options["kernel"], options["stride"]
    return dict(kernel_shape=list(kernel), strides=list(stride), pads=[ph, pw, ph, pw],
                ceil_mode=int(options["ceil_mode"]))


def max_pool2d(g, names, inputs, options, out):
    g.node("MaxPool", names, out, **_window(options))


def avg_pool2d(g, names, inputs, options, out):
    g.node("AveragePool", names, out, count_include_pad=1, **_window(options))


def global_avg_pool2d(g, names, inputs, options, out):
    g.node("GlobalAveragePool", names, out)


def batch_norm(g, names, inputs, options, out):
    if options["training"]:
        raise Unsupported("batch norm in training mode normalises with the batch's statistics; export a model in "
                          "eval mode (model.eval())")
    x, weight, bias = inputs
    channels = x.shape[1]
    dtype = x.dtype
    scale = names[1] or g.constant(np.ones(channels, dtype), "bn_weight")  # affine=False: γ = 1, β = 0
    shift = names[2] or g.constant(np.zeros(channels, dtype), "bn_bias")
    g.node("BatchNormalization", [names[0], scale, shift, g.value(options["running_mean"]),
                                  g.value(options["running_var"])], out, epsilon=float(options["eps"]))


def local_response_norm(g, names, inputs, options, out):
    size = options["size"]
    if size % 2 == 0:
        raise Unsupported(f"size {size}: ONNX's LRN centres an even window one channel later than nbcnn and "
                          f"PyTorch do; only odd sizes export")
    g.node("LRN", names, out, size=size, alpha=float(options["alpha"]), beta=float(options["beta"]),
           bias=float(options["k"]))


def gelu(g, names, inputs, options, out):
    dtype = inputs[0].dtype
    erf = g.node("Erf", [g.node("Div", [names[0], g.constant(np.asarray(math.sqrt(2), dtype), "sqrt2")])])
    half = g.node("Mul", [names[0], g.constant(np.asarray(0.5, dtype), "half")])
    g.node("Mul", [half, g.node("Add", [erf, g.constant(np.asarray(1, dtype), "one")])], out)


def _same(op_type):
    def convert(g, names, inputs, options, out):
        g.node(op_type, names, out)
    convert.__name__ = op_type.lower()
    return convert


def reshape(g, names, inputs, options, out):
    g.node("Reshape", [names[0], g.constant(np.asarray(options["shape"], np.int64), "shape")], out)


def reduce_sum(g, names, inputs, options, out):
    g.node("ReduceSum", [names[0], g.constant(np.asarray(options["axis"], np.int64), "axes")], out,
           keepdims=int(options["keepdims"]))


def concat(g, names, inputs, options, out):
    g.node("Concat", names, out, axis=options["axis"])


def strided_slice(g, names, inputs, options, out):
    """Only the axes the slice changes: a start, a step and the output's length on each give the end."""
    axes = [a for a, (n, start, step, size) in enumerate(zip(inputs[0].shape, options["starts"], options["steps"],
                                                               options["shape"])) if (start, step, size) != (0, 1, n)]
    starts = [options["starts"][a] for a in axes]
    steps = [options["steps"][a] for a in axes]
    ends = [start + (options["shape"][a] - 1) * step + 1 for a, start, step in zip(axes, starts, steps)]
    g.node("Slice", [names[0]] + [g.constant(np.asarray(v, np.int64), hint)
                                  for v, hint in ((starts, "starts"), (ends, "ends"), (axes, "axes"),
                                                  (steps, "steps"))], out)


def pad(g, names, inputs, options, out):
    pairs = options["pads"]
    pads = [p for p, _ in pairs] + [q for _, q in pairs]  # ONNX: every axis's start, then every axis's end
    value = g.constant(np.asarray(options["value"], inputs[0].dtype), "pad_value")
    g.node("Pad", [names[0], g.constant(np.asarray(pads, np.int64), "pads"), value], out, mode="constant")


def transpose2d(g, names, inputs, options, out):
    g.node("Transpose", names, out, perm=[1, 0])


def cast(g, names, inputs, options, out):
    g.node("Cast", names, out, to=g.tensor_type(options["dtype"]))


def converters(ops):
    """{Function class: converter} over the op classes of nbcnn.ops."""
    return {
        ops.Conv2d: conv2d, ops.Linear: linear,
        ops.MaxPool2d: max_pool2d, ops.AvgPool2d: avg_pool2d, ops.GlobalAvgPool2d: global_avg_pool2d,
        ops.BatchNorm: batch_norm, ops.LocalResponseNorm: local_response_norm,
        ops.ReLU: _same("Relu"), ops.Sigmoid: _same("Sigmoid"), ops.Tanh: _same("Tanh"), ops.GELU: gelu,
        ops.Add: _same("Add"), ops.Sub: _same("Sub"), ops.Mul: _same("Mul"), ops.Div: _same("Div"),
        ops.Neg: _same("Neg"), ops.Exp: _same("Exp"), ops.Log: _same("Log"), ops.MatMul: _same("MatMul"),
        ops.Transpose2d: transpose2d, ops.Cast: cast,
        ops.Reshape: reshape, ops.Sum: reduce_sum, ops.Concat: concat, ops.StridedSlice: strided_slice,
        ops.Pad: pad,
    }
