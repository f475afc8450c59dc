"""Module.register_forward_hook, as in PyTorch: hook(module, inputs, output) after each forward, in the order
registered; a returned value replaces the output; handle.remove() unregisters."""
import numpy as np
import pytest

import nbcnn
from nbcnn import nn
from nbcnn.summary import summarize


def _net():
    nbcnn.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def test_hook_sees_the_module_its_inputs_and_output():
    net, calls = _net(), []
    net[0].register_forward_hook(lambda m, inputs, out: calls.append((m, inputs, out.numpy().copy())))
    x = nbcnn.randn(5, 3)
    net(x)
    net(x)
    assert len(calls) == 2
    module, inputs, out = calls[0]
    assert module is net[0] and isinstance(inputs, tuple) and inputs[0] is x
    expected = x.numpy() @ net[0].weight.numpy().T + net[0].bias.numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_returned_value_replaces_the_output_and_hooks_chain_in_order():
    net = _net()
    x = nbcnn.randn(5, 3)
    plain = net(x).numpy()
    order = []
    net[1].register_forward_hook(lambda m, i, out: order.append("zero") or out * 0.0)
    net[1].register_forward_hook(lambda m, i, out: order.append("seen") or None)  # None keeps the output
    out = net(x).numpy()
    assert order == ["zero", "seen"]
    np.testing.assert_allclose(out, np.broadcast_to(net[2].bias.numpy(), plain.shape), rtol=1e-6)
    assert not np.allclose(out, plain)


def test_gradients_flow_through_a_replaced_output():
    net = _net()
    net[2].register_forward_hook(lambda m, i, out: out * 3.0)
    x = nbcnn.randn(5, 3)
    net(x).sum().backward()
    np.testing.assert_allclose(net[2].bias.grad.numpy(), np.full(2, 15.0), rtol=1e-6)  # 5 rows × 3


def test_remove_unregisters_only_its_hook_even_from_inside_a_hook():
    net, calls = _net(), []
    once = net.register_forward_hook(lambda m, i, out: (calls.append("once"), once.remove()) and None)
    always = net.register_forward_hook(lambda m, i, out: calls.append("always"))
    x = nbcnn.randn(2, 3)
    net(x)
    net(x)
    assert calls == ["once", "always", "always"]
    always.remove()
    always.remove()  # a second remove does nothing, as in PyTorch
    net(x)
    assert calls == ["once", "always", "always"]


def test_hooks_run_under_an_observer_too():
    net, shapes = _net(), []
    net[0].register_forward_hook(lambda m, i, out: shapes.append(out.shape))
    summarize(net, (7, 3))  # shape tracing runs the model's forward under nbcnn.function's observer
    assert shapes == [(7, 4)]


def test_a_hook_error_propagates():
    net = _net()
    net.register_forward_hook(lambda m, i, out: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        net(nbcnn.randn(1, 3))
