"""A dataset's train and test splits in memory, loaded by name or from a folder."""
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cifar import load_cifar10_binary, load_cifar10_python, load_cifar100_python
from .errors import DataError
from .image_folder import NEEDED as IMAGE_FOLDER_NEEDED, load_image_folder
from .layouts import IMAGE_FOLDER, detect_layout
from .locate import find_dataset
from .mnist import load_idx_folder
from .specs import DATASETS, get_spec, is_known


@dataclass
class Dataset:
    """Both splits of a dataset, as loaded from its files (normalising is the loader's job)."""

    name: str
    train_images: np.ndarray   # (N, C, H, W) uint8
    train_labels: np.ndarray   # (N,) int64
    test_images: np.ndarray    # (M, C, H, W) uint8
    test_labels: np.ndarray    # (M,) int64
    classes: tuple[str, ...]   # class names, indexed by label

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        return tuple(self.train_images.shape[1:])


def _load_idx(folder):
    train_images, train_labels, test_images, test_labels = load_idx_folder(folder)
    return train_images[:, None], train_labels, test_images[:, None], test_labels, None  # add the channel axis


# layout -> reader returning (train_images, train_labels, test_images, test_labels, label names or None)
_READERS = {"idx": _load_idx, "cifar10-python": load_cifar10_python,
            "cifar10-binary": load_cifar10_binary, "cifar100-python": load_cifar100_python}
_LAYOUT_NAMES = {"cifar10-python": "cifar10", "cifar10-binary": "cifar10", "cifar100-python": "cifar100"}


def _name_of(layout: str, folder: Path) -> str:
    # Image files do not say which dataset they are either: the folder's own name (of the link, not its target)
    # is the best name there is.
    if layout == IMAGE_FOLDER:
        return Path(os.path.abspath(folder)).name
    # IDX files do not say which dataset they are; a folder named after Fashion-MNIST is taken at its word.
    if layout == "idx":
        return "fashion-mnist" if "fashion" in str(folder).lower() else "mnist"
    return _LAYOUT_NAMES[layout]


def load_dataset(name_or_path, data_dir=None, progress=None) -> Dataset:
    """Load a dataset by name (mnist, fashion-mnist, cifar10, cifar100), searched for as find_dataset does, or
    from an existing folder in any supported format. A known name wins over a folder of the same name.

    An image folder is decoded on its first load and cached; progress(done, total) follows the decoding.
    """
    if is_known(name_or_path):
        spec = get_spec(name_or_path)
        layout, folder = detect_layout(find_dataset(spec.name, data_dir), spec.layouts)
        name = spec.name
    elif Path(name_or_path).is_dir():
        found = detect_layout(name_or_path)
        if found is None:
            needs = "\n".join(f"  {spec.name}: {spec.needed}" for spec in DATASETS.values())
            raise DataError(f"{name_or_path}: no dataset found in this folder; one of these is needed:\n{needs}\n"
                            f"  any image dataset: {IMAGE_FOLDER_NEEDED}")
        layout, folder = found
        name = _name_of(layout, folder)
    else:
        raise DataError(f"{name_or_path!r} is neither a known dataset ({', '.join(DATASETS)}) nor an existing folder")
    if layout == IMAGE_FOLDER:
        train_images, train_labels, test_images, test_labels, names = load_image_folder(folder, progress)
    else:
        train_images, train_labels, test_images, test_labels, names = _READERS[layout](folder)
    classes = names or get_spec(name).classes
    for labels in (train_labels, test_labels):
        if labels.size and labels.max() >= len(classes):
            raise DataError(f"{folder}: label {labels.max()} but only {len(classes)} class names")
    return Dataset(name, train_images, train_labels, test_images, test_labels, tuple(classes))
