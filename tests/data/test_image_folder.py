"""Image folders (train/CLASS/*.png|jpg, test/CLASS/…): decoding, labels, the cache, and every error named."""
import os
import sys
from io import StringIO

import numpy as np
import pytest

Image = pytest.importorskip("PIL.Image")

from nbcnn.data import image_decode, image_folder  # noqa: E402
from nbcnn.data.dataset import load_dataset  # noqa: E402
from nbcnn.data.errors import DataError  # noqa: E402
from nbcnn.data.image_folder import cache_path  # noqa: E402
from nbcnn.data.layouts import detect_layout  # noqa: E402


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """The cache in tmp_path, no $NBCNN_DATA."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("NBCNN_DATA", raising=False)


def write_png(path, pixels):
    """pixels: uint8 (H, W, 3) or (H, W)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def make_folder(root, counts, shape=(5, 4, 3), seed=0):
    """An image folder of random PNGs; counts: {split: {class: n}}. Returns {"split/class/NNN.png": (C, H, W)
    pixels as written}."""
    rng = np.random.default_rng(seed)
    written = {}
    for split, per_class in counts.items():
        (root / split).mkdir(parents=True, exist_ok=True)
        for name, n in per_class.items():
            (root / split / name).mkdir(exist_ok=True)
            for i in range(n):
                pixels = rng.integers(0, 256, shape, dtype=np.uint8)
                write_png(root / split / name / f"{i:03d}.png", pixels)
                written[f"{split}/{name}/{i:03d}.png"] = pixels.reshape(*shape[:2], -1).transpose(2, 0, 1)
    return written


def stack(written, names):
    return np.array([written[name] for name in names])


TWO_CLASSES = {"train": {"dog": 3, "cat": 2}, "test": {"dog": 1, "cat": 2}}


def test_labels_classes_shapes_and_exact_pixels(tmp_path):
    written = make_folder(tmp_path / "pets", TWO_CLASSES)
    assert detect_layout(tmp_path / "pets") == ("image-folder", tmp_path / "pets")
    data = load_dataset(tmp_path / "pets")
    assert data.name == "pets" and data.classes == ("cat", "dog")
    assert data.train_images.shape == (5, 3, 5, 4) and data.test_images.shape == (3, 3, 5, 4)
    assert data.train_images.dtype == np.uint8 and data.train_labels.dtype == np.int64
    # The classes take turns, so that the first few examples are not all cats.
    np.testing.assert_array_equal(data.train_labels, [0, 1, 0, 1, 1])
    np.testing.assert_array_equal(data.test_labels, [0, 1, 0])
    np.testing.assert_array_equal(data.train_images, stack(written, ["train/cat/000.png", "train/dog/000.png",
                                                                     "train/cat/001.png", "train/dog/001.png",
                                                                     "train/dog/002.png"]))
    np.testing.assert_array_equal(data.test_images, stack(written, ["test/cat/000.png", "test/dog/000.png",
                                                                    "test/cat/001.png"]))


def test_grayscale_images_give_one_channel_and_mixed_ones_rgb(tmp_path):
    written = make_folder(tmp_path / "gray", {"train": {"a": 2}, "test": {"a": 1}}, shape=(3, 6))
    train_names = ["train/a/000.png", "train/a/001.png"]
    data = load_dataset(tmp_path / "gray")
    assert data.input_shape == (1, 3, 6)
    np.testing.assert_array_equal(data.train_images, stack(written, train_names))
    write_png(tmp_path / "gray" / "test" / "a" / "rgb.png", np.full((3, 6, 3), (10, 20, 30), np.uint8))
    data = load_dataset(tmp_path / "gray")
    assert data.input_shape == (3, 3, 6)
    # A grayscale image among colour ones becomes three equal planes.
    np.testing.assert_array_equal(data.train_images, np.repeat(stack(written, train_names), 3, axis=1))
    assert data.test_images[1, :, 0, 0].tolist() == [10, 20, 30]


