import io
import tarfile

import pytest

from nbcnn.data.archive import safe_extract
from nbcnn.data.errors import DataError


def _tar(path, *members):
    """Write a tar.gz of (TarInfo, bytes or None) members."""
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _info(name, kind=tarfile.REGTYPE, target=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def test_plain_archive_unpacks(tmp_path):
    archive = _tar(tmp_path / "a.tar.gz", (_info("top", tarfile.DIRTYPE), None), (_info("top/x.bin"), b"hello"),
                   (_info("top/sub/y"), b"world"))
    (tmp_path / "dest").mkdir()
    safe_extract(archive, tmp_path / "dest")
    assert (tmp_path / "dest/top/x.bin").read_bytes() == b"hello"
    assert (tmp_path / "dest/top/sub/y").read_bytes() == b"world"
    assert [p.name for p in (tmp_path / "dest").iterdir()] == ["top"]  # no staging folder left behind


@pytest.mark.parametrize("member, problem", [
    (_info("/tmp/evil-abs"), "leaves the destination"),
    (_info("../evil"), "leaves the destination"),
    (_info("top/../../evil"), "leaves the destination"),
    (_info("top/link", tarfile.SYMTYPE, "/etc/passwd"), "symlink"),
    (_info("top/up", tarfile.SYMTYPE, "../.."), "symlink"),
    (_info("top/hard", tarfile.LNKTYPE, "/etc/passwd"), "hard link"),
    (_info("top/dev", tarfile.CHRTYPE), "device or fifo"),
    (_info("top/fifo", tarfile.FIFOTYPE), "device or fifo"),
])
def test_hostile_member_refused_and_nothing_written(tmp_path, member, problem):
    data = b"x" if member.isfile() else None
    archive = _tar(tmp_path / "a.tar.gz", (_info("top/ok"), b"fine"), (member, data))
    dest = tmp_path / "deep" / "dest"
    dest.mkdir(parents=True)
    with pytest.raises(DataError, match=f"a.tar.gz: refusing member .*{problem}"):
        safe_extract(archive, dest)
    assert list(dest.iterdir()) == [] and not (tmp_path / "deep" / "evil").exists()


def test_truncated_archive(tmp_path):
    archive = _tar(tmp_path / "a.tar.gz", (_info("top/x"), bytes(range(256)) * 400))
    archive.write_bytes(archive.read_bytes()[:200])
    (tmp_path / "dest").mkdir()
    with pytest.raises(DataError, match="a.tar.gz: cannot unpack"):
        safe_extract(archive, tmp_path / "dest")
    assert list((tmp_path / "dest").iterdir()) == []
