"""Unpacking the datasets' .tar.gz archives without letting a hostile archive write outside the destination."""
import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath

from .errors import DataError


def _check(member: tarfile.TarInfo, dest: Path, archive) -> None:
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts:
        raise DataError(f"{archive}: refusing member {member.name!r}: its path leaves the destination")
    # The official archives hold only folders and plain files, so any link, device or fifo is refused outright:
    # following one is how a crafted archive writes or reads outside the destination.
    if not (member.isfile() or member.isdir()):
        kind = "symlink" if member.issym() else "hard link" if member.islnk() else "device or fifo"
        raise DataError(f"{archive}: refusing member {member.name!r}: it is a {kind}")
    if not (dest / name).resolve().is_relative_to(dest):
        raise DataError(f"{archive}: refusing member {member.name!r}: it resolves outside {dest}")


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, root: Path) -> None:
    target = root / member.name
    if member.isdir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with tar.extractfile(member) as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)


def safe_extract(archive, dest) -> None:
    """Unpack a tar archive (any compression) into dest.

    Every member is checked before anything is written; the files are unpacked into a hidden folder in dest and
    each top-level entry moved into place whole, so an interrupted unpack leaves no half-filled dataset folder.
    Entries already present in dest are kept.
    """
    dest = Path(dest).resolve()
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for member in members:
                _check(member, dest, archive)
            staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=dest))
            try:
                for member in members:
                    _extract(tar, member, staging)
                for entry in staging.iterdir():
                    if not (dest / entry.name).exists():
                        os.replace(entry, dest / entry.name)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
        raise DataError(f"{archive}: cannot unpack into {dest} ({type(e).__name__}: {e})") from e
