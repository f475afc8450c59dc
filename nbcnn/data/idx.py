"""IDX files, the MNIST format: a big-endian header (magic, dimensions) then the raw array, optionally gzipped."""
import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from .errors import DataError

# The magic's third byte is the element type, the fourth the number of dimensions.
_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: "i2", 0x0C: "i4", 0x0D: "f4", 0x0E: "f8"}
_CODES = {kind: code for code, kind in _TYPES.items()}
IMAGES_MAGIC = 0x0803  # 2051: unsigned bytes, 3 dimensions (N, rows, cols)
LABELS_MAGIC = 0x0801  # 2049: unsigned bytes, 1 dimension (N,)


def read_bytes(path) -> bytes:
    """The file's content, gunzipped when it starts with the gzip signature (whatever its name)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror})") from e
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: corrupt or truncated gzip data ({e})") from e


def read_idx(path, magic=None) -> np.ndarray:
    """The array an IDX file holds; checks the magic (if given) and that the size matches the header exactly."""
    data = read_bytes(path)
    if len(data) < 4:
        raise DataError(f"{path}: {len(data)} bytes, too short for an IDX header")
    found = struct.unpack(">I", data[:4])[0]
    if magic is not None and found != magic:
        raise DataError(f"{path}: bad magic number {found} (expected {magic}); wrong or corrupt file")
    ndim, code = found & 0xFF, (found >> 8) & 0xFF
    if found >> 16 or code not in _TYPES:
        raise DataError(f"{path}: bad magic number {found}; not an IDX file")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: truncated inside the header ({len(data)} of {header} bytes)")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(">" + _TYPES[code])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "trailing garbage"
        raise DataError(f"{path}: {problem}: the header's shape {shape} needs {expected} bytes, "
                        f"the file holds {len(data)}")
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array) -> None:
    """Write array in the official IDX layout; gzipped (reproducibly, mtime 0) when path ends in .gz."""
    array = np.asarray(array)
    kind = f"{array.dtype.kind}{array.dtype.itemsize}"
    if kind not in _CODES:
        raise ValueError(f"IDX cannot hold dtype {array.dtype}")
    header = struct.pack(">HBB", 0, _CODES[kind], array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(">" + kind).tobytes()
    Path(path).write_bytes(gzip.compress(data, mtime=0) if str(path).endswith(".gz") else data)


def read_images(path, size=(28, 28)) -> np.ndarray:
    """MNIST-style images: uint8 (N, rows, cols), checked to be size."""
    images = read_idx(path, IMAGES_MAGIC)
    if images.shape[1:] != tuple(size):
        raise DataError(f"{path}: images are {images.shape[1]}x{images.shape[2]}, expected {size[0]}x{size[1]}")
    return images


def read_labels(path, num_classes=10) -> np.ndarray:
    """MNIST-style labels: int64 (N,), checked to lie in [0, num_classes)."""
    labels = read_idx(path, LABELS_MAGIC).astype(np.int64)
    if labels.size and labels.max() >= num_classes:
        raise DataError(f"{path}: label {labels.max()} out of range for {num_classes} classes; corrupt file")
    return labels
