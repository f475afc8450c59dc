"""Fetching a dataset's files: mirrors tried in turn, retries with backoff, checksums verified, atomic writes."""
import hashlib
import http.client
import os
import tempfile
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from ..fileio import fsync_folder
from .errors import DownloadError
from .layouts import unpack_archives
from .specs import get_spec


_CHUNK = 1 << 16


class TruncatedDownload(OSError):
    """The connection closed before Content-Length bytes arrived: worth retrying."""


class _BadChecksum(Exception):
    """The mirror serves other bytes than the official file: retrying it will not help."""


def _algorithm(digest: str) -> str:
    return "sha256" if len(digest) == 64 else "md5"


def _hasher(digest: str):
    # MD5 only spots damaged files here; saying so keeps it usable where FIPS mode forbids MD5 for security.
    return hashlib.new(_algorithm(digest), usedforsecurity=False)


def _file_digest(path, digest: str) -> str:
    h = _hasher(digest)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _fetch(url: str, target: Path, digest: str, progress, timeout: float) -> None:
    """Stream url into a hidden temporary file beside target, check it, then rename it over target."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        h = _hasher(digest)
        with os.fdopen(fd, "wb") as out:
            with urlopen(Request(url, headers={"User-Agent": "nbcnn"}), timeout=timeout) as response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                done = 0
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    h.update(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(target.name, done, total)
            # urllib returns a short body without complaint when the server closes early.
            if total is not None and done != total:
                raise TruncatedDownload(f"connection closed after {done} of {total} bytes")
            out.flush()
            os.fsync(out.fileno())
        if h.hexdigest() != digest.lower():
            raise _BadChecksum(f"checksum mismatch: {_algorithm(digest)} {h.hexdigest()}, expected {digest}")
        os.replace(tmp, target)
        fsync_folder(target.parent)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _fetch_from_mirrors(name, target, digest, mirrors, retries, progress, timeout, backoff) -> None:
    tried = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + target.name
        for attempt in range(max(1, retries)):
            try:
                _fetch(url, target, digest, progress, timeout)
                return
            except HTTPError as e:
                tried.append(f"{url}: HTTP {e.code} {e.reason}")
                if e.code < 500 and e.code not in (408, 429):  # the file is not there (404) or not for us (403)
                    break
            except _BadChecksum as e:
                tried.append(f"{url}: {e}")
                break
            except (OSError, http.client.HTTPException) as e:  # refused, reset, timed out, truncated
                tried.append(f"{url}: {type(e).__name__}: {e}")
            if attempt + 1 < retries:
                time.sleep(backoff * 2 ** attempt)
    listing = "\n".join(f"  {line}" for line in tried)
    raise DownloadError(
        f"could not download {target.name} for {name}. Tried:\n{listing}\n"
        f"Download it by hand from one of those URLs (or another copy you trust), check that its "
        f"{_algorithm(digest).upper()} is {digest}, and put it in {target.parent}")


def download(name: str, dest_dir, mirrors=None, retries: int = 3, progress=None, checksums=None,
             timeout: float = 60.0, backoff: float = 1.0) -> Path:
    """Download dataset `name` into dest_dir and unpack its archive there; returns dest_dir.

    mirrors: base URLs tried in order (default: the dataset's known mirrors). checksums: file name -> MD5 or
    SHA256, which also says which files to fetch (default: the official files). retries: attempts per mirror,
    waiting backoff * 2**k seconds between them. progress(file_name, bytes_done, bytes_total_or_None) is called
    as bytes arrive. Files already present with the right checksum are not fetched again; a failed fetch leaves
    no file behind. Raises DownloadError listing the URLs tried when every mirror fails for a file.
    """
    spec = get_spec(name)
    mirrors = list(mirrors or spec.mirrors)
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    for file_name, digest in (checksums or spec.checksums).items():
        target = dest / file_name
        if target.is_file() and _file_digest(target, digest) == digest.lower():
            continue
        _fetch_from_mirrors(spec.name, target, digest, mirrors, retries, progress, timeout, backoff)
    unpack_archives(dest, spec.layouts)
    return dest
