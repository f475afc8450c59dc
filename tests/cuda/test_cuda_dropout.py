import numpy as np
import pytest

from cudacheck import check

# the simulator runs the device hash on NumPy uint64 scalars, which warn where a GPU silently wraps
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered in scalar:RuntimeWarning")

rng = np.random.default_rng(8)


@pytest.mark.parametrize("seed", [0, 12345, 2 ** 63 - 2])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_the_same_seed_draws_the_same_mask_on_both_devices(seed, p):
    x = rng.standard_normal((3, 5, 7))
    y, mask = check("dropout_forward", x, p, seed)
    assert 0 < mask.sum() < mask.size
    check("dropout_backward", rng.standard_normal(x.shape), mask, p)


@pytest.mark.parametrize("shards", [[(slice(0, 4), 0, 1), (slice(4, 8), 4, 1)],  # contiguous halves
                                    [(slice(0, 8, 2), 0, 2), (slice(1, 8, 2), 1, 2)]])  # DataParallel's rows
def test_a_shard_draws_the_whole_batchs_mask_for_its_rows(shards):
    """Both devices key an element by its place in the global batch: rows start, start + step, … of it."""
    x = rng.standard_normal((8, 3, 5)) + 10.0
    _, whole = check("dropout_forward", x, 0.5, 12345)
    assert 0 < whole.sum() < whole.size
    for rows, start, step in shards:
        _, mask = check("dropout_forward", np.ascontiguousarray(x[rows]), 0.5, 12345, start, step)
        np.testing.assert_array_equal(mask, whole[rows])


def test_float32():
    x = rng.standard_normal((4, 6)).astype(np.float32)
    y, mask = check("dropout_forward", x, 0.3, 99)
    check("dropout_backward", rng.standard_normal(x.shape).astype(np.float32), mask, 0.3)


def test_a_dropped_nan_stays_nan():
    """As in PyTorch, which multiplies by the mask."""
    y, _ = check("dropout_forward", np.full(40, np.nan), 0.5, 7)
    assert np.isnan(y).all()
