"""Checkpoints as .npz files: arrays by prefixed name plus one JSON metadata entry. Loading needs no pickle.

Writes are atomic (temporary file in the same folder, fsync, rename), so an interrupted or failed write
leaves the previous checkpoint intact.
"""
import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np

from ..fileio import fsync_folder

_META = "__meta__"


class CheckpointError(RuntimeError):
    pass


def save(path, arrays, meta):
    """arrays: {name: ndarray}; meta: a JSON-serialisable dict."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    payload = dict(arrays)
    payload[_META] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise CheckpointError(f"could not write checkpoint {path}: {error.strerror or error} "
                              f"(the previous checkpoint, if any, is unchanged)") from error
    fsync_folder(path.parent)
    return path


def alias(source, path):
    """Make `path` name the checkpoint `source` atomically: a hard link where the file system has them (no bytes
    written), else a copy. Replacing `path` later never touches `source`."""
    source, path = Path(source), Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise CheckpointError(f"could not write checkpoint {path}: {error.strerror or error}") from error
    fsync_folder(path.parent)
    return path


def load(path):
    """(arrays, meta) from a checkpoint written by save()."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise CheckpointError(f"{path} is not a readable nbcnn checkpoint (truncated or corrupt): {error}") from error
    if _META not in arrays:
        raise CheckpointError(f"{path} is not an nbcnn checkpoint: it has no {_META} entry")
    meta = json.loads(arrays.pop(_META).tobytes().decode())
    return arrays, meta


def split_prefixed(arrays, prefix):
    """{name: array} of the entries saved under `prefix/`, without the prefix."""
    start = len(prefix) + 1
    return {k[start:]: v for k, v in arrays.items() if k.startswith(prefix + "/")}


def prefixed(prefix, arrays):
    return {f"{prefix}/{k}": np.asarray(v) for k, v in arrays.items()}

