"""What each rank reads: its share of every global training batch, and its share of an evaluation split."""
import numpy as np

from ..data import DataLoader, normalize, shard


class ShardedLoader:
    """Serves this rank's share of each batch of `loader`: every world_size-th example of it, from position rank.

    Batch b is `loader`'s batch b (one order for one (seed, epoch)), so the ranks' shares of an epoch are disjoint
    and cover it, and positions (set_epoch's start_batch, len) count global batches as in a one-process run: a
    checkpoint resumes with any number of ranks. Augmentation is drawn for the whole global batch, as one process
    draws it, then cut to this rank's share, so N ranks train on the crops and flips one process would.

    A last batch with fewer examples than ranks is skipped, since some rank would have nothing to compute on; with
    a batch size of at least world_size that is at most world_size − 1 examples an epoch.
    """

    def __init__(self, loader, rank, world_size):
        if loader.batch_size < world_size:
            raise ValueError(f"the batch size ({loader.batch_size}) must be at least the number of ranks "
                             f"({world_size}): each rank trains on its share of every batch")
        self.loader, self.rank, self.world_size = loader, rank, world_size

    @property
    def labels(self):
        """The labels of the whole split, every rank's."""
        return self.loader.labels

    def set_epoch(self, epoch, start_batch=0):
        self.loader.set_epoch(epoch, start_batch)

    def __len__(self):
        full, rest = divmod(len(self.loader.labels), self.loader.batch_size)
        return full + (not self.loader.drop_last and rest >= self.world_size)

    def __iter__(self):
        inner, size = self.loader, self.loader.batch_size
        order = inner.order()
        for b in range(inner.start_batch, len(self)):
            batch = order[b * size:(b + 1) * size]
            mine = shard(np.arange(len(batch)), self.rank, self.world_size)
            if inner.augment is None and inner.flip_set is None:
                x = inner.images[batch[mine]]
            else:  # batch b as DataLoader serves it, drawn for all of it
                x = inner.augmented(batch, b)[mine]
            yield normalize(x, inner.mean, inner.std), inner.labels[batch[mine]]


def shard_split(loader, rank, world_size):
    """A loader over this rank's every-world_size-th example of an evaluation loader's split, in order."""
    mine = shard(np.arange(len(loader.labels)), rank, world_size)
    return DataLoader(loader.images[mine], loader.labels[mine], loader.batch_size, mean=loader.mean, std=loader.std)
