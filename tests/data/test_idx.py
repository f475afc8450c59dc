import gzip
import struct

import numpy as np
import pytest

from nbcnn.data.errors import DataError
from nbcnn.data.fake import write_fake_dataset
from nbcnn.data.idx import read_idx, read_images, read_labels, write_idx
from nbcnn.data.mnist import find_idx_files, load_idx_folder


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, (100, 28, 28), np.uint8)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_roundtrip_raw_and_gz(tmp_path, images, suffix):
    labels = np.arange(100) % 10
    write_idx(tmp_path / f"i{suffix}", images)
    write_idx(tmp_path / f"l{suffix}", labels.astype(np.uint8))
    got = read_images(tmp_path / f"i{suffix}")
    assert got.dtype == np.uint8 and got.shape == (100, 28, 28) and np.array_equal(got, images)
    got_labels = read_labels(tmp_path / f"l{suffix}")
    assert got_labels.dtype == np.int64 and np.array_equal(got_labels, labels)


def test_header_is_the_official_big_endian_layout(tmp_path, images):
    write_idx(tmp_path / "f", images)
    raw = (tmp_path / "f").read_bytes()
    assert struct.unpack(">4I", raw[:16]) == (2051, 100, 28, 28)
    assert len(raw) == 16 + 100 * 28 * 28 and raw[16:] == images.tobytes()


def test_wider_types_roundtrip(tmp_path):
    values = np.array([[1.5, -2.0], [3.25, 1e6]], np.float32)
    write_idx(tmp_path / "f", values)
    assert np.array_equal(read_idx(tmp_path / "f"), values)


def test_labels_file_given_as_images_has_bad_magic(tmp_path):
    write_idx(tmp_path / "labels", np.zeros(10, np.uint8))
    with pytest.raises(DataError, match=r"labels: bad magic number 2049 \(expected 2051\)"):
        read_images(tmp_path / "labels")


def test_garbage_is_not_idx(tmp_path):
    (tmp_path / "f").write_bytes(b"hello world, no IDX here")
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(tmp_path / "f")


@pytest.mark.parametrize("change, problem", [(lambda raw: raw[:-1], "truncated"),
                                             (lambda raw: raw[:10], "truncated inside the header"),
                                             (lambda raw: raw + b"\0", "trailing garbage")])
def test_wrong_byte_count(tmp_path, images, change, problem):
    write_idx(tmp_path / "f", images)
    (tmp_path / "f").write_bytes(change((tmp_path / "f").read_bytes()))
    with pytest.raises(DataError, match=f"f: {problem}"):
        read_images(tmp_path / "f")


def test_truncated_gzip(tmp_path, images):
    write_idx(tmp_path / "f.gz", images)
    raw = (tmp_path / "f.gz").read_bytes()
    (tmp_path / "f.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match="f.gz: corrupt or truncated gzip"):
        read_images(tmp_path / "f.gz")


def test_gzip_detected_by_content_not_name(tmp_path, images):
    write_idx(tmp_path / "f.gz", images)
    (tmp_path / "f.gz").rename(tmp_path / "plain-name")
    assert np.array_equal(read_images(tmp_path / "plain-name"), images)


def test_image_size_checked(tmp_path):
    write_idx(tmp_path / "f", np.zeros((3, 20, 20), np.uint8))
    with pytest.raises(DataError, match="20x20, expected 28x28"):
        read_images(tmp_path / "f")


def test_label_out_of_range(tmp_path):
    write_idx(tmp_path / "f", np.array([1, 2, 12], np.uint8))
    with pytest.raises(DataError, match="label 12 out of range"):
        read_labels(tmp_path / "f")


def test_missing_file_named(tmp_path):
    with pytest.raises(DataError, match="nope: cannot read"):
        read_idx(tmp_path / "nope")


def test_folder_mismatched_counts_names_both_files(tmp_path):
    write_fake_dataset("mnist", tmp_path, n_train=10, n_test=5)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(9, np.uint8))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz holds 10 images but .*"
                                        r"train-labels-idx1-ubyte.gz holds 9 labels"):
        load_idx_folder(tmp_path)


def test_folder_accepts_raw_and_dotted_names(tmp_path, images):
    labels = np.arange(100, dtype=np.uint8) % 10
    write_idx(tmp_path / "train-images.idx3-ubyte", images)
    write_idx(tmp_path / "train-labels.idx1-ubyte", labels)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images[:7])
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(
        struct.pack(">II", 2049, 7) + labels[:7].tobytes()))
    train_x, train_y, test_x, test_y = load_idx_folder(tmp_path)
    assert np.array_equal(train_x, images) and np.array_equal(test_y, labels[:7])
    assert test_x.shape == (7, 28, 28) and train_y.dtype == np.int64


def test_folder_missing_file(tmp_path):
    write_fake_dataset("mnist", tmp_path, n_train=4, n_test=2)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    assert find_idx_files(tmp_path) is None
    with pytest.raises(DataError, match="missing MNIST files"):
        load_idx_folder(tmp_path)
