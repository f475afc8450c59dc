"""Pixel statistics, normalisation and the CIFAR augmentations (crop, translation, flips), on uint8 NCHW numpy
arrays."""
import numpy as np


def _check_nchw_uint8(images) -> None:
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(f"expected uint8 images of shape (N, C, H, W), got "
                         f"{getattr(images, 'dtype', type(images).__name__)} {getattr(images, 'shape', '')}")


def channel_stats(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of uint8 (N, C, H, W) images on the [0, 1] scale.

    Returns two float32 arrays of shape (C,): compute them on the training split and keep them in the checkpoint.
    """
    _check_nchw_uint8(images)
    values = np.arange(256, dtype=np.float64) / 255.0
    means, stds = [], []
    for c in range(images.shape[1]):
        # A 256-bin histogram gives exact float64 moments without a float copy of the whole split.
        counts = np.bincount(images[:, c].ravel(), minlength=256)
        mean = counts @ values / counts.sum()
        means.append(mean)
        stds.append(np.sqrt(counts @ (values - mean) ** 2 / counts.sum()))
    return np.array(means, np.float32), np.array(stds, np.float32)


def normalize(images: np.ndarray, mean, std) -> np.ndarray:
    """(images / 255 - mean) / std per channel, as float32 (N, C, H, W)."""
    _check_nchw_uint8(images)
    mean, std = np.asarray(mean, np.float32), np.asarray(std, np.float32)
    if mean.shape != (images.shape[1],) or std.shape != mean.shape:
        raise ValueError(f"mean and std need shape ({images.shape[1]},), got {mean.shape} and {std.shape}")
    if np.any(std <= 0):
        raise ValueError(f"std must be positive, got {std}")
    scale = (1.0 / (255.0 * std)).reshape(1, -1, 1, 1)
    shift = (-mean / std).reshape(1, -1, 1, 1)
    out = images.astype(np.float32)
    out *= scale
    out += shift
    return out


PAD_MODES = ("zero", "reflect")


def random_crop_flip(images: np.ndarray, rng: np.random.Generator, padding: int = 4, mode: str = "zero") -> np.ndarray:
    """The standard CIFAR training augmentation, per image: pad with `padding` pixels on every side (zeros, or
    the image reflected about its edge), crop back to the original size at a random offset, and mirror
    left-right with probability 1/2.

    Draws everything from rng, so a given generator state always gives the same batch. Returns a new array of
    the same shape and dtype.
    """
    n = len(images)
    dy = rng.integers(0, 2 * padding + 1, size=n)
    dx = rng.integers(0, 2 * padding + 1, size=n)
    flip = rng.random(n) < 0.5
    return _crop(_pad(images, padding, mode), dy, dx, flip, images.shape[2:])


def random_translate(images: np.ndarray, rng: np.random.Generator, padding: int = 2,
                     mode: str = "reflect") -> np.ndarray:
    """random_crop_flip without the flip: shift each image by up to `padding` pixels each way (airbench pads by 2
    with reflection), for pipelines that flip by other rules (DataLoader's alternate_flips)."""
    n = len(images)
    dy = rng.integers(0, 2 * padding + 1, size=n)
    dx = rng.integers(0, 2 * padding + 1, size=n)
    return _crop(_pad(images, padding, mode), dy, dx, np.zeros(n, bool), images.shape[2:])


def flip_left_right(images: np.ndarray, flip: np.ndarray) -> np.ndarray:
    """A copy of images with those where flip (bool (N,)) is set mirrored left-right."""
    return np.where(flip[:, None, None, None], images[..., ::-1], images)


def _pad(images, padding, mode):
    if mode not in PAD_MODES:
        raise ValueError(f"padding mode must be one of {', '.join(PAD_MODES)}, got {mode!r}")
    return np.pad(images, ((0, 0), (0, 0), (padding, padding), (padding, padding)),
                  mode="constant" if mode == "zero" else "reflect")


def _crop(padded, dy, dx, flip, size):
    """Per image i, the size crop of padded at (dy[i], dx[i]), read right to left where flip[i]."""
    n, c = padded.shape[:2]
    h, w = size
    rows = dy[:, None] + np.arange(h)                        # (N, H)
    cols = dx[:, None] + np.arange(w)                        # (N, W)
    cols = np.where(flip[:, None], cols[:, ::-1], cols)      # a mirrored crop reads its columns backwards
    return padded[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None],
                  rows[:, None, :, None], cols[:, None, None, :]]
