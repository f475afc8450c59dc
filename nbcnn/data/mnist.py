"""A folder of the four MNIST / Fashion-MNIST IDX files: finding them under their usual names and pairing them."""
from pathlib import Path

import numpy as np

from .errors import DataError
from .idx import read_images, read_labels

IDX_FILES = {"train-images": "idx3", "train-labels": "idx1", "t10k-images": "idx3", "t10k-labels": "idx1"}
IDX_NEEDED = ", ".join(f"{role}-{kind}-ubyte" for role, kind in IDX_FILES.items()) + " (each raw or .gz)"


def _names(role: str) -> list[str]:
    # The official name, and the dotted one some unpackers and mirrors use (train-images.idx3-ubyte).
    kind = IDX_FILES[role]
    return [f"{base}{gz}" for base in (f"{role}-{kind}-ubyte", f"{role}.{kind}-ubyte") for gz in ("", ".gz")]


def find_idx_files(folder) -> dict[str, Path] | None:
    """role -> path for the four files in folder, or None when any is missing."""
    found = {}
    for role in IDX_FILES:
        paths = [Path(folder) / name for name in _names(role) if (Path(folder) / name).is_file()]
        if not paths:
            return None
        found[role] = paths[0]
    return found


def load_idx_folder(folder) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train_images, train_labels, test_images, test_labels): uint8 (N, 28, 28) and int64 (N,)."""
    files = find_idx_files(folder)
    if files is None:
        raise DataError(f"{folder}: missing MNIST files; needs {IDX_NEEDED}")
    arrays = []
    for split in ("train", "t10k"):
        images, labels = read_images(files[f"{split}-images"]), read_labels(files[f"{split}-labels"])
        if len(images) != len(labels):
            raise DataError(f"{files[f'{split}-images']} holds {len(images)} images but "
                            f"{files[f'{split}-labels']} holds {len(labels)} labels; the files do not belong together")
        arrays += [images, labels]
    return tuple(arrays)
