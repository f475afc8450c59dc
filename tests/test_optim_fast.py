"""Decoupled weight decay, parameter groups, per-group schedules and Lookahead, checked by hand and, where
PyTorch has the same thing, against it."""
import numpy as np
import pytest

import nbcnn
import nbcnn.nn as nn
from nbcnn.optim import SGD, Lookahead, lr_scheduler, param_groups


def one_param(value, grad):
    p = nn.Parameter(np.array(value, np.float64))
    p.grad = nbcnn.tensor(np.array(grad, np.float64))
    return p


def test_decoupled_weight_decay_by_hand():
    p = one_param([1.0], [0.5])
    opt = SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.2, weight_decay_mode="decoupled")
    opt.step()  # p·(1 − 0.1·0.2) − 0.1·(g + 0.9·g): the decay stays out of the buffer
    assert p.numpy()[0] == pytest.approx(0.98 - 0.1 * 0.95, abs=1e-15)
    opt.step()  # buf = 0.9·0.5 + 0.5 = 0.95, step g + 0.9·buf = 1.355
    assert p.numpy()[0] == pytest.approx(0.885 * 0.98 - 0.1 * 1.355, abs=1e-15)


def test_l2_mode_is_pytorch_sgd():
    torch = pytest.importorskip("torch")
    p, t = one_param([1.0, -2.0], [0.5, 0.3]), torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    ours = SGD([p], lr=0.1, momentum=0.85, nesterov=True, weight_decay=0.05, weight_decay_mode="l2")
    theirs = torch.optim.SGD([t], lr=0.1, momentum=0.85, nesterov=True, weight_decay=0.05)
    for _ in range(3):
        t.grad = torch.tensor([0.5, 0.3], dtype=torch.float64)
        theirs.step()
        ours.step()
    np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-14)


def test_unknown_weight_decay_mode():
    with pytest.raises(ValueError, match="weight_decay_mode"):
        SGD([one_param([1.0], [1.0])], weight_decay_mode="adamw")


def small_model():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Conv2d(4, 2, 1), nn.BatchNorm2d(2))
    model[3].weight.requires_grad = False
    return model


def test_param_groups_by_rule():
    model = small_model()
    groups = param_groups(model, [{"select": "norm", "lr_scale": 64, "weight_decay_scale": 0},
                                  {"select": "*.bias", "lr_scale": 2}], lr=0.1, weight_decay=1e-3)
    names = {id(p): n for n, p in model.named_parameters()}
    got = [(sorted(names[id(p)] for p in g["params"]), g["lr"], g["weight_decay"]) for g in groups]
    assert got == [(["0.weight", "2.weight"], 0.1, 1e-3),
                   (["1.bias", "1.weight", "3.bias"], 6.4, 0.0),  # 3.weight is frozen: in no group
                   (["0.bias", "2.bias"], 0.2, 1e-3)]
    with pytest.raises(ValueError, match="unknown key"):
        param_groups(model, [{"select": "norm", "lr": 1}], lr=0.1, weight_decay=0)


def test_norm_bias_selector_and_empty_rules():
    model = small_model()
    groups = param_groups(model, [{"select": "norm.bias", "lr_scale": 3}, {"select": "nothing*"}], 1.0, 0.0)
    assert len(groups) == 2 and [g["params"] for g in groups[1:]] == [[model[1].bias, model[3].bias]]


def test_schedules_scale_each_groups_own_rate_as_pytorch():
    torch = pytest.importorskip("torch")
    a, b = one_param([0.0], [0.0]), one_param([0.0], [0.0])
    opt = SGD([{"params": [a], "lr": 0.1}, {"params": [b], "lr": 6.4}], lr=0.1, momentum=0.9)
    ta, tb = (torch.zeros(1, requires_grad=True) for _ in range(2))
    topt = torch.optim.SGD([{"params": [ta], "lr": 0.1}, {"params": [tb], "lr": 6.4}], lr=0.1, momentum=0.9)
    ours = lr_scheduler.OneCycleLR(opt, [0.1, 6.4], total_steps=20, pct_start=0.23, anneal_strategy="linear",
                                   cycle_momentum=False, div_factor=5, final_div_factor=0.2 / 0.07)
    theirs = torch.optim.lr_scheduler.OneCycleLR(topt, [0.1, 6.4], total_steps=20, pct_start=0.23,
                                                 anneal_strategy="linear", cycle_momentum=False, div_factor=5,
                                                 final_div_factor=0.2 / 0.07)
    for _ in range(19):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
        ours.step()
        topt.step()
        theirs.step()
    np.testing.assert_allclose(ours.get_last_lr(), [0.007, 0.448], rtol=1e-12)  # 0.07 × each group's peak


def test_lookahead_by_hand():
    p = one_param([0.0], [1.0])
    opt = Lookahead(SGD([p], lr=1.0), every=2, alpha=0.5)
    seen = []
    for _ in range(6):
        opt.step()
        seen.append(p.numpy()[0])
    # steps 1–2 reach −2, recorded as the slow weight; step 4 reaches −4, slow −2 + ½(−4 + 2) = −3; step 6 −4
    assert seen == [-1, -2, -3, -3, -4, -4]


def test_lookahead_alpha_schedule_start_and_buffers():
    p, buffer = one_param([0.0], [1.0]), nbcnn.tensor(np.array([10.0]))
    calls = []

    def alpha(t):
        calls.append(t)
        return 1.0 if t < 6 else 0.0

    opt = Lookahead(SGD([p], lr=1.0), every=2, alpha=alpha, start=3, tensors=[buffer])
    for step in range(7):
        if step == 6:
            buffer.data[...] = 99.0  # alpha 0 from step 7 on: the slow copy (10) comes back
        opt.step()
    assert calls == [5, 7] and p.numpy()[0] == -5 and buffer.numpy()[0] == 10.0


def test_lookahead_state_round_trip_resumes_exactly():
    def run(steps, state=None):
        p = one_param([1.0, 2.0], [0.0, 0.0])
        opt = Lookahead(SGD([p], lr=0.1, momentum=0.9, nesterov=True), every=3, alpha=lambda t: 0.5 + 0.01 * t)
        if state is not None:
            p.data = state["p"].copy()
            opt.load_state_dict(state["opt"])
        done = int(opt.steps)
        for t in range(done, done + steps):
            p.grad = nbcnn.tensor(np.array([np.sin(t), np.cos(t)]))
            opt.step()
        return p, opt

    whole, _ = run(10)
    part, opt = run(4)
    rest, _ = run(6, {"p": part.numpy(), "opt": opt.state_dict()})
    np.testing.assert_array_equal(rest.numpy(), whole.numpy())
