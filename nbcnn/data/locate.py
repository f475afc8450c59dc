"""Where datasets live: a folder the caller names, $NBCNN_DATA, the per-user cache, and Debian's Fashion-MNIST."""
import functools
import os
import subprocess
from pathlib import Path

from .errors import DatasetNotFoundError
from .layouts import detect_layout
from .specs import get_spec

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def cache_dir() -> Path:
    """The per-user data folder: $XDG_CACHE_HOME/nbcnn, else ~/.cache/nbcnn."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nbcnn"


@functools.lru_cache(maxsize=1)
def debian_fashion_mnist_dir() -> Path | None:
    """The folder of Debian's dataset-fashion-mnist package (asks dpkg, falls back to the usual path), or None."""
    try:
        listing = subprocess.run(["dpkg", "-L", "dataset-fashion-mnist"], capture_output=True, text=True,
                                 timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):  # no dpkg, package not installed, or dpkg stuck
        listing = ""
    for line in listing.splitlines():
        if Path(line).name.startswith("train-images-idx3-ubyte"):
            return Path(line).parent
    return DEBIAN_FASHION_MNIST if DEBIAN_FASHION_MNIST.is_dir() else None


def candidate_folders(name: str, data_dir=None) -> list[Path]:
    """The folders searched for a dataset, in order.

    data_dir/NAME and data_dir itself, $NBCNN_DATA/NAME, then the cache's NAME folder; for fashion-mnist, Debian's
    folder last. Only data_dir is searched directly: a bare IDX folder cannot say if it holds MNIST or Fashion-MNIST,
    so it is taken for whichever the caller asked.
    """
    spec = get_spec(name)
    folders = [Path(data_dir) / spec.name, Path(data_dir)] if data_dir else []
    if os.environ.get("NBCNN_DATA"):
        folders.append(Path(os.environ["NBCNN_DATA"]) / spec.name)
    folders.append(cache_dir() / spec.name)
    if spec.name == "fashion-mnist" and debian_fashion_mnist_dir() is not None:
        folders.append(debian_fashion_mnist_dir())
    return folders


def find_dataset(name: str, data_dir=None) -> Path:
    """The folder holding the files of dataset `name`; DatasetNotFoundError says what to put where when none does."""
    spec = get_spec(name)
    folders = candidate_folders(name, data_dir)
    for folder in folders:
        found = detect_layout(folder, spec.layouts)
        if found:
            return found[1]
    looked = "\n".join(f"  {folder}" for folder in folders)
    debian = ""
    if spec.name == "fashion-mnist":
        debian = "\nOn Debian or Ubuntu, `apt install dataset-fashion-mnist` also works."
    raise DatasetNotFoundError(
        f"dataset {spec.name!r} not found. Looked in:\n{looked}\n"
        f"It needs: {spec.needed}.\n"
        f"Run `nbcnn data download {spec.name}`, or put the files in {cache_dir() / spec.name} "
        f"(or in a {spec.name}/ folder under $NBCNN_DATA or under the folder given as --data-dir).{debian}")
