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


def test_schedules():
    p = one_param([0.0], [0.0])
    opt = SGD([p], lr=1.0)
    step = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        step.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == [1.0, 0.5, 0.5, 0.25, 0.25]
    opt = SGD([p], lr=1.0)
    cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    for _ in range(2):
        cosine.step()
    assert abs(opt.param_groups[0]["lr"] - 0.5) < 1e-12
    for _ in range(2):
        cosine.step()
    assert abs(opt.param_groups[0]["lr"]) < 1e-12


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
