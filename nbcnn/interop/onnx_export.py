"""ONNX export: a model's eval-mode forward pass, traced op by op, as an ONNX file other runtimes can run.

The model runs once on zeros of the input shape, in eval mode, under an observer (function.observed_by) that
sees each op as the tape records it, with its inputs, options and result; nbcnn.interop.onnx_ops turns each into
ONNX nodes. The input requires a gradient so that every op is recorded, even one applied before any parameter.
Parameters and buffers become initializers under their state_dict names, so the file reads like the checkpoint;
the values between ops are named after the layer that made them ("layer1.0.conv1/Conv2d").

The `onnx` package is an optional extra (nbcnn[onnx]), imported only when a model is exported.
"""
import itertools

import numpy as np

from .. import __version__, ops
from ..function import enable_grad, observed_by
from ..tensor import Tensor
from . import onnx_ops

OPSET = 17
CONVERTERS = onnx_ops.converters(ops)


class OnnxExportError(Exception):
    """The model uses an op, or an op's option, that has no ONNX form here; the message names the op and layer.

    Not a ValueError: Module.__call__ would prefix every layer it passes through to one of those."""


def export_onnx(model, input_shape, path=None, input_name="input", output_name="output", metadata=None):
    """The ONNX ModelProto (opset 17, checked by onnx.checker) of `model`'s eval-mode forward on inputs of
    `input_shape`, e.g. (1, 3, 224, 224), written to `path` when given; `metadata` ({str: str}) goes into the
    file's metadata_props. The model's train/eval modes are restored afterwards."""
    if input_name == output_name:
        raise ValueError(f"export_onnx: the input and the output need different names, got {input_name!r} twice")
    onnx = _require_onnx()
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        graph = _trace(onnx, model, tuple(int(n) for n in input_shape), input_name, output_name)
    finally:
        for m, training in modes:
            object.__setattr__(m, "training", training)
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", OPSET)],
                                   producer_name="nbcnn", producer_version=__version__)
    onnx.helper.set_model_props(proto, metadata or {})
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        onnx.save(proto, str(path))
    return proto


def _require_onnx():
    try:
        import onnx
    except ImportError:
        raise OnnxExportError("ONNX export needs the onnx package: pip install 'nbcnn[onnx]'") from None
    return onnx


def _trace(onnx, model, input_shape, input_name, output_name):
    params = list(model.parameters())
    dtype, device = (params[0].dtype, params[0].device) if params else (np.dtype(np.float32), "cpu")
    g = _Graph(onnx, model)
    x = Tensor(np.zeros(input_shape, dtype), requires_grad=True, device=device)
    g.bind(x, g.fresh(input_name))
    with enable_grad(), observed_by(_Tracer(g, model)):
        y = model(x)
    if not isinstance(y, Tensor):
        raise OnnxExportError(f"ONNX export: the model returned {type(y).__name__}; only a single output tensor "
                              f"exports")
    g.name_output(y, output_name)
    info = onnx.helper.make_tensor_value_info
    return onnx.helper.make_graph(g.nodes, type(model).__name__, [info(input_name, g.tensor_type(dtype), x.shape)],
                                  [info(output_name, g.tensor_type(y.dtype), y.shape)], g.initializers)


class _Tracer:
    """The observer: keeps the stack of layers being called (for names) and converts each recorded op."""

    def __init__(self, graph, model):
        self.graph = graph
        self.layer_names = {id(m): name or type(m).__name__ for name, m in model.named_modules()}
        self.layers = []

    def call(self, module, args):
        self.layers.append(self.layer_names.get(id(module), type(module).__name__))
        try:
            return module.forward(*args)
        finally:
            self.layers.pop()

    def recorded(self, node, inputs, options, result):
        op, layer = type(node).__name__, self.layers[-1] if self.layers else "model"
        convert = CONVERTERS.get(type(node))
        if convert is None:
            raise OnnxExportError(f"ONNX export: op {op} (in layer {layer!r}) has no ONNX mapping; mapped ops: "
                                  f"{', '.join(sorted(c.__name__ for c in CONVERTERS))}")
        g = self.graph
        g.layer, out = layer, g.fresh(f"{layer}/{op}")
        try:
            convert(g, [g.value(x) for x in inputs], inputs, options, out)
        except onnx_ops.Unsupported as error:
            raise OnnxExportError(f"ONNX export: op {op} (in layer {layer!r}): {error}") from None
        g.bind(result, out)


class _Graph:
    """The nodes and initializers made so far, and the ONNX name of every value the trace has seen."""

    def __init__(self, onnx, model):
        self.onnx = onnx
        self.nodes, self.initializers = [], []
        self.layer = "model"
        self.names = {}  # id(tensor or array) -> ONNX name
        self.pinned = []  # every named object stays alive until the trace ends, so that no id is reused
        self.state = {}  # id(parameter or buffer, or a buffer's array as batch norm is given it) -> name, tensor
        for name, t in itertools.chain(model.named_parameters(), model.named_buffers()):
            self.state[id(t)] = self.state[id(t.data)] = (name, t)
        self.taken = {name for name, _ in self.state.values()}

    def fresh(self, hint):
        name = hint
        for k in itertools.count(2):
            if name not in self.taken:
                break
            name = f"{hint}_{k}"
        self.taken.add(name)
        return name

    def bind(self, obj, name):
        self.names[id(obj)] = name
        self.pinned.append(obj)

    def value(self, obj):
        """The ONNX name of an op's input: a traced value, a parameter or buffer (made an initializer at its first
        use), "" for an absent one, or a scalar constant (a Python number the op was given)."""
        if obj is None:
            return ""
        if id(obj) in self.names:
            return self.names[id(obj)]
        if id(obj) in self.state:
            name, t = self.state[id(obj)]
            self.initializers.append(self.onnx.numpy_helper.from_array(t.numpy(), name))
            self.bind(t, name)
            self.bind(t.data, name)
            return name
        array = obj.numpy() if isinstance(obj, Tensor) else np.asarray(obj)
        if array.size != 1:
            raise onnx_ops.Unsupported(
                f"an input of shape {array.shape} is neither the model's input, a parameter or buffer, nor the "
                f"result of an earlier op (computed outside nbcnn's ops, or detached?)")
        self.bind(obj, self.constant(array, "constant"))
        return self.names[id(obj)]

    def constant(self, array, hint):
        name = self.fresh(f"{self.layer}/{hint}")
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op_type, inputs, out=None, **attributes):
        """Appends one node; returns its output's name (a fresh one unless `out` is given)."""
        inputs = list(inputs)
        while inputs and inputs[-1] == "":  # trailing optional inputs are left out, not named empty
            inputs.pop()
        out = out or self.fresh(f"{self.layer}/{op_type}")
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, [out], name=out, **attributes))
        return out

    def tensor_type(self, dtype):
        return self.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))

    def name_output(self, y, output_name):
        """Gives the model's result the graph output's name: renames the node that made it, or copies the value
        where no node did (a model returning its input)."""
        name = self.value(y)
        producers = [n for n in self.nodes if n.output[0] == name]
        if producers:
            producers[0].output[0] = output_name
            for n in self.nodes:
                n.input[:] = [output_name if i == name else i for i in n.input]
        else:
            self.node("Identity", [name], output_name)
