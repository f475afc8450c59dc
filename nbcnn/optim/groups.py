"""Parameter groups by rule: how a recipe says "batch-norm biases get 64 × the learning rate and no weight decay"
without naming every layer."""
from fnmatch import fnmatchcase

from ..nn.norm import BatchNorm1d, BatchNorm2d

NORM_SELECTORS = ("norm", "norm.weight", "norm.bias")


def param_groups(model, rules, lr, weight_decay):
    """PyTorch-style param_groups for an optimiser: the model's trainable parameters (requires_grad) split by
    `rules`, each with its own lr and weight_decay; frozen parameters are left out.

    rules: dicts {"select": S, "lr_scale": a, "weight_decay_scale": b} (scales default to 1). S is "norm" (every
    parameter of a batch-norm layer), "norm.weight" or "norm.bias", or else a shell pattern matched against the
    dotted parameter name ("whiten.*", "*.bias"). A parameter joins the first rule it matches and gets lr · a and
    weight_decay · b; the others form the first group, at lr and weight_decay. Rules that match nothing give no
    group. Schedules then scale every group from its own rate.
    """
    norm_params = _norm_parameters(model)
    chosen = [[] for _ in rules]
    rest = []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        index = next((i for i, rule in enumerate(rules) if _matches(rule["select"], name, p, norm_params)), None)
        (rest if index is None else chosen[index]).append(p)
    groups = [{"params": rest, "lr": lr, "weight_decay": weight_decay}] if rest else []
    for rule, params in zip(rules, chosen):
        unknown = set(rule) - {"select", "lr_scale", "weight_decay_scale"}
        if unknown:
            raise ValueError(f"parameter group rule {rule}: unknown key {sorted(unknown)[0]!r}")
        if params:
            groups.append({"params": params, "lr": lr * rule.get("lr_scale", 1.0),
                           "weight_decay": weight_decay * rule.get("weight_decay_scale", 1.0)})
    return groups


def _norm_parameters(model):
    """{id(parameter): "weight" or "bias"} for every batch-norm layer's parameters."""
    found = {}
    for _, module in model.named_modules():
        if isinstance(module, (BatchNorm1d, BatchNorm2d)):
            for kind in ("weight", "bias"):
                if getattr(module, kind) is not None:
                    found[id(getattr(module, kind))] = kind
    return found


def _matches(select, name, p, norm_params):
    if select == "norm":
        return id(p) in norm_params
    if select in NORM_SELECTORS:
        return norm_params.get(id(p)) == select.split(".")[1]
    return fnmatchcase(name, select)
