"""A small network end to end on both devices: the CUDA path must give the CPU path's loss, gradients and update."""
import numba
import numpy as np
import pytest

import nbcnn
from nbcnn import nn
from nbcnn.nn import functional as F

from cudacheck import assert_close

# dropout's device hash runs on NumPy uint64 scalars in the simulator, which warn where a GPU silently wraps
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered in scalar:RuntimeWarning")

rng = np.random.default_rng(11)
X = rng.standard_normal((4, 2, 5, 5))
LABELS = np.array([0, 2, 1, 2])
PARAMS = {"conv_w": rng.standard_normal((3, 2, 3, 3)) * 0.4, "conv_b": rng.standard_normal(3) * 0.1,
          "gamma": rng.uniform(0.5, 1.5, 3), "beta": rng.standard_normal(3) * 0.1,
          "shift": rng.standard_normal((1, 3, 1, 1)) * 0.1, "fc_w": rng.standard_normal((3, 24)) * 0.3,
          "fc_b": rng.standard_normal(3) * 0.1}


def _network(x, p, running_mean, running_var, target):
    h = F.conv2d(x, p["conv_w"], p["conv_b"], stride=1, padding=1)
    h = F.batch_norm(h, running_mean, running_var, p["gamma"], p["beta"], training=True)
    h = F.relu(h + p["shift"])  # a broadcast add, summed back to (1, 3, 1, 1) in backward
    h = F.max_pool2d(h, 2)  # (4, 3, 2, 2)
    h = nbcnn.cat([h, F.avg_pool2d(h, 1) * 0.5], dim=1).flatten(1)  # (4, 24): concatenation and its split
    h = F.dropout(h, 0.25)
    return F.cross_entropy(F.linear(h, p["fc_w"], p["fc_b"]), target)


def _run(device):
    nbcnn.manual_seed(3)  # the dropout seed
    params = {k: nbcnn.tensor(v, dtype=np.float64, requires_grad=True, device=device) for k, v in PARAMS.items()}
    x = nbcnn.tensor(X, dtype=np.float64, requires_grad=True, device=device)
    running_mean = nbcnn.zeros(3, dtype=np.float64, device=device)
    running_var = nbcnn.ones(3, dtype=np.float64, device=device)
    loss = _network(x, params, running_mean, running_var, nbcnn.tensor(LABELS, device=device))
    loss.backward()
    results = {f"grad of {k}": p.grad.numpy() for k, p in params.items()}
    results.update({"loss": loss.numpy(), "grad of x": x.grad.numpy(), "running_mean": running_mean.numpy(),
                    "running_var": running_var.numpy()})
    return results


def test_network_gradients_match_the_cpu():
    got, want = _run("cuda"), _run("cpu")
    for name in want:
        assert_close(got[name], want[name], rtol=1e-9, atol=1e-12, what=name)


def _model(track_running_stats):
    nbcnn.manual_seed(0)
    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3, track_running_stats=track_running_stats),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.2), nn.Linear(12, 3))


def _train_step(device, optimizer_class, track_running_stats):
    model = _model(track_running_stats).to(device)
    optimizer = optimizer_class(model.parameters())
    x, target = nbcnn.tensor(X, device="cpu").to(device), nbcnn.tensor(LABELS).to(device)
    for _ in range(2):  # the second step uses the optimiser state of the first
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), target)
        loss.backward()
        optimizer.step()
    return loss.item(), model.state_dict()


OPTIMIZERS = [lambda p: nbcnn.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3),
              lambda p: nbcnn.optim.Adam(p, lr=1e-2), lambda p: nbcnn.optim.RMSprop(p, lr=1e-2, momentum=0.5)]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize("track_running_stats", [False, True])
def test_training_step_matches_the_cpu(optimizer, track_running_stats):
    loss, state = _train_step("cuda", optimizer, track_running_stats)
    want_loss, want_state = _train_step("cpu", optimizer, track_running_stats)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-5)
    assert state.keys() == want_state.keys()
    for name in state:
        assert_close(state[name], want_state[name], rtol=1e-4, atol=1e-6, what=name)


@pytest.mark.skipif(not numba.config.ENABLE_CUDASIM, reason="counts the simulator's device-to-host copies")
def test_a_training_step_reads_back_only_the_label_check():
    import simulator_guard

    model = _model(False).to("cuda")
    optimizer = nbcnn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, target = nbcnn.tensor(X).to("cuda"), nbcnn.tensor(LABELS).to("cuda")
    before = simulator_guard.host_reads
    loss = F.cross_entropy(model(x), target)
    loss.backward()
    optimizer.step()
    assert simulator_guard.host_reads - before == 1  # cross-entropy's out-of-range-label flag
    loss.item()
    assert simulator_guard.host_reads - before == 2
