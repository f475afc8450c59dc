"""Decoding a list of PNG/JPEG files with Pillow into one uint8 (N, C, H, W) array, on every core."""
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from .errors import DataError

_CHUNK = 1024         # images per task: large enough that the pool's overhead vanishes, small for smooth progress
_GRAY = {"1", "L"}    # single-channel modes; anything else (palette, alpha, CMYK, 16-bit) becomes RGB


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise DataError("reading image folders needs Pillow, which is not installed: "
                        "pip install 'nbcnn[image]'") from None
    return Image


def _open(path: Path):
    """(the image as RGB, whether it was grayscale)."""
    Image = _pillow()
    # Pillow reports a damaged file in several ways depending on the format and on how far decoding got.
    try:
        with Image.open(path) as image:
            gray = image.mode in _GRAY
            return image.convert("RGB"), gray
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise DataError(f"{path}: cannot decode this image ({type(e).__name__}: {e})") from e


def _decode_chunk(paths, reference: Path, size) -> tuple[np.ndarray, bool]:
    """(uint8 (n, 3, H, W) of paths, whether every one was grayscale); size is (width, height), as reference's."""
    out = np.empty((len(paths), 3, size[1], size[0]), np.uint8)
    all_gray = True
    for i, path in enumerate(paths):
        image, gray = _open(path)
        if image.size != size:
            raise DataError(f"images differ in size: {reference} is {size[0]}x{size[1]} but {path} is "
                            f"{image.size[0]}x{image.size[1]}; resize them to one size first")
        out[i] = np.asarray(image).transpose(2, 0, 1)  # (H, W, 3) -> (3, H, W)
        all_gray &= gray
    return out, all_gray


def _cpus() -> int:
    # The cores this process may run on, which a container or taskset can make fewer than the machine has.
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _pool(workers: int):
    """A process pool, or None where one cannot help or cannot be had."""
    # Pillow parses each file's headers in Python holding the GIL, so threads do not decode faster than one; processes
    # do. Only fork starts them without re-running the caller's script, which a script with no __main__ guard
    # would not survive; where fork is missing (Windows) the images are decoded here.
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))


def decode_images(paths, progress=None, workers=None) -> np.ndarray:
    """uint8 (N, C, H, W) of the images at paths, in order: C is 1 when every image is grayscale, else 3 (RGB).

    All images must have the size of the first. Chunks of files are decoded in worker processes (workers, default
    one per usable core); progress(done, total), if given, is called after each chunk.
    """
    paths = [Path(p) for p in paths]
    size = _open(paths[0])[0].size
    chunks = [paths[start:start + _CHUNK] for start in range(0, len(paths), _CHUNK)]
    pool = _pool(min(len(chunks), workers or _cpus()))
    if pool is None:
        results = (_decode_chunk(chunk, paths[0], size) for chunk in chunks)
    else:
        results = (future.result() for future in [pool.submit(_decode_chunk, chunk, paths[0], size)
                                                  for chunk in chunks])
    out = np.empty((len(paths), 3, size[1], size[0]), np.uint8)
    done, all_gray = 0, True
    try:
        for images, gray in results:
            out[done:done + len(images)] = images
            done += len(images)
            all_gray &= gray
            if progress is not None:
                progress(done, len(paths))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)  # after an error, the chunks not yet started need not run
    return np.ascontiguousarray(out[:, :1]) if all_gray else out
