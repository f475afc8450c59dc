import pickle

import numpy as np
import pytest

from nbcnn.data.cifar import read_binary_batch, read_python_batch
from nbcnn.data.dataset import load_dataset
from nbcnn.data.errors import DataError
from nbcnn.data.fake import write_cifar_python_batch, write_fake_dataset


def _same(loaded, written):
    for field in ("train_images", "train_labels", "test_images", "test_labels"):
        assert np.array_equal(getattr(loaded, field), getattr(written, field)), field
    assert loaded.train_images.dtype == np.uint8 and loaded.train_labels.dtype == np.int64
    assert loaded.classes == written.classes


@pytest.mark.parametrize("name, binary, archive, shape, classes", [
    ("mnist", False, False, (1, 28, 28), 10),
    *[("cifar10", binary, archive, (3, 32, 32), 10) for binary in (False, True) for archive in (False, True)],
    *[("cifar100", False, archive, (3, 32, 32), 100) for archive in (False, True)],
])
def test_every_format_roundtrips(tmp_path, name, binary, archive, shape, classes):
    written = write_fake_dataset(name, tmp_path, n_train=50, n_test=10, binary=binary, archive=archive)
    loaded = load_dataset(tmp_path)
    _same(loaded, written)
    assert loaded.name == name and loaded.input_shape == shape and loaded.num_classes == classes
    assert loaded.train_images.shape == (50, *shape) and loaded.test_labels.shape == (10,)


def test_pixel_layout_is_channel_planes(tmp_path):
    # In the files each row is 1024 red, then 1024 green, then 1024 blue bytes, each plane row-major.
    row = np.arange(3072) % 251
    (tmp_path / "b").write_bytes(pickle.dumps({b"data": row[None].astype(np.uint8), b"labels": [3]}, protocol=2))
    images, labels = read_python_batch(tmp_path / "b")
    assert images.shape == (1, 3, 32, 32) and labels.tolist() == [3]
    assert images[0, 1, 0, 0] == 1024 % 251 and images[0, 0, 1, 2] == 34 and images[0, 2, 31, 31] == 3071 % 251


def test_binary_truncated(tmp_path):
    (tmp_path / "data_batch_1.bin").write_bytes(bytes(3073 * 3 - 1))
    with pytest.raises(DataError, match=r"data_batch_1.bin: 9218 bytes is not a whole number of 3073-byte records"):
        read_binary_batch(tmp_path / "data_batch_1.bin")


def test_binary_bad_label(tmp_path):
    (tmp_path / "b.bin").write_bytes(bytes([10]) + bytes(3072))
    with pytest.raises(DataError, match="label 10 out of range"):
        read_binary_batch(tmp_path / "b.bin")


@pytest.mark.parametrize("batch, problem", [
    ({b"labels": [1]}, "not a CIFAR batch"),
    ([1, 2], "not a CIFAR batch"),
    ({b"data": np.zeros((2, 100), np.uint8), b"labels": [1, 2]}, "shape \\(N, 3072\\)"),
    ({b"data": np.zeros((2, 3072), np.float32), b"labels": [1, 2]}, "float32"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [1]}, "2 images but 1 labels"),
])
def test_python_batch_checked(tmp_path, batch, problem):
    (tmp_path / "b").write_bytes(pickle.dumps(batch, protocol=2))
    with pytest.raises(DataError, match=f"b: .*{problem}"):
        read_python_batch(tmp_path / "b")


def test_missing_batch_named(tmp_path):
    write_fake_dataset("cifar10", tmp_path, n_train=10, n_test=2)
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(b"\x80\x02garbage")
    with pytest.raises(DataError, match="test_batch: not a valid data pickle"):
        load_dataset(tmp_path)


def test_official_key_set(tmp_path):
    images = np.zeros((2, 3, 32, 32), np.uint8)
    write_cifar_python_batch(tmp_path / "b", images, [0, 1], batch_label=b"training batch 1 of 5")
    with open(tmp_path / "b", "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    assert set(batch) == {b"batch_label", b"labels", b"data", b"filenames"}
    assert batch[b"data"].shape == (2, 3072) and batch[b"batch_label"] == b"training batch 1 of 5"


def test_python3_str_keys_accepted(tmp_path):
    batch = {"data": np.zeros((2, 3072), np.uint8), "labels": [4, 5]}
    (tmp_path / "b").write_bytes(pickle.dumps(batch, protocol=4))
    assert read_python_batch(tmp_path / "b")[1].tolist() == [4, 5]
