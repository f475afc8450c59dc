"""Every autograd op through the Tensor API on "cuda" gives the CPU's values and gradients: the ops call only what
a device array supports (the strict simulator raises on anything else)."""
import numpy as np

import nbcnn
from nbcnn.nn import functional as F

from cudacheck import assert_close

rng = np.random.default_rng(13)
A, B, IMAGE = rng.uniform(0.5, 2, (3, 4)), rng.uniform(0.5, 2, (4, 2)), rng.uniform(-1, 1, (2, 3, 4, 4))


def _function(a, b, image):
    h = (a @ b).T.exp().log() / a.sum(dim=1, keepdim=True).T  # (2, 3) / (1, 3)
    h = -(h - a.mean(dim=1)).sigmoid().tanh().reshape(3, 2).flatten().reshape(2, 3)
    pooled = F.adaptive_avg_pool2d(F.local_response_norm(image, 3, alpha=0.1, k=2.0), 1).flatten(1)  # (2, 3)
    return (h * pooled.float().double()).sum() + (a * a).mean()


def _run(device):
    inputs = [nbcnn.tensor(v, dtype=np.float64, requires_grad=True, device=device) for v in (A, B, IMAGE)]
    out = _function(*inputs)
    out.backward()
    return [out.numpy()] + [t.grad.numpy() for t in inputs]


def test_ops_match_the_cpu():
    assert_close(_run("cuda"), _run("cpu"), rtol=1e-9, atol=1e-12, what="output and gradients")


def test_tensor_to_carries_the_gradient_across_devices():
    """Tensor.to is an op: the loss on one device differentiates a leaf on the other (it once made a new leaf)."""
    x = nbcnn.tensor(A, dtype=np.float64, requires_grad=True)
    (x.to("cuda") * 3.0).relu().to("cpu").sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), np.full(A.shape, 3.0))
    y = nbcnn.tensor(A, dtype=np.float64, requires_grad=True, device="cuda")
    (y.cpu() * 2.0).sum().backward()
    assert y.grad.device == "cuda" and np.all(y.grad.numpy() == 2.0)
