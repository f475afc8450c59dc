import math

import numpy as np
import pytest

import nbcnn
import nbcnn.nn as nn
from nbcnn.optim import SGD, Adam, RMSprop, lr_scheduler


def one_param(value, grad):
    p = nn.Parameter(np.array(value, np.float64))
    p.grad = nbcnn.tensor(np.array(grad, np.float64))
    return p


def test_adam_first_step_by_hand():
    p = one_param([1.0, -2.0], [0.5, -0.1])
    Adam([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8).step()
    # m̂ = g and v̂ = g² after one step, so the update is lr · g / (|g| + eps)
    np.testing.assert_allclose(p.numpy(), [1.0 - 0.1 * 0.5 / (0.5 + 1e-8), -2.0 + 0.1 * 0.1 / (0.1 + 1e-8)])


def test_adam_second_step_by_hand_with_weight_decay():
    p = one_param([1.0], [0.5])
    opt = Adam([p], lr=0.1, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1)
    opt.step()
    w1 = p.numpy()[0]
    g1, g2 = 0.5 + 0.1 * 1.0, 0.5 + 0.1 * w1
    m = 0.9 * (0.1 * g1) + 0.1 * g2
    v = 0.99 * (0.01 * g1 * g1) + 0.01 * g2 * g2
    opt.step()
    expected = w1 - 0.1 * (m / (1 - 0.9 ** 2)) / (math.sqrt(v / (1 - 0.99 ** 2)) + 1e-8)
    np.testing.assert_allclose(p.numpy(), [expected], rtol=1e-12)


def test_rmsprop_first_step_by_hand():
    p = one_param([1.0], [0.2])
    RMSprop([p], lr=0.01, alpha=0.9, eps=1e-8).step()
    np.testing.assert_allclose(p.numpy(), [1.0 - 0.01 * 0.2 / (math.sqrt(0.1 * 0.04) + 1e-8)], rtol=1e-12)


def test_rmsprop_momentum_accumulates():
    p = one_param([0.0], [1.0])
    opt = RMSprop([p], lr=1.0, alpha=0.5, eps=0.0, momentum=0.5)
    opt.step()
    opt.step()
    s1, s2 = 0.5, 0.75
    np.testing.assert_allclose(p.numpy(), [-(1 / math.sqrt(s1)) - (0.5 / math.sqrt(s1) + 1 / math.sqrt(s2))])


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_by_hand(nesterov):
    p = one_param([1.0], [1.0])
    opt = SGD([p], lr=0.1, momentum=0.9, nesterov=nesterov, weight_decay=0.0)
    opt.step()  # buf = g
    opt.step()  # buf = 0.9 g + g
    step1 = 1.0 + 0.9 if nesterov else 1.0
    step2 = 1.0 + 0.9 * 1.9 if nesterov else 1.9  # nesterov: g + μ·buf
    np.testing.assert_allclose(p.numpy(), [1.0 - 0.1 * step1 - 0.1 * step2])


def lrs_of(make, steps, lr=1.0):
    """The learning rate each of `steps` optimiser steps uses under the schedule make(optimizer) builds."""
    opt = SGD([one_param([0.0], [0.0])], lr=lr, momentum=0.9)
    schedule = make(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        schedule.step()
    return lrs


def test_schedules_by_hand():
    assert lrs_of(lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5), 5) == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert lrs_of(lambda o: lr_scheduler.MultiStepLR(o, [4, 2], gamma=0.5), 6) == [1, 1, 0.5, 0.5, 0.25, 0.25]
    assert lrs_of(lambda o: lr_scheduler.ConstantLR(o, factor=0.1, total_iters=2), 3) == [0.1, 0.1, 1.0]
    np.testing.assert_allclose(lrs_of(lambda o: lr_scheduler.LinearLR(o, 0.25, 1.0, total_iters=4), 6),
                               [0.25, 0.4375, 0.625, 0.8125, 1, 1])
    np.testing.assert_allclose(lrs_of(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=4), 5),
                               [1, 0.8535533905932737, 0.5, 0.14644660940672624, 0], atol=1e-15)


def test_one_cycle_by_hand():
    # max 1, 10 steps, 30 % up: from 1/25 = 0.04 at step 0 to 1 at step 2, then down to 0.04 / 1e4 at step 9
    lrs = lrs_of(lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="linear",
                                                   cycle_momentum=False), 10)
    np.testing.assert_allclose([lrs[0], lrs[1], lrs[2], lrs[5], lrs[9]],
                               [0.04, 0.52, 1.0, 0.5714302857142857, 4e-6], rtol=1e-9)
    cosine = lrs_of(lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, cycle_momentum=False), 10)
    np.testing.assert_allclose(cosine[1], 0.52, rtol=1e-12)  # halfway up, where cosine and line agree


def test_one_cycle_cycles_momentum_against_the_rate():
    opt = SGD([one_param([0.0], [0.0])], lr=1.0, momentum=0.9)
    schedule = lr_scheduler.OneCycleLR(opt, 1.0, total_steps=10, anneal_strategy="linear")
    momenta = []
    for _ in range(10):
        momenta.append(opt.param_groups[0]["momentum"])
        schedule.step()
    np.testing.assert_allclose([momenta[0], momenta[2], momenta[9]], [0.95, 0.85, 0.95])


def test_one_cycle_refuses_steps_past_its_end():
    opt = SGD([one_param([0.0], [0.0])], lr=1.0)
    schedule = lr_scheduler.OneCycleLR(opt, 1.0, total_steps=3)
    for _ in range(3):
        schedule.step()
    with pytest.raises(ValueError, match="past total_steps"):
        schedule.step()


