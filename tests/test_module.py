import numpy as np
import pytest

import nbcnn
import nbcnn.nn as nn


def net():
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 5))


def test_names_follow_pytorch():
    names = [n for n, _ in net().named_parameters()]
    assert names == ["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias"]
    assert list(net().state_dict()) == names[:4] + ["4.weight", "4.bias"][:0] + names[4:] + [
        "1.running_mean", "1.running_var", "1.num_batches_tracked"]


def test_state_dict_round_trip_and_independence():
    a, b = net(), net()
    b.load_state_dict(a.state_dict())
    x = nbcnn.randn(2, 3, 6, 6)
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    state = a.state_dict()
    state["0.weight"][:] = 0  # a copy: editing it leaves the model alone
    assert np.abs(a.state_dict()["0.weight"]).sum() > 0


def test_load_state_dict_errors_name_the_keys():
    model = net()
    state = model.state_dict()
    state.pop("0.bias")
    state["extra"] = np.zeros(1)
    state["4.weight"] = np.zeros((5, 3))
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "missing keys: 0.bias" in message and "unexpected keys: extra" in message
    assert "4.weight: expected (5, 64), got (5, 3)" in message


def test_train_eval_propagate():
    model = net().eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_default_initialisation_bounds_as_pytorch():
    nbcnn.manual_seed(0)
    conv = nn.Conv2d(16, 8, 3)
    bound = 1 / np.sqrt(16 * 9)
    w = conv.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.1 * bound
    assert conv.weight.dtype == np.float32


def test_manual_seed_makes_models_identical():
    nbcnn.manual_seed(3)
    a = net().state_dict()
    nbcnn.manual_seed(3)
    b = net().state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_zero_grad_and_parameters_receive_gradients():
    model = net()
    loss = nn.functional.cross_entropy(model(nbcnn.randn(3, 3, 6, 6)), nbcnn.tensor([0, 1, 2]))
    loss.backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
