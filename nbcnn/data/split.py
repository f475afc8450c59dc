"""Splitting examples: a held-out validation part, and shards for data-parallel ranks."""
import numpy as np


def train_val_split(images, labels, val_fraction: float, seed: int = 0):
    """(train_images, train_labels, val_images, val_labels): a random round(N * val_fraction) examples held out.

    Both parts keep the examples in their original order; the same seed always holds out the same examples.
    """
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    chosen = np.random.Generator(np.random.PCG64(seed)).permutation(len(labels))
    n_val = int(round(len(labels) * val_fraction))
    val, train = np.sort(chosen[:n_val]), np.sort(chosen[n_val:])
    return images[train], labels[train], images[val], labels[val]


def shard(indices, rank: int, world_size: int) -> np.ndarray:
    """Rank's share of indices: every world_size-th one, starting at position rank.

    The shards are disjoint and together hold every index exactly once. Nothing is padded or dropped, so shard
    sizes differ by at most one: the first len(indices) % world_size ranks get one more.
    """
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"need 0 <= rank < world_size, got rank {rank} of {world_size}")
    return np.asarray(indices)[rank::world_size]
