"""The Optimizer base: parameter groups, per-parameter state, and its save/load as flat arrays."""
import numpy as np

from .. import backend as backends


class Optimizer:
    def __init__(self, params, defaults):
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.defaults = defaults
        self.param_groups = []
        for group in groups:
            merged = dict(defaults)
            merged.update(group)
            merged["params"] = list(group["params"])
            self.param_groups.append(merged)
        for key, value in defaults.items():
            if key in ("lr", "eps", "weight_decay", "momentum") and value < 0:
                raise ValueError(f"{type(self).__name__}: {key} must not be negative, got {value}")
        self.state = {}  # id(param) -> {name: backend array or int}

    def zero_grad(self):
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    be = backends.get(p.device)
                    self.update(p.data, p.grad.data, self._state_of(p, be), group, be)
                    p._modified_in_place()  # a graph recorded before this step can no longer run backward

    def update(self, param, grad, state, group, backend):
        raise NotImplementedError

    def init_state(self, param, backend):
        """The arrays this optimiser keeps per parameter, by name."""
        return {}

    def _state_of(self, p, be):
        if id(p) not in self.state:
            self.state[id(p)] = self.init_state(p.data, be)
        return self.state[id(p)]

    def _params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self):
        """Flat {key: ndarray} (no pickle needed): hyper-parameters per group, state per parameter index."""
        out = {}
        for g, group in enumerate(self.param_groups):
            for key, value in group.items():
                if key != "params":
                    out[f"group.{g}.{key}"] = np.asarray(value)
        for i, p in enumerate(self._params()):
            be = backends.get(p.device)
            for key, value in self.state.get(id(p), {}).items():
                scalar = isinstance(value, (int, float))
                out[f"state.{i}.{key}"] = np.asarray(value) if scalar else np.array(be.to_numpy(value))
        return out

    def load_state_dict(self, state):
        params = self._params()
        for key, value in state.items():
            kind, index, name = key.split(".", 2)
            if kind == "group":
                self.param_groups[int(index)][name] = np.asarray(value).item()
                continue
            p = params[int(index)]
            be = backends.get(p.device)
            slot = self.state.setdefault(id(p), {})
            value = np.asarray(value)
            slot[name] = be.asarray(value.copy()) if value.ndim else value.item()
