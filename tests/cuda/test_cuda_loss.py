import numpy as np
import pytest

from cudacheck import check, cpu, gpu, to_device

rng = np.random.default_rng(9)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n, classes", [(1, 3), (5, 4), (7, 10)])
def test_cross_entropy(dtype, n, classes, smoothing):
    logits = (rng.standard_normal((n, classes)) * 30).astype(dtype)  # large logits: log-sum-exp matters
    target = rng.integers(0, classes, n)
    loss, probs = check("cross_entropy_forward", logits, target, smoothing, rtol=1e-5)
    assert loss.shape == ()
    check("cross_entropy_backward", np.asarray(1.5, dtype), probs, target, smoothing, rtol=1e-6)


@pytest.mark.parametrize("target", [[0, 3, 1], [-1, 0, 2], [[0, 1, 2]]], ids=str)
def test_bad_targets_raise_the_cpu_error(target):
    logits, target = rng.standard_normal((3, 3)), np.array(target)
    with pytest.raises(ValueError) as on_cpu:
        cpu.cross_entropy_forward(logits, target)
    with pytest.raises(ValueError) as on_gpu:
        gpu.cross_entropy_forward(*to_device((logits, target)))
    assert str(on_gpu.value) == str(on_cpu.value)
