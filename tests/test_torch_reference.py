"""Forward and backward against PyTorch, where it is installed (never a runtime dependency)."""
import numpy as np
import pytest

import nbcnn
import nbcnn.nn as nn

torch = pytest.importorskip("torch")


def paired_models():
    nbcnn.manual_seed(0)
    ours = nn.Sequential(nn.Conv2d(3, 6, 3, stride=1, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
                         nn.MaxPool2d(3, 2), nn.LocalResponseNorm(3), nn.Conv2d(6, 4, (3, 2), stride=(2, 1)),
                         nn.Tanh(), nn.AvgPool2d(2, padding=1), nn.Flatten(), nn.Linear(4 * 2 * 3, 7),
                         nn.BatchNorm1d(7), nn.Sigmoid(), nn.Linear(7, 5))
    tnn = torch.nn
    theirs = tnn.Sequential(tnn.Conv2d(3, 6, 3, 1, 1), tnn.BatchNorm2d(6), tnn.ReLU(), tnn.MaxPool2d(3, 2),
                            tnn.LocalResponseNorm(3), tnn.Conv2d(6, 4, (3, 2), (2, 1)), tnn.Tanh(),
                            tnn.AvgPool2d(2, padding=1), tnn.Flatten(), tnn.Linear(24, 7), tnn.BatchNorm1d(7),
                            tnn.Sigmoid(), tnn.Linear(7, 5)).double()
    theirs.load_state_dict({k: torch.tensor(v.astype(np.float64)) for k, v in ours.state_dict().items()})
    return ours, theirs


def test_training_step_matches_pytorch():
    ours, theirs = paired_models()
    x = np.random.default_rng(0).standard_normal((4, 3, 12, 12))
    y = np.array([0, 4, 2, 1])
    ours_params = dict(ours.named_parameters())
    for p in ours.parameters():  # compare in float64
        p.data = p.data.astype(np.float64)
    for _, b in ours.named_buffers():
        b.data = b.data.astype(b.data.dtype if b.data.dtype.kind == "i" else np.float64)
    loss = nn.functional.cross_entropy(ours(nbcnn.tensor(x)), nbcnn.tensor(y))
    loss.backward()
    tloss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-10)
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(ours_params[name].grad.numpy(), p.grad.numpy(), rtol=1e-7, atol=1e-10,
                                   err_msg=name)
    ours_state, their_state = ours.state_dict(), theirs.state_dict()
    for name in ("1.running_mean", "1.running_var", "10.running_var"):
        np.testing.assert_allclose(ours_state[name], their_state[name].numpy(), rtol=1e-10, err_msg=name)


@pytest.mark.parametrize("make", ["sgd", "adam", "rmsprop"])
def test_optimizer_steps_match_pytorch(make):
    rng = np.random.default_rng(1)
    w0, grads = rng.standard_normal(5), [rng.standard_normal(5) for _ in range(3)]
    p = nn.Parameter(w0.copy())
    tp = torch.nn.Parameter(torch.tensor(w0.copy()))
    options = {"sgd": (nbcnn.optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True,
                                                               weight_decay=0.01)),
               "adam": (nbcnn.optim.Adam, torch.optim.Adam, dict(lr=0.1, weight_decay=0.01)),
               "rmsprop": (nbcnn.optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, momentum=0.5,
                                                                          weight_decay=0.01))}[make]
    ours, theirs = options[0]([p], **options[2]), options[1]([tp], **options[2])
    for g in grads:
        p.grad = nbcnn.tensor(g)
        tp.grad = torch.tensor(g)
        ours.step()
        theirs.step()
    np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-10)
