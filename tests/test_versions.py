"""Backward through arrays changed in place since the forward pass raises, as in PyTorch. nbcnn once ran it and
returned gradients of weights the forward pass never saw."""
import numpy as np
import pytest

import nbcnn
import nbcnn.nn as nn

STALE = "modified by an in-place operation"


def _layer_and_loss():
    nbcnn.manual_seed(0)
    layer = nn.Linear(4, 3)
    x = nbcnn.tensor(np.random.default_rng(0).standard_normal((5, 4)))
    return layer, layer(x).relu().sum()


def test_an_optimiser_step_between_forward_and_backward_raises():
    layer, loss = _layer_and_loss()
    for p in layer.parameters():
        p.grad = nbcnn.tensor(np.ones(p.shape, np.float32))
    nbcnn.optim.SGD(layer.parameters(), lr=0.1).step()
    with pytest.raises(RuntimeError, match=rf"{STALE}: Linear saved a tensor of shape \(3, 4\) at version 1, "
                                           r"and it is now at version 2"):
        loss.backward()


def test_load_state_dict_between_forward_and_backward_raises():
    layer, loss = _layer_and_loss()
    layer.load_state_dict(layer.state_dict())
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


def test_a_data_assignment_between_forward_and_backward_raises():
    layer, loss = _layer_and_loss()
    layer.weight.data = layer.weight.data * 2
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


def test_a_change_to_what_no_node_saved_is_allowed():
    """Addition saves only shapes: PyTorch lets this backward run, and so does nbcnn."""
    w = nbcnn.tensor(np.ones(3), requires_grad=True)
    loss = (w + 1.0).sum()
    w.data = w.data * 3
    loss.backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.ones(3))


def test_training_steps_in_order_run():
    layer = nn.Linear(4, 3)
    opt = nbcnn.optim.SGD(layer.parameters(), lr=0.1)
    x = nbcnn.tensor(np.ones((2, 4)))
    for _ in range(3):
        opt.zero_grad()
        layer(x).sum().backward()
        opt.step()
    assert layer.weight._version == 4  # its initialisation, then three steps


def test_to_the_same_device_is_the_tensor_itself():
    x = nbcnn.tensor([1.0, 2.0], requires_grad=True)
    assert x.to("cpu") is x