def test_paper_warm_up_chained_to_milestones_in_iterations():
    """ResNet-110: 0.01 for 400 iterations, then 0.1, ÷10 at 32k and 48k."""
    opt = SGD([one_param([0.0], [0.0])], lr=0.1, momentum=0.9)
    warm = lr_scheduler.ConstantLR(opt, factor=0.1, total_iters=400)
    chain = lr_scheduler.ChainedScheduler([warm, lr_scheduler.MultiStepLR(opt, [32000, 48000])])
    seen = {}
    for t in range(48001):
        if t in (0, 399, 400, 31999, 32000, 48000):
            seen[t] = opt.param_groups[0]["lr"]
        chain.step()
    np.testing.assert_allclose(list(seen.values()), [0.01, 0.01, 0.1, 0.1, 0.01, 0.001], rtol=1e-12)


def test_schedule_resumes_where_it_stopped():
    def make(o):
        return lr_scheduler.ChainedScheduler([lr_scheduler.LinearLR(o, 0.1, total_iters=3),
                                              lr_scheduler.OneCycleLR(o, 1.0, total_steps=12)])
    whole = lrs_of(make, 12)
    opt = SGD([one_param([0.0], [0.0])], lr=1.0, momentum=0.9)
    first = make(opt)
    for _ in range(5):
        first.step()
    opt2 = SGD([one_param([0.0], [0.0])], lr=1.0, momentum=0.9)
    resumed = make(opt2)
    resumed.load_state_dict(first.state_dict())
    rest = []
    for _ in range(7):
        rest.append(opt2.param_groups[0]["lr"])
        resumed.step()
    assert rest == whole[5:]


TORCH_SCHEDULES = {
    "step": lambda s, o: s.StepLR(o, step_size=3, gamma=0.5),
    "multistep": lambda s, o: s.MultiStepLR(o, [5, 9, 9], gamma=0.3),
    "constant": lambda s, o: s.ConstantLR(o, factor=0.1, total_iters=4),
    "linear": lambda s, o: s.LinearLR(o, start_factor=0.2, end_factor=0.0, total_iters=12),
    "cosine": lambda s, o: s.CosineAnnealingLR(o, T_max=10, eta_min=0.01),
    "onecycle-cos": lambda s, o: s.OneCycleLR(o, 0.5, total_steps=20),
    "onecycle-linear": lambda s, o: s.OneCycleLR(o, 0.5, epochs=4, steps_per_epoch=5, pct_start=0.25,
                                                 anneal_strategy="linear", div_factor=10, final_div_factor=100),
    "onecycle-three-phase": lambda s, o: s.OneCycleLR(o, 0.5, total_steps=20, three_phase=True),
    "sequential": lambda s, o: s.SequentialLR(o, [s.LinearLR(o, 0.1, total_iters=4),
                                                  s.MultiStepLR(o, [6], gamma=0.5)], milestones=[4]),
    "chained-warm-up": lambda s, o: s.ChainedScheduler([s.LinearLR(o, 0.1, total_iters=5),
                                                        s.CosineAnnealingLR(o, T_max=20)]),
    "chained-constant": lambda s, o: s.ChainedScheduler([s.ConstantLR(o, 0.1, total_iters=3),
                                                         s.MultiStepLR(o, [8, 12])]),
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's SequentialLR warns about its own step(0)
@pytest.mark.parametrize("name", TORCH_SCHEDULES)
def test_schedules_match_pytorch(name):
    torch = pytest.importorskip("torch")
    make = TORCH_SCHEDULES[name]
    theirs_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2, momentum=0.9)
    theirs = make(torch.optim.lr_scheduler, theirs_opt)
    want, want_momenta = [], []
    for _ in range(20):
        want.append(theirs_opt.param_groups[0]["lr"])
        want_momenta.append(theirs_opt.param_groups[0]["momentum"])
        theirs_opt.step()
        theirs.step()
    ours_opt = SGD([one_param([0.0], [0.0])], lr=0.2, momentum=0.9)
    ours = make(lr_scheduler, ours_opt)
    got, got_momenta = [], []
    for _ in range(20):
        got.append(ours_opt.param_groups[0]["lr"])
        got_momenta.append(ours_opt.param_groups[0]["momentum"])
        ours.step()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(got_momenta, want_momenta, rtol=1e-12)


def test_optimizer_state_round_trips():
    p = one_param([1.0, 2.0], [0.3, -0.3])
    opt = Adam([p], lr=0.1)
    opt.step()
    saved = opt.state_dict()
    q = one_param([1.0, 2.0], [0.3, -0.3])
    opt2 = Adam([q], lr=0.5)
    opt2.load_state_dict(saved)
    q.data = p.data.copy()
    opt.step()
    opt2.step()
    np.testing.assert_array_equal(p.numpy(), q.numpy())


def tiny_cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 4 * 4, 2))


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps, lr=0.01), lambda ps: RMSprop(ps, lr=0.003),
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4),
])
def test_tiny_cnn_learns_a_synthetic_problem(make):
    """Class 1 images have a bright top half: learnable, so the loss must fall by a large factor."""
    nbcnn.manual_seed(0)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 64)
    images = rng.standard_normal((64, 1, 8, 8)).astype(np.float32) * 0.5
    images[labels == 1, :, :4] += 1.5
    model = tiny_cnn()
    opt = make(model.parameters())
    x, y = nbcnn.tensor(images), nbcnn.tensor(labels)
    losses = []
    for _ in range(40):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 10, losses
