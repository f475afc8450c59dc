import pytest

from nbcnn.data.dataset import load_dataset
from nbcnn.data.locate import debian_fashion_mnist_dir


@pytest.mark.skipif(debian_fashion_mnist_dir() is None, reason="Debian's dataset-fashion-mnist is not installed")
def test_debian_fashion_mnist_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # nothing else to find: it must be Debian's copy
    monkeypatch.delenv("NBCNN_DATA", raising=False)
    ds = load_dataset("fashion-mnist")
    assert ds.train_images.shape == (60000, 1, 28, 28) and ds.test_images.shape == (10000, 1, 28, 28)
    assert ds.train_labels.min() == 0 and ds.train_labels.max() == 9 and ds.test_labels.max() == 9
    assert ds.num_classes == 10 and ds.classes[9] == "Ankle boot"