def test_jpeg_any_case_extension_and_other_files_ignored(tmp_path):
    root = tmp_path / "photos"
    for split in ("train", "test"):
        for name, colour in (("blue", (20, 40, 200)), ("red", (200, 30, 10))):
            folder = root / split / name
            folder.mkdir(parents=True)
            Image.new("RGB", (8, 8), colour).save(folder / "a.JPG", quality=95)
            Image.new("RGB", (8, 8), colour).save(folder / "b.jpeg", format="JPEG", quality=95)
            (folder / "notes.txt").write_text("not an image")
    data = load_dataset(root)
    assert data.classes == ("blue", "red") and len(data.train_images) == 4
    # JPEG is lossy: a flat colour comes back within a few levels.
    means = data.train_images.reshape(4, 3, -1).mean(axis=2)
    np.testing.assert_allclose(means, [[20, 40, 200], [200, 30, 10]] * 2, atol=4)


def test_progress_reaches_the_total(tmp_path):
    make_folder(tmp_path / "pets", TWO_CLASSES)
    calls = []
    load_dataset(tmp_path / "pets", progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (8, 8)


def refuse_to_decode(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("decoded again although the cache is valid")
    monkeypatch.setattr(image_folder, "decode_images", fail)


def test_second_load_reads_the_cache(tmp_path, monkeypatch):
    make_folder(tmp_path / "pets", TWO_CLASSES)
    first = load_dataset(tmp_path / "pets")
    assert cache_path(tmp_path / "pets").is_file()
    assert cache_path(tmp_path / "pets").is_relative_to(tmp_path / "xdg" / "nbcnn")
    refuse_to_decode(monkeypatch)
    second = load_dataset(tmp_path / "pets")
    np.testing.assert_array_equal(second.train_images, first.train_images)
    np.testing.assert_array_equal(second.test_labels, first.test_labels)
    assert second.classes == first.classes


@pytest.mark.parametrize("change", ["modified", "added", "removed"])
def test_any_changed_file_invalidates_the_cache(tmp_path, change):
    make_folder(tmp_path / "pets", TWO_CLASSES)
    load_dataset(tmp_path / "pets")
    image = tmp_path / "pets" / "train" / "cat" / "000.png"
    if change == "modified":
        write_png(image, np.full((5, 4, 3), 7, np.uint8))
        os.utime(image, ns=(1, 1))  # a distinct mtime even where the clock is coarse
    elif change == "added":
        write_png(image.with_name("new.png"), np.full((5, 4, 3), 7, np.uint8))
    else:
        image.unlink()
    data = load_dataset(tmp_path / "pets")
    expected = {"modified": 5, "added": 6, "removed": 4}[change]
    assert len(data.train_images) == expected
    if change != "removed":
        assert (data.train_images == 7).all(axis=(1, 2, 3)).sum() == 1


def test_corrupt_cache_is_rebuilt(tmp_path, monkeypatch):
    make_folder(tmp_path / "pets", TWO_CLASSES)
    first = load_dataset(tmp_path / "pets").train_images
    cache = cache_path(tmp_path / "pets")
    cache.write_bytes(cache.read_bytes()[:200])  # truncated mid-write by some other tool
    np.testing.assert_array_equal(load_dataset(tmp_path / "pets").train_images, first)
    refuse_to_decode(monkeypatch)
    np.testing.assert_array_equal(load_dataset(tmp_path / "pets").train_images, first)


def test_unwritable_cache_only_warns(tmp_path, monkeypatch):
    make_folder(tmp_path / "pets", TWO_CLASSES)
    (tmp_path / "xdg").write_text("a file where the cache folder should be")
    with pytest.warns(UserWarning, match="could not cache"):
        assert len(load_dataset(tmp_path / "pets").train_images) == 5


def test_worker_processes_give_the_same_arrays_and_errors(tmp_path, monkeypatch):
    written = make_folder(tmp_path / "pets", TWO_CLASSES)
    names = sorted(name for name in written if name.startswith("train/"))
    paths = [tmp_path / "pets" / name for name in names]
    monkeypatch.setattr(image_decode, "_CHUNK", 2)  # three chunks for two workers
    np.testing.assert_array_equal(image_decode.decode_images(paths, workers=2), stack(written, names))
    paths[-1].write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(DataError, match=str(paths[-1])):
        image_decode.decode_images(paths, workers=2)


def test_cifar10_by_name_finds_an_image_folder(tmp_path):
    classes = ("airplane", "automobile", "bird")
    make_folder(tmp_path / "d" / "cifar10", {split: {name: 1 for name in classes} for split in ("train", "test")},
                shape=(32, 32, 3))
    data = load_dataset("cifar10", data_dir=tmp_path / "d")
    assert data.name == "cifar10" and data.classes == classes and data.input_shape == (3, 32, 32)


def error_for(folder) -> str:
    with pytest.raises(DataError) as info:
        load_dataset(folder)
    return str(info.value)


def test_corrupt_image_is_named(tmp_path):
    make_folder(tmp_path / "pets", TWO_CLASSES)
    bad = tmp_path / "pets" / "test" / "dog" / "000.png"
    bad.write_bytes(b"not a png at all")
    assert str(bad) in error_for(tmp_path / "pets")


def test_empty_class_folder_is_named(tmp_path):
    make_folder(tmp_path / "pets", TWO_CLASSES)
    (tmp_path / "pets" / "test" / "fish").mkdir()
    (tmp_path / "pets" / "train" / "fish").mkdir()
    assert f"{tmp_path / 'pets' / 'train' / 'fish'}: empty class folder" in error_for(tmp_path / "pets")


@pytest.mark.parametrize("split,other", [("train", "test"), ("test", "train")])
def test_class_in_one_split_only(tmp_path, split, other):
    make_folder(tmp_path / "pets", TWO_CLASSES)
    write_png(tmp_path / "pets" / split / "fish" / "0.png", np.zeros((5, 4, 3), np.uint8))
    message = error_for(tmp_path / "pets")
    assert f"'fish' is in {split}/ but not in {other}/" in message
    assert str(tmp_path / "pets" / other / "fish") in message


def test_mixed_sizes_name_a_file_of_each(tmp_path):
    make_folder(tmp_path / "pets", TWO_CLASSES)
    odd = tmp_path / "pets" / "test" / "dog" / "000.png"
    write_png(odd, np.zeros((6, 4, 3), np.uint8))
    message = error_for(tmp_path / "pets")
    assert str(tmp_path / "pets" / "train" / "cat" / "000.png") in message and "4x5" in message
    assert str(odd) in message and "4x6" in message


def test_no_images_at_all(tmp_path):
    for split in ("train", "test"):
        (tmp_path / "empty" / split / "cat").mkdir(parents=True)
    assert "no images found" in error_for(tmp_path / "empty")


def test_train_without_test(tmp_path):
    make_folder(tmp_path / "pets", {"train": {"cat": 1}})
    assert f"{tmp_path / 'pets'}: no test/ folder" in error_for(tmp_path / "pets")


def test_missing_pillow_says_how_to_install_it(tmp_path, monkeypatch):
    make_folder(tmp_path / "pets", TWO_CLASSES)
    monkeypatch.setitem(sys.modules, "PIL", None)  # makes `from PIL import Image` raise ImportError
    assert "pip install 'nbcnn[image]'" in error_for(tmp_path / "pets")


def test_cli_draws_decode_progress_every_tenth():
    from nbcnn_cli.common import decode_progress
    stream = StringIO()  # not a terminal: whole lines, not a bar redrawn in place
    report = decode_progress(stream)
    for done in range(1, 101):
        report(done, 100)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11 and ": 1/100, 0:00 elapsed" in lines[0] and ": 100/100, 0:00 elapsed" in lines[-1]
