"""ResNet-20 with option A shortcuts against the same network written here in PyTorch, from the paper's
description: one training-mode pass with its gradients, then the updated running statistics in evaluation."""
import numpy as np
import pytest

import nbcnn
from nbcnn.models import build_model
from test_cifar_resnet import float64

torch = pytest.importorskip("torch")
tnn, tF = torch.nn, torch.nn.functional


class Block(tnn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(cout)
        self.conv2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(cout)
        self.stride, self.extra = stride, cout - cin

    def forward(self, x):
        out = self.bn2(self.conv2(tF.relu(self.bn1(self.conv1(x)))))
        if self.stride != 1 or self.extra:
            x = tF.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.extra // 2, self.extra // 2))
        return tF.relu(out + x)


class ResNet20(tnn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1, self.bn1 = tnn.Conv2d(3, 16, 3, 1, 1, bias=False), tnn.BatchNorm2d(16)
        widths = [(16, 16, 1), (16, 32, 2), (32, 64, 2)]
        for i, (cin, cout, stride) in enumerate(widths, start=1):
            blocks = [Block(cin, cout, stride), Block(cout, cout, 1), Block(cout, cout, 1)]
            setattr(self, f"layer{i}", tnn.Sequential(*blocks))
        self.fc = tnn.Linear(64, classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(tF.relu(self.bn1(self.conv1(x))))))
        return self.fc(x.mean(dim=(2, 3)))


def test_resnet20_matches_pytorch():
    nbcnn.manual_seed(0)
    ours = float64(build_model("resnet20", 3, 8, 10))
    theirs = ResNet20().double()
    missing, unexpected = theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()},
                                                 strict=False)
    assert not unexpected and all(key.endswith("num_batches_tracked") for key in missing)
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((4, 3, 8, 8)), np.array([3, 0, 9, 3])

    loss = nbcnn.nn.functional.cross_entropy(ours(nbcnn.tensor(x)), nbcnn.tensor(y))
    loss.backward()
    tloss = tF.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-10)
    ours_params = dict(ours.named_parameters())
    assert set(ours_params) == {name for name, _ in theirs.named_parameters()}
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(ours_params[name].grad.numpy(), p.grad.numpy(), rtol=1e-7, atol=1e-10,
                                   err_msg=name)

    ours.eval(), theirs.eval()
    with nbcnn.no_grad(), torch.no_grad():
        np.testing.assert_allclose(ours(nbcnn.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-9,
                                   atol=1e-12)
