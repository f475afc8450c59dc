"""Filling Numba's on-disk cache before a run, so that its first step does not wait on the compiler.

Which kernels a run compiles depends on its model and on the shapes it meets: the training batch, the epoch's last
and smaller batch, and the evaluation batches (a convolution picks its algorithm by shape). warmup() trains one
epoch of random images whose count gives exactly those batches, and evaluates, with the Trainer a run uses: it
compiles what the run will, and there is no second training loop to drift from the real one.
"""
import tempfile

import numpy as np

from .data.dataset import Dataset
from .training import TrainConfig, Trainer

# name: (channels, size, classes, training images, test images)
SPLITS = {"mnist": (1, 28, 10, 60000, 10000), "fashion-mnist": (1, 28, 10, 60000, 10000),
          "cifar10": (3, 32, 10, 50000, 10000), "cifar100": (3, 32, 100, 50000, 10000)}


def default_data(model):
    return "fashion-mnist" if model == "lenet" else "cifar10"


def warmup(model, data=None, batch_size=None, model_options=None):
    """Compile (or load from the cache) every kernel that training `model` on `data` (a SPLITS name, default
    default_data(model)) at `batch_size` (default: the model's) and evaluating it need."""
    data = data or default_data(model)
    channels, size, classes, n_train, n_test = SPLITS[data]
    config = TrainConfig(model=model, data=data, epochs=1, batch_size=batch_size,
                         model_options=model_options or {}).resolved()
    train_count = _two_batches(config.batch_size, n_train)
    test_count = _two_batches(max(config.batch_size, 256), n_test)  # the Trainer's evaluation batch
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (count, channels, size, size), np.uint8) for count in (train_count, test_count)]
    labels = [rng.integers(0, classes, count) for count in (train_count, test_count)]
    dataset = Dataset(data, images[0], labels[0], images[1], labels[1], tuple(str(i) for i in range(classes)))
    with tempfile.TemporaryDirectory(prefix="nbcnn-warmup-") as rundir:
        Trainer(config, dataset, rundir).fit()


def _two_batches(batch, count):
    """A full batch and the split's last one: the two batch sizes a pass over `count` images meets."""
    return min(batch, count) + count % batch if count > batch else count
