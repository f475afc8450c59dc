"""CIFAR-10 and CIFAR-100: the pickled "python version" and CIFAR-10's binary version.

Images come back as uint8 (N, 3, 32, 32): each 3072-byte row of the files is the red, green then blue plane.
"""
from pathlib import Path

import numpy as np

from .errors import DataError
from .safe_pickle import safe_load

PIXELS = 3 * 32 * 32
RECORD = 1 + PIXELS  # a binary record: the label byte, then the pixels
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))


def _check_labels(labels, num_classes, path) -> np.ndarray:
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise DataError(f"{path}: label {labels.max()} out of range for {num_classes} classes; corrupt file")
    return labels


def read_python_batch(path, label_key=b"labels", num_classes=10) -> tuple[np.ndarray, np.ndarray]:
    """One pickled batch: a dict with b'data' (uint8 N x 3072) and label_key (N ints)."""
    batch = safe_load(path)
    if isinstance(batch, dict):  # files re-pickled by Python 3 may have str keys
        batch = {key.encode() if isinstance(key, str) else key: value for key, value in batch.items()}
    if not isinstance(batch, dict) or b"data" not in batch or label_key not in batch:
        keys = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
        raise DataError(f"{path}: not a CIFAR batch (needs b'data' and {label_key!r}, found {keys})")
    data = batch[b"data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != PIXELS:
        raise DataError(f"{path}: b'data' should be a uint8 array of shape (N, {PIXELS}), found "
                        f"{getattr(data, 'dtype', type(data).__name__)} {getattr(data, 'shape', '')}")
    labels = np.asarray(batch[label_key], dtype=np.int64)
    if labels.shape != (len(data),):
        raise DataError(f"{path}: {len(data)} images but {labels.size} labels")
    return data.reshape(-1, 3, 32, 32), _check_labels(labels, num_classes, path)


def read_binary_batch(path) -> tuple[np.ndarray, np.ndarray]:
    """One binary batch: records of 1 label byte + 3072 pixel bytes."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror})") from e
    if not raw or len(raw) % RECORD:
        raise DataError(f"{path}: {len(raw)} bytes is not a whole number of {RECORD}-byte records; "
                        f"truncated or not a CIFAR-10 binary batch")
    records = np.frombuffer(raw, np.uint8).reshape(-1, RECORD)
    labels = _check_labels(records[:, 0].astype(np.int64), 10, path)
    return records[:, 1:].reshape(-1, 3, 32, 32).copy(), labels


def _label_names(path, key) -> tuple[str, ...] | None:
    if not path.is_file():
        return None
    meta = safe_load(path)
    names = meta.get(key) if isinstance(meta, dict) else None
    if not isinstance(names, list):
        raise DataError(f"{path}: no {key!r} list of label names")
    return tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)


def _concat(batches):
    images, labels = zip(*batches)
    return np.concatenate(images), np.concatenate(labels)


def load_cifar10_python(folder):
    """(train_images, train_labels, test_images, test_labels, label names or None) from cifar-10-batches-py."""
    folder = Path(folder)
    train = _concat([read_python_batch(folder / name) for name in TRAIN_BATCHES])
    test = read_python_batch(folder / "test_batch")
    return (*train, *test, _label_names(folder / "batches.meta", b"label_names"))


def load_cifar10_binary(folder):
    """As load_cifar10_python, from cifar-10-batches-bin."""
    folder = Path(folder)
    train = _concat([read_binary_batch(folder / f"{name}.bin") for name in TRAIN_BATCHES])
    test = read_binary_batch(folder / "test_batch.bin")
    meta = folder / "batches.meta.txt"
    names = tuple(line.strip() for line in meta.read_text().splitlines() if line.strip()) if meta.is_file() else None
    return (*train, *test, names)


def load_cifar100_python(folder):
    """As load_cifar10_python, from cifar-100-python, with the 100 fine labels."""
    folder = Path(folder)
    train = read_python_batch(folder / "train", b"fine_labels", 100)
    test = read_python_batch(folder / "test", b"fine_labels", 100)
    return (*train, *test, _label_names(folder / "meta", b"fine_label_names"))
