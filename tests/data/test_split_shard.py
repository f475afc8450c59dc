import numpy as np
import pytest
from hypothesis import given, strategies as st

from nbcnn.data.split import shard, train_val_split


def test_train_val_split_partitions_deterministically():
    images, labels = np.arange(50)[:, None] * np.ones((1, 4)), np.arange(50)
    tx, ty, vx, vy = train_val_split(images, labels, 0.2, seed=4)
    assert len(vy) == 10 and len(ty) == 40
    assert sorted(np.concatenate([ty, vy])) == list(range(50))
    assert (np.diff(ty) > 0).all() and (np.diff(vy) > 0).all()  # original order kept within each part
    assert (tx[:, 0] == ty).all() and (vx[:, 0] == vy).all()
    assert (train_val_split(images, labels, 0.2, seed=4)[3] == vy).all()
    assert not (train_val_split(images, labels, 0.2, seed=5)[3] == vy).all()
    assert len(train_val_split(images, labels, 0.0)[3]) == 0


@pytest.mark.parametrize("fraction", [-0.1, 1.0])
def test_train_val_split_rejects_fraction(fraction):
    with pytest.raises(ValueError):
        train_val_split(np.zeros((4, 1)), np.zeros(4), fraction)


@given(n=st.integers(0, 60), world_size=st.integers(1, 9), seed=st.integers(0, 5))
def test_shards_cover_every_index_exactly_once(n, world_size, seed):
    indices = np.random.default_rng(seed).permutation(n)
    shards = [shard(indices, rank, world_size) for rank in range(world_size)]
    assert sorted(np.concatenate(shards)) == list(range(n))
    sizes = [len(s) for s in shards]
    assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)


@pytest.mark.parametrize("rank, world_size", [(2, 2), (-1, 2), (0, 0)])
def test_shard_rejects_bad_rank(rank, world_size):
    with pytest.raises(ValueError):
        shard(np.arange(4), rank, world_size)
