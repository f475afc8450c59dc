"""Mini-batches over a split, in an order fixed by (seed, epoch) so that training can resume exactly."""
import numpy as np

from .transforms import flip_left_right, normalize


def epoch_rng(seed: int, *key: int) -> np.random.Generator:
    """A PCG64 generator for (seed, *key): each key is its own independent stream, whatever came before."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


class DataLoader:
    """Iterates (x float32 (B, C, H, W) normalised, y int64 (B,)) batches over uint8 images.

    Call set_epoch(e) before each epoch: epoch e's order (when shuffle) and augmentation depend only on
    (seed, e), never on the epochs before, so a run resumed at epoch e, or at its batch k with
    set_epoch(e, start_batch=k), sees exactly the batches the interrupted run would have seen.

    augment(batch_uint8, rng) -> batch_uint8 (e.g. transforms.random_crop_flip) runs before normalisation, so
    padding is black as in the usual pipelines; pass it for training only. mean/std default to 0 and 1,
    which just scales pixels to [0, 1]. The last partial batch is served unless drop_last.

    alternate_flips: airbench's derandomised flips. A random half of the examples (drawn once from the seed) is
    mirrored in even epochs and the other half in odd ones, so every image is seen both ways in every two epochs
    instead of by chance; they apply before augment, which should then not flip (transforms.random_translate).
    """

    def __init__(self, images, labels, batch_size, shuffle=False, seed=0, drop_last=False, augment=None,
                 mean=None, std=None, alternate_flips=False):
        if images.dtype != np.uint8 or images.ndim != 4 or len(images) != len(labels):
            raise ValueError(f"need uint8 (N, C, H, W) images and N labels, got {images.dtype} {images.shape} "
                             f"and {len(labels)} labels")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        channels = images.shape[1]
        self.images, self.labels = images, np.asarray(labels, np.int64)
        self.batch_size, self.shuffle, self.seed, self.drop_last = batch_size, shuffle, seed, drop_last
        self.augment = augment
        # epoch 0's flips, per example; stream 2 of epoch 0 is used by nothing else
        self.flip_set = epoch_rng(seed, 0, 2).random(len(self.labels)) < 0.5 if alternate_flips else None
        self.mean = np.zeros(channels, np.float32) if mean is None else np.asarray(mean, np.float32)
        self.std = np.ones(channels, np.float32) if std is None else np.asarray(std, np.float32)
        self.epoch, self.start_batch = 0, 0

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        """Serve epoch `epoch` from now on, starting at its batch start_batch (to resume mid-epoch)."""
        if not 0 <= start_batch <= len(self):
            raise ValueError(f"start_batch must be in [0, {len(self)}], got {start_batch}")
        self.epoch, self.start_batch = epoch, start_batch

    def __len__(self) -> int:
        """Batches in a full epoch."""
        n = len(self.labels)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def order(self) -> np.ndarray:
        """The example indices of the current epoch, in the order they are served."""
        n = len(self.labels)
        return epoch_rng(self.seed, self.epoch, 0).permutation(n) if self.shuffle else np.arange(n)

    def __iter__(self):
        order = self.order()
        for b in range(self.start_batch, len(self)):
            index = order[b * self.batch_size:(b + 1) * self.batch_size]
            yield normalize(self.augmented(index, b), self.mean, self.std), self.labels[index]

    def augmented(self, index, b):
        """The uint8 images of examples `index` as batch b of the current epoch serves them: a function of
        (seed, epoch, b, index) only."""
        x = self.images[index]
        if self.flip_set is not None:
            x = flip_left_right(x, self.flip_set[index] ^ bool(self.epoch % 2))
        if self.augment is not None:
            x = self.augment(x, epoch_rng(self.seed, self.epoch, 1, b))
        return x
