import numpy as np
import pytest

from nbcnn.data.loader import DataLoader
from nbcnn.data.transforms import random_crop_flip

N = 23


@pytest.fixture
def data():
    images = np.random.default_rng(2).integers(0, 256, (N, 3, 6, 6), np.uint8)
    return images, np.arange(N)  # label i marks example i


def _epoch(loader, epoch, start_batch=0):
    loader.set_epoch(epoch, start_batch)
    return list(loader)


@pytest.mark.parametrize("shuffle", [False, True])
def test_every_example_once_and_last_partial_batch(data, shuffle):
    loader = DataLoader(*data, batch_size=5, shuffle=shuffle, seed=3)
    assert len(loader) == 5
    for epoch in range(3):
        batches = _epoch(loader, epoch)
        assert [len(y) for _, y in batches] == [5, 5, 5, 5, 3]
        seen = np.concatenate([y for _, y in batches])
        assert sorted(seen) == list(range(N))
        assert (seen == np.arange(N)).all() != shuffle
        for x, y in batches:
            assert x.dtype == np.float32 and y.dtype == np.int64 and x.shape == (len(y), 3, 6, 6)
            np.testing.assert_allclose(x, data[0][y] / 255, rtol=1e-6)  # default mean 0, std 1


def test_drop_last(data):
    loader = DataLoader(*data, batch_size=5, shuffle=True, drop_last=True)
    assert len(loader) == 4 and [len(y) for _, y in loader] == [5, 5, 5, 5]


def test_order_depends_only_on_seed_and_epoch(data):
    a = DataLoader(*data, batch_size=4, shuffle=True, seed=11)
    for epoch in range(3):
        _epoch(a, epoch)
    later = [y for _, y in _epoch(a, 3)]
    fresh = [y for _, y in _epoch(DataLoader(*data, batch_size=4, shuffle=True, seed=11), 3)]
    assert all((p == q).all() for p, q in zip(later, fresh))
    orders = set()
    for epoch in range(4):
        a.set_epoch(epoch)
        orders.add(tuple(a.order()))
    assert len(orders) == 4
    assert tuple(DataLoader(*data, batch_size=4, shuffle=True, seed=12).order()) not in orders


def test_resume_mid_epoch_with_augmentation(data):
    def loader():
        return DataLoader(*data, batch_size=4, shuffle=True, seed=5, augment=random_crop_flip,
                          mean=[0.5, 0.4, 0.3], std=[0.2, 0.25, 0.3])
    full = _epoch(loader(), 2)
    resumed = _epoch(loader(), 2, start_batch=4)
    assert len(resumed) == 2
    for (x, y), (rx, ry) in zip(full[4:], resumed):
        assert (y == ry).all() and np.array_equal(x, rx)
    assert not np.array_equal(full[0][0], _epoch(loader(), 3)[0][0])


def test_augment_runs_before_normalisation_on_uint8(data):
    seen = []

    def augment(batch, rng):
        seen.append(batch.dtype)
        return batch[..., ::-1]
    loader = DataLoader(*data, batch_size=10, augment=augment, mean=[0, 0, 0], std=[1, 1, 1])
    x, y = next(iter(loader))
    assert seen == [np.uint8] and np.allclose(x, data[0][y][..., ::-1] / 255)


@pytest.mark.parametrize("kwargs", [{"batch_size": 0}, {"batch_size": 2, "labels": np.arange(3)}])
def test_bad_arguments(data, kwargs):
    args = {"images": data[0], "labels": data[1], **kwargs}
    with pytest.raises(ValueError):
        DataLoader(**args)


def test_start_batch_range(data):
    with pytest.raises(ValueError):
        DataLoader(*data, batch_size=5).set_epoch(0, start_batch=6)
