"""An image folder: train/CLASS/*.png|jpg|jpeg and test/CLASS/…, decoded once and then read from a cache.

Classes are the sorted sub-folder names of train/; a label is a class's index in that list. Examples alternate
between the classes, each class's files in name order.
"""
import hashlib
import itertools
import os
from pathlib import Path

import numpy as np

from .array_cache import read_cache, write_cache
from .errors import DataError
from .image_decode import decode_images
from .locate import cache_dir

EXTENSIONS = (".png", ".jpg", ".jpeg")
NEEDED = "train/CLASS/*.png|jpg|jpeg and test/CLASS/*.png|jpg|jpeg, the same CLASS folders in both"
_FORMAT = "nbcnn-image-folder-1"  # bump when decoding changes, so caches written by older code are not trusted


def _subfolders(folder: Path) -> list[str]:
    # Hidden folders are a tool's bookkeeping (.ipynb_checkpoints, .git), never a class.
    return sorted(entry.name for entry in os.scandir(folder) if entry.is_dir() and not entry.name.startswith("."))


def _images(folder: Path) -> list[os.DirEntry]:
    entries = [entry for entry in os.scandir(folder)
               if entry.is_file() and entry.name.lower().endswith(EXTENSIONS) and not entry.name.startswith(".")]
    return sorted(entries, key=lambda entry: entry.name)


def _interleave(per_class: list[list]) -> list:
    """The first file of each class, then the second of each, and so on.

    Class by class, any leading part (`nbcnn train --limit N`) would hold one class only; the official CIFAR files
    are mixed for the same reason.
    """
    return [item for row in itertools.zip_longest(*per_class) for item in row if item is not None]


def scan(folder) -> tuple[tuple[str, ...], dict[str, list[tuple[os.DirEntry, int]]]]:
    """(classes, split -> [(image file, label)]), after checking the folders agree with each other."""
    folder = Path(folder)
    for split in ("train", "test"):
        if not (folder / split).is_dir():
            raise DataError(f"{folder}: no {split}/ folder; an image folder needs {NEEDED}")
    classes = _subfolders(folder / "train")
    unpaired = sorted(set(classes) ^ set(_subfolders(folder / "test")))
    if unpaired:
        present, missing = ("train", "test") if unpaired[0] in classes else ("test", "train")
        raise DataError(f"{folder}: class {unpaired[0]!r} is in {present}/ but not in {missing}/ "
                        f"({folder / missing / unpaired[0]} is missing)")
    files = {(split, name): _images(folder / split / name) for split in ("train", "test") for name in classes}
    if not any(files.values()):
        raise DataError(f"{folder}: no images found; an image folder needs {NEEDED}")
    for (split, name), entries in files.items():
        if not entries:
            raise DataError(f"{folder / split / name}: empty class folder (no .png, .jpg or .jpeg files)")
    listing = {split: _interleave([[(entry, label) for entry in files[split, name]]
                                   for label, name in enumerate(classes)])
               for split in ("train", "test")}
    return tuple(classes), listing


def fingerprint(classes, listing) -> str:
    """A digest of every image's path, size and modification time: any added, removed or changed file alters it."""
    lines = [_FORMAT, "\0".join(classes)]
    for split, files in listing.items():
        for entry, label in files:
            stat = entry.stat()
            lines.append(f"{split}\0{label}\0{entry.name}\0{stat.st_size}\0{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def cache_path(folder) -> Path:
    """Where folder's decoded arrays are kept: one file per folder in the per-user cache."""
    # Keyed by the resolved path, so a symlink and its target share one cache, and two folders of the same name do not.
    resolved = Path(folder).resolve()
    key = hashlib.sha256(str(resolved).encode()).hexdigest()[:16]
    return cache_dir() / "image-folders" / f"{resolved.name}-{key}.npz"


def load_image_folder(folder, progress=None):
    """(train_images, train_labels, test_images, test_labels, classes) of an image folder.

    Images are uint8 (N, C, H, W), RGB, or single-channel when every image is grayscale. The first load decodes
    every file (progress(done, total) follows it) and caches the arrays; later loads read the cache while no file
    was added, removed or changed.
    """
    classes, listing = scan(folder)
    key, where = fingerprint(classes, listing), cache_path(folder)
    cached = read_cache(where, key)
    if cached is not None:
        return cached["train_images"], cached["train_labels"], cached["test_images"], cached["test_labels"], classes
    files = listing["train"] + listing["test"]
    images = decode_images([entry.path for entry, _ in files], progress)
    labels = np.array([label for _, label in files], np.int64)
    n_train = len(listing["train"])
    arrays = {"train_images": images[:n_train], "train_labels": labels[:n_train],
              "test_images": images[n_train:], "test_labels": labels[n_train:]}
    write_cache(where, key, arrays)
    return arrays["train_images"], arrays["train_labels"], arrays["test_images"], arrays["test_labels"], classes
