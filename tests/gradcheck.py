"""Central-difference gradient checks in float64, elementwise for small inputs and along a random direction
for large ones (two forward passes), as Chainer checks its big ops."""
import numpy as np

import nbcnn


def _projected(fn, arrays, weights):
    with nbcnn.no_grad():
        out = fn(*[nbcnn.tensor(a, dtype=np.float64) for a in arrays])
    return float(np.sum(out.numpy() * weights))


def check_gradients(fn, *arrays, eps=1e-6, rtol=1e-5, atol=1e-7, seed=0, max_elementwise=400, wrt=None):
    """Compare backward() of sum(fn(*inputs) · W) for a random W with central differences.

    `wrt` lists the input indices to check (all by default)."""
    rng = np.random.default_rng(seed)
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    wrt = range(len(arrays)) if wrt is None else wrt
    inputs = [nbcnn.tensor(a, dtype=np.float64, requires_grad=i in wrt) for i, a in enumerate(arrays)]
    out = fn(*inputs)
    weights = rng.standard_normal(out.shape)
    out.backward(nbcnn.tensor(weights, dtype=np.float64))
    for i in wrt:
        analytic = inputs[i].grad.numpy()
        assert analytic.shape == arrays[i].shape
        if arrays[i].size <= max_elementwise:
            numeric = np.zeros_like(arrays[i])
            for j in range(arrays[i].size):
                plus, minus = [a.copy() for a in arrays], [a.copy() for a in arrays]
                plus[i].flat[j] += eps
                minus[i].flat[j] -= eps
                numeric.flat[j] = (_projected(fn, plus, weights) - _projected(fn, minus, weights)) / (2 * eps)
            np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol, err_msg=f"input {i}")
        else:
            direction = rng.standard_normal(arrays[i].shape)
            plus, minus = [a.copy() for a in arrays], [a.copy() for a in arrays]
            plus[i] += eps * direction
            minus[i] -= eps * direction
            numeric = (_projected(fn, plus, weights) - _projected(fn, minus, weights)) / (2 * eps)
            np.testing.assert_allclose(np.sum(analytic * direction), numeric, rtol=rtol, atol=atol,
                                       err_msg=f"input {i} (directional)")
