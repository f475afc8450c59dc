"""Arrays decoded once and kept in an .npz file, valid while the fingerprint of their source files holds."""
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

_FINGERPRINT = "_fingerprint"


def read_cache(path, fingerprint: str) -> dict[str, np.ndarray] | None:
    """The arrays stored at path under this fingerprint; None when the file is missing, stale or unreadable."""
    path = Path(path)
    if not path.is_file():
        return None
    # A cache is only a shortcut: a truncated or foreign file fails in many ways, and each means "decode again".
    try:
        with np.load(path, allow_pickle=False) as stored:
            if str(stored[_FINGERPRINT]) != fingerprint:
                return None
            return {key: stored[key] for key in stored.files if key != _FINGERPRINT}
    except Exception:
        return None


def write_cache(path, fingerprint: str, arrays: dict[str, np.ndarray]) -> None:
    """Store arrays at path under fingerprint, atomically; a cache that cannot be written only costs a warning."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **arrays, **{_FINGERPRINT: np.array(fingerprint)})
        os.replace(tmp, path)
    except OSError as e:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        warnings.warn(f"could not cache the decoded images in {path} ({e}); they will be decoded again next time",
                      stacklevel=3)
