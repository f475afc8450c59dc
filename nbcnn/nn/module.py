"""Module and Parameter: the containers that hold weights, buffers and sub-layers, as in PyTorch."""
import itertools
from collections import OrderedDict

import numpy as np

from .. import backend as backends
from .. import function
from ..tensor import Tensor


class Parameter(Tensor):
    """A tensor that a Module registers as trainable."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            super().__init__(data.numpy(), requires_grad=requires_grad, device=data.device)
        else:
            super().__init__(data, requires_grad=requires_grad)


def _naming_the_layer(error, module):
    """`error` again, of its own class where that takes a message (ShapeError, DataError), with the innermost
    layer it passed through named first."""
    message = f"{module!r}: {error}"
    try:
        located = type(error)(message)
    except TypeError:
        located = ValueError(message)
    located.located = True
    return located


class _HookHandle:
    _ids = itertools.count()

    def __init__(self, hooks, hook):
        self.hooks, self.id = hooks, next(self._ids)
        hooks[self.id] = hook

    def remove(self):
        self.hooks.pop(self.id, None)


class Module:
    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() first")
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        elif name in self.__dict__.get("_buffer_names", ()):
            self._buffers[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name, tensor):
        """A tensor saved in state_dict but not trained (BatchNorm's running statistics)."""
        self.__dict__.setdefault("_buffer_names", set()).add(name)
        setattr(self, name, tensor)

    def forward(self, *args):
        raise NotImplementedError

    def __call__(self, *args):
        try:
            if function._observer is not None:
                out = function._observer.call(self, args)
            else:
                out = self.forward(*args)
        except ValueError as error:
            if getattr(error, "located", False):
                raise
            located = _naming_the_layer(error, self)
            raise located from error  # chained: a bug in a kernel keeps its traceback
        for hook in list(self._forward_hooks.values()):  # a copy: a hook may remove itself
            replaced = hook(self, args, out)
            if replaced is not None:
                out = replaced
        return out

    def register_forward_hook(self, hook):
        """Call `hook(module, inputs, output)` after every forward of this module, in the order registered; a
        hook that returns something other than None replaces the output. Returns a handle whose `remove()`
        unregisters it."""
        return _HookHandle(self._forward_hooks, hook)

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix=""):
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        return (m for _, m in self.named_modules())

    def children(self):
        return iter(m for m in self._modules.values() if m is not None)

    def named_children(self):
        return iter(self._modules.items())

    def named_parameters(self):
        seen = set()
        for prefix, module in self.named_modules():
            for name, p in module._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{prefix}.{name}" if prefix else name), p

    def parameters(self):
        return (p for _, p in self.named_parameters())

    def named_buffers(self):
        for prefix, module in self.named_modules():
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{prefix}.{name}" if prefix else name), b

    # ------------------------------------------------------------------ modes and devices
    def train(self, mode=True):
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def to(self, device):
        """Moves every parameter and buffer in place, so optimisers keep pointing at them."""
        device = backends.normalize_device(device)
        for t in list(self.parameters()) + [b for _, b in self.named_buffers()]:
            if t.device != device:
                t.data = backends.get(device).asarray(backends.get(t.device).to_numpy(t.data))
                t.device, t.grad = device, None
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    # ------------------------------------------------------------------ state
    def state_dict(self):
        """Parameters and buffers by dotted name, as NumPy copies (PyTorch's key names and layouts)."""
        state = OrderedDict()
        for name, t in list(self.named_parameters()) + list(self.named_buffers()):
            state[name] = t.numpy().copy()
        return state

    def load_state_dict(self, state_dict, strict=True):
        own = OrderedDict(list(self.named_parameters()) + list(self.named_buffers()))
        given = {k: np.asarray(v.numpy() if isinstance(v, Tensor) else v) for k, v in state_dict.items()}
        missing = [k for k in own if k not in given]
        unexpected = [k for k in given if k not in own]
        shaped = [f"{k}: expected {own[k].shape}, got {given[k].shape}"
                  for k in own if k in given and tuple(given[k].shape) != own[k].shape]
        problems = []
        if missing and strict:
            problems.append("missing keys: " + ", ".join(missing))
        if unexpected and strict:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if shaped:
            problems.append("mis-shaped: " + "; ".join(shaped))
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + " | ".join(problems))
        be_cache = {}
        for name, t in own.items():
            if name in given:
                be = be_cache.setdefault(t.device, backends.get(t.device))
                t.data = be.asarray(given[name].astype(t.dtype, copy=True))
        return self

    # ------------------------------------------------------------------ printing
    def extra_repr(self):
        return ""

    def __repr__(self):
        if not self._modules:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({n}): " + repr(m).replace("\n", "\n  ") for n, m in self._modules.items()]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"
