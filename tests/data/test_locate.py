import subprocess

import pytest

from nbcnn.data import locate
from nbcnn.data.dataset import load_dataset
from nbcnn.data.errors import DataError, DatasetNotFoundError
from nbcnn.data.fake import write_fake_dataset
from nbcnn.data.locate import cache_dir, candidate_folders, find_dataset

real_debian_lookup = locate.debian_fashion_mnist_dir


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No real data: an empty cache, no $NBCNN_DATA, no Debian package."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("NBCNN_DATA", raising=False)
    monkeypatch.setattr(locate, "debian_fashion_mnist_dir", lambda: None)


def test_cache_dir_follows_xdg(tmp_path, monkeypatch):
    assert cache_dir() == tmp_path / "xdg" / "nbcnn"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "nbcnn"


def test_found_in_each_place(tmp_path, monkeypatch):
    write_fake_dataset("mnist", tmp_path / "xdg" / "nbcnn" / "mnist", n_train=4, n_test=2)
    assert find_dataset("mnist") == tmp_path / "xdg" / "nbcnn" / "mnist"
    write_fake_dataset("mnist", tmp_path / "env" / "mnist", n_train=4, n_test=2)
    monkeypatch.setenv("NBCNN_DATA", str(tmp_path / "env"))
    assert find_dataset("mnist") == tmp_path / "env" / "mnist"
    write_fake_dataset("mnist", tmp_path / "given", n_train=4, n_test=2)  # files directly in data_dir
    assert find_dataset("MNIST", data_dir=tmp_path / "given") == tmp_path / "given"
    write_fake_dataset("mnist", tmp_path / "given" / "mnist", n_train=4, n_test=2)
    assert find_dataset("mnist", data_dir=tmp_path / "given") == tmp_path / "given" / "mnist"


def test_cifar_found_inside_its_official_folder_or_archive(tmp_path):
    write_fake_dataset("cifar10", tmp_path / "d" / "cifar10", n_train=10, n_test=2, archive=True)
    assert find_dataset("cifar-10", data_dir=tmp_path / "d") == tmp_path / "d" / "cifar10" / "cifar-10-batches-py"


def test_other_dataset_is_not_taken(tmp_path):
    write_fake_dataset("cifar10", tmp_path / "d", n_train=10, n_test=2)
    with pytest.raises(DatasetNotFoundError):
        find_dataset("mnist", data_dir=tmp_path / "d")


def test_not_found_says_what_and_where(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        find_dataset("mnist", data_dir=tmp_path / "given")
    message = str(info.value)
    for folder in candidate_folders("mnist", tmp_path / "given"):
        assert str(folder) in message
    assert "train-images-idx3-ubyte" in message and "t10k-labels-idx1-ubyte" in message
    assert "nbcnn data download mnist" in message and str(tmp_path / "xdg" / "nbcnn" / "mnist") in message


def test_fashion_mnist_searches_debian_last(tmp_path, monkeypatch):
    monkeypatch.setattr(locate, "debian_fashion_mnist_dir", lambda: tmp_path / "deb")
    assert candidate_folders("fashion-mnist")[-1] == tmp_path / "deb"
    assert tmp_path / "deb" not in candidate_folders("mnist")
    write_fake_dataset("fashion-mnist", tmp_path / "deb", n_train=4, n_test=2)
    assert load_dataset("fashion_mnist").classes[0] == "T-shirt/top"


@pytest.mark.parametrize("listing, expected", [
    ("/.\n/usr/share/datasets/fm\n/usr/share/datasets/fm/train-images-idx3-ubyte.gz\n", "/usr/share/datasets/fm"),
    (FileNotFoundError("dpkg"), None),
    (subprocess.CalledProcessError(1, "dpkg"), None),
])
def test_debian_lookup_asks_dpkg(monkeypatch, listing, expected):
    def fake_run(*args, **kwargs):
        if isinstance(listing, Exception):
            raise listing
        return subprocess.CompletedProcess(args, 0, stdout=listing)
    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr(locate, "DEBIAN_FASHION_MNIST", locate.Path("/nonexistent/fashion"))
    real_debian_lookup.cache_clear()
    try:
        found = real_debian_lookup()
    finally:
        real_debian_lookup.cache_clear()
    assert found == (None if expected is None else locate.Path(expected))


def test_load_by_path_infers_name(tmp_path):
    write_fake_dataset("fashion-mnist", tmp_path / "my-fashion", n_train=6, n_test=3)
    ds = load_dataset(tmp_path / "my-fashion")
    assert ds.name == "fashion-mnist" and ds.num_classes == 10 and ds.input_shape == (1, 28, 28)
    assert ds.train_images.shape == (6, 1, 28, 28) and ds.test_labels.shape == (3,)


def test_load_by_path_without_data(tmp_path):
    with pytest.raises(DataError, match="no dataset found in this folder"):
        load_dataset(tmp_path)


def test_unknown_name(tmp_path):
    with pytest.raises(DataError, match="neither a known dataset"):
        load_dataset("imagenet")
