"""Small random datasets written in the exact official file formats, for tests and examples."""
import pickle
import shutil
import struct
import tarfile
from pathlib import Path

import numpy as np

from .cifar import TRAIN_BATCHES
from .dataset import Dataset
from .idx import write_idx
from .specs import CIFAR10_CLASSES, FASHION_MNIST_CLASSES, MNIST_CLASSES


class _Python2Pickler(pickle._Pickler):
    """Writes bytes as Python 2 strings (BINSTRING), as the real CIFAR files do.

    Python 3 writes bytes at protocol 2 as a call to _codecs.encode instead. The C pickler cannot be taught
    this, so this builds on the pure-Python one.
    """
    dispatch = dict(pickle._Pickler.dispatch)

    def save_python2_str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_python2_str


def write_python2_pickle(path, obj) -> None:
    """Pickle obj at protocol 2 with bytes written as Python 2 strings, like the official CIFAR python files."""
    with open(path, "wb") as f:
        _Python2Pickler(f, protocol=2).dump(obj)


def write_cifar_python_batch(path, images, labels, label_key=b"labels", batch_label=b"batch", extra=None) -> None:
    """A pickled batch as in cifar-10-batches-py (pass label_key=b'fine_labels' and extra for CIFAR-100)."""
    batch = {b"batch_label": batch_label, label_key: [int(label) for label in labels],
             b"data": np.ascontiguousarray(images, np.uint8).reshape(len(images), -1),
             b"filenames": [f"image_{i:05d}.png".encode() for i in range(len(images))], **(extra or {})}
    write_python2_pickle(path, batch)


def write_cifar_binary_batch(path, images, labels) -> None:
    """A batch as in cifar-10-batches-bin: per image one label byte, then 3072 pixel bytes."""
    pixels = np.ascontiguousarray(images, np.uint8).reshape(len(images), -1)
    Path(path).write_bytes(np.concatenate([np.asarray(labels, np.uint8)[:, None], pixels], axis=1).tobytes())


def _write_cifar10(folder: Path, binary: bool, data: Dataset) -> str:
    inner = folder / ("cifar-10-batches-bin" if binary else "cifar-10-batches-py")
    inner.mkdir(parents=True, exist_ok=True)
    parts = zip(TRAIN_BATCHES, np.array_split(data.train_images, 5), np.array_split(data.train_labels, 5))
    for name, images, labels in [*parts, ("test_batch", data.test_images, data.test_labels)]:
        if binary:
            write_cifar_binary_batch(inner / f"{name}.bin", images, labels)
        else:
            write_cifar_python_batch(inner / name, images, labels, batch_label=name.encode())
    if binary:
        (inner / "batches.meta.txt").write_text("".join(f"{name}\n" for name in data.classes))
    else:
        write_python2_pickle(inner / "batches.meta", {b"label_names": [n.encode() for n in data.classes],
                                                      b"num_cases_per_batch": 10000, b"num_vis": 3072})
    return inner.name


def _write_cifar100(folder: Path, data: Dataset) -> str:
    inner = folder / "cifar-100-python"
    inner.mkdir(parents=True, exist_ok=True)
    for name, images, labels in [("train", data.train_images, data.train_labels),
                                 ("test", data.test_images, data.test_labels)]:
        write_cifar_python_batch(inner / name, images, labels, b"fine_labels", name.encode(),
                                 {b"coarse_labels": [int(label) // 5 for label in labels]})
    write_python2_pickle(inner / "meta", {b"fine_label_names": [n.encode() for n in data.classes],
                                          b"coarse_label_names": [f"super{i}".encode() for i in range(20)]})
    return inner.name


_ARCHIVE_NAMES = {"cifar-10-batches-py": "cifar-10-python.tar.gz", "cifar-10-batches-bin": "cifar-10-binary.tar.gz",
                  "cifar-100-python": "cifar-100-python.tar.gz"}


def write_fake_dataset(name: str, folder, n_train: int = 100, n_test: int = 20, seed: int = 0,
                       binary: bool = False, archive: bool = False) -> Dataset:
    """Write a random dataset shaped like `name` into folder, as the official files; returns what was written.

    mnist / fashion-mnist: the four .gz IDX files in folder. cifar10: cifar-10-batches-py/ (binary=True:
    cifar-10-batches-bin/). cifar100: cifar-100-python/. archive=True: the official .tar.gz instead of the folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    mnist_like = name in ("mnist", "fashion-mnist")
    shape = (1, 28, 28) if mnist_like else (3, 32, 32)
    classes = {"mnist": MNIST_CLASSES, "fashion-mnist": FASHION_MNIST_CLASSES, "cifar10": CIFAR10_CLASSES,
               "cifar100": tuple(f"class{i}" for i in range(100))}[name]
    data = Dataset(name, rng.integers(0, 256, (n_train, *shape), np.uint8), rng.integers(0, len(classes), n_train),
                   rng.integers(0, 256, (n_test, *shape), np.uint8), rng.integers(0, len(classes), n_test), classes)
    if mnist_like:
        for split, images, labels in [("train", data.train_images, data.train_labels),
                                      ("t10k", data.test_images, data.test_labels)]:
            write_idx(folder / f"{split}-images-idx3-ubyte.gz", images[:, 0])
            write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels.astype(np.uint8))
        return data
    inner = _write_cifar100(folder, data) if name == "cifar100" else _write_cifar10(folder, binary, data)
    if archive:
        with tarfile.open(folder / _ARCHIVE_NAMES[inner], "w:gz") as tar:
            tar.add(folder / inner, arcname=inner)
        shutil.rmtree(folder / inner)
    return data
