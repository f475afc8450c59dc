"""Datasets for nbcnn: reading MNIST, Fashion-MNIST and CIFAR files, finding and downloading them, and
serving normalised, optionally augmented, mini-batches as numpy arrays. Depends only on numpy."""
from .dataset import Dataset, load_dataset
from .download import download
from .errors import DataError, DatasetNotFoundError, DownloadError
from .idx import read_idx, write_idx
from .loader import DataLoader
from .locate import cache_dir, find_dataset
from .specs import DATASETS
from .split import shard, train_val_split
from .transforms import channel_stats, flip_left_right, normalize, random_crop_flip, random_translate

__all__ = ["Dataset", "load_dataset", "download", "DataError", "DatasetNotFoundError", "DownloadError", "read_idx",
           "write_idx", "DataLoader", "cache_dir", "find_dataset", "DATASETS", "shard", "train_val_split",
           "channel_stats", "flip_left_right", "normalize", "random_crop_flip", "random_translate"]
