"""The folder formats datasets come in, and telling which one a folder holds."""
from pathlib import Path

from .archive import safe_extract
from .cifar import TRAIN_BATCHES
from .mnist import find_idx_files

# layout -> (the folder its official archive unpacks to, the files that must be there)
_CIFAR = {
    "cifar10-python": ("cifar-10-batches-py", (*TRAIN_BATCHES, "test_batch")),
    "cifar10-binary": ("cifar-10-batches-bin", (*(f"{name}.bin" for name in TRAIN_BATCHES), "test_batch.bin")),
    "cifar100-python": ("cifar-100-python", ("train", "test")),
}
# Any folder with a train/ sub-folder is taken for an image folder, so that one missing test/ or holding no images
# is reported as such by its reader rather than as "no dataset found".
IMAGE_FOLDER = "image-folder"
LAYOUTS = ("idx", *_CIFAR, IMAGE_FOLDER)
ARCHIVES = {"cifar-10-python.tar.gz": "cifar10-python", "cifar-10-binary.tar.gz": "cifar10-binary",
            "cifar-100-python.tar.gz": "cifar100-python"}


def unpack_archives(folder, layouts=LAYOUTS) -> None:
    """Unpack, next to itself, each official archive in folder whose folder is not there yet."""
    folder = Path(folder)
    for archive, layout in ARCHIVES.items():
        if layout in layouts and (folder / archive).is_file() and not (folder / _CIFAR[layout][0]).exists():
            safe_extract(folder / archive, folder)


def detect_layout(folder, layouts=LAYOUTS) -> tuple[str, Path] | None:
    """(layout, the folder holding its files) for the first of layouts found in folder or its official subfolder.

    An official archive lying in folder is unpacked first, so dropping the downloaded .tar.gz there is enough.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return None
    unpack_archives(folder, layouts)
    for layout in layouts:
        if layout == "idx":
            if find_idx_files(folder):
                return layout, folder
            continue
        if layout == IMAGE_FOLDER:
            if (folder / "train").is_dir():
                return layout, folder
            continue
        inner, files = _CIFAR[layout]
        for candidate in (folder, folder / inner):
            if all((candidate / name).is_file() for name in files):
                return layout, candidate
    return None
