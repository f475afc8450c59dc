import dataclasses
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from cli.main import main
from nbcnn.data.dataset import load_dataset
from nbcnn.data.download import download
from nbcnn.data.errors import DownloadError
from nbcnn.data.fake import write_fake_dataset
from nbcnn.data.specs import DATASETS

FILES = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz"}


class _Handler(BaseHTTPRequestHandler):
    """Serves server.routes: path -> list of behaviours, one used per request (the last repeats)."""

    def do_GET(self):
        self.server.log.append(self.path)
        plan = self.server.routes.get(self.path)
        if not plan:
            self.send_error(404)
            return
        kind, body = plan.pop(0) if len(plan) > 1 else plan[0]
        if kind == "error":
            self.send_error(body)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # "truncate" announces the whole body, sends half, and closes the connection.
        self.wfile.write(body if kind == "ok" else body[: len(body) // 2])

    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    servers = []

    def start(routes):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.routes, server.log = routes, []
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server, f"http://127.0.0.1:{server.server_port}/"
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def mnist_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("src")
    write_fake_dataset("mnist", folder, n_train=20, n_test=5)
    files = {name: (folder / name).read_bytes() for name in FILES}
    return files, {name: hashlib.md5(data).hexdigest() for name, data in files.items()}


def _routes(files, kind="ok"):
    return {f"/{name}": [(kind, data)] for name, data in files.items()}


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name not in FILES)


def test_downloads_verifies_and_reports_progress(tmp_path, serve, mnist_files):
    files, sums = mnist_files
    server, url = serve(_routes(files))
    seen = {}
    dest = download("mnist", tmp_path / "d", mirrors=[url], checksums=sums,
                    progress=lambda name, done, total: seen.__setitem__(name, (done, total)))
    assert {name: (dest / name).read_bytes() for name in FILES} == files
    assert seen == {name: (len(data), len(data)) for name, data in files.items()}
    assert _leftovers(dest) == [] and load_dataset(dest).train_images.shape == (20, 1, 28, 28)
    server.log.clear()
    download("mnist", dest, mirrors=[url], checksums=sums)
    assert server.log == []  # files already there and verified: nothing fetched


@pytest.mark.parametrize("kind", [404, 403, "corrupt"])
def test_falls_back_to_next_mirror(tmp_path, serve, mnist_files, kind):
    files, sums = mnist_files
    bad = {f"/{n}": [("ok", d[::-1])] if kind == "corrupt" else [("error", kind)] for n, d in files.items()}
    bad_server, bad_url = serve(bad)
    good_server, good_url = serve(_routes(files))
    dest = download("mnist", tmp_path, mirrors=[bad_url, good_url], checksums=sums, backoff=0)
    assert (dest / "t10k-labels-idx1-ubyte.gz").read_bytes() == files["t10k-labels-idx1-ubyte.gz"]
    assert len(bad_server.log) == 4 and len(good_server.log) == 4  # neither 404, 403 nor a bad checksum is retried
    assert _leftovers(tmp_path) == []


def test_retries_after_truncation(tmp_path, serve, mnist_files):
    files, sums = mnist_files
    routes = {f"/{n}": [("truncate", d), ("error", 503), ("ok", d)] for n, d in files.items()}
    server, url = serve(routes)
    download("mnist", tmp_path, mirrors=[url], checksums=sums, retries=3, backoff=0)
    assert len(server.log) == 12 and _leftovers(tmp_path) == []
    assert {name: (tmp_path / name).read_bytes() for name in FILES} == files


def test_every_mirror_failing_lists_urls_and_leaves_nothing(tmp_path, serve, mnist_files):
    files, sums = mnist_files
    truncating, url1 = serve(_routes(files, "truncate"))
    corrupt, url2 = serve({f"/{n}": [("ok", d + b"!")] for n, d in files.items()})
    _, url3 = serve({})
    with pytest.raises(DownloadError) as info:
        download("mnist", tmp_path, mirrors=[url1, url2, url3], checksums=sums, retries=2, backoff=0)
    message = str(info.value)
    name = next(iter(sums))
    assert f"{url1}{name}: TruncatedDownload: connection closed after" in message
    assert f"{url2}{name}: checksum mismatch" in message and f"{url3}{name}: HTTP 404" in message
    assert sums[name] in message and str(tmp_path) in message and "by hand" in message
    assert truncating.log.count(f"/{name}") == 2 and corrupt.log.count(f"/{name}") == 1
    assert list(tmp_path.iterdir()) == []  # no partial or temporary file


def test_bad_file_in_place_is_replaced(tmp_path, serve, mnist_files):
    files, sums = mnist_files
    _, url = serve(_routes(files))
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"half a file")
    download("mnist", tmp_path, mirrors=[url], checksums=sums)
    assert (tmp_path / "train-images-idx3-ubyte.gz").read_bytes() == files["train-images-idx3-ubyte.gz"]


def test_sha256_checksums(tmp_path, serve, mnist_files):
    files, _ = mnist_files
    _, url = serve(_routes(files))
    sums = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    download("mnist", tmp_path, mirrors=[url], checksums=sums)
    with pytest.raises(DownloadError, match="SHA256"):
        download("mnist", tmp_path / "x", mirrors=[url], checksums={n: "0" * 64 for n in sums}, retries=1)


def test_cifar_archive_downloaded_and_unpacked(tmp_path, serve):
    written = write_fake_dataset("cifar10", tmp_path / "src", n_train=10, n_test=2, archive=True)
    data = (tmp_path / "src" / "cifar-10-python.tar.gz").read_bytes()
    _, url = serve({"/cifar-10-python.tar.gz": [("ok", data)]})
    dest = download("cifar10", tmp_path / "d", mirrors=[url],
                    checksums={"cifar-10-python.tar.gz": hashlib.md5(data).hexdigest()})
    assert (dest / "cifar-10-batches-py" / "test_batch").is_file()
    assert (load_dataset(dest).test_labels == written.test_labels).all()


def test_official_tables_are_well_formed():
    for spec in DATASETS.values():
        assert spec.mirrors and all(m.startswith(("http://", "https://")) and m.endswith("/") for m in spec.mirrors)
        # hosts that refuse every download (HTTP 403 since 2024) only make a failed download's message longer
        assert not [m for m in spec.mirrors if "yann.lecun.com" in m], spec.name
        assert spec.checksums and all(len(d) == 32 and int(d, 16) >= 0 for d in spec.checksums.values())


@pytest.fixture
def cifar10_served(tmp_path, serve, monkeypatch):
    """CIFAR-10's spec pointed at a local server, and an empty per-user cache."""
    write_fake_dataset("cifar10", tmp_path / "src", n_train=10, n_test=2, archive=True)
    data = (tmp_path / "src" / "cifar-10-python.tar.gz").read_bytes()
    _, url = serve({"/cifar-10-python.tar.gz": [("ok", data)]})
    spec = DATASETS["cifar10"]
    monkeypatch.setitem(DATASETS, "cifar10", dataclasses.replace(
        spec, mirrors=(url,), checksums={"cifar-10-python.tar.gz": hashlib.md5(data).hexdigest()}))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("NBCNN_DATA", raising=False)
    return tmp_path / "cache" / "nbcnn"


def test_an_alias_downloads_where_lookup_searches(cifar10_served):
    """`data download cifar-10` once saved into cifar-10/, where `cifar10` is never looked for."""
    result = CliRunner().invoke(main, ["data", "download", "cifar-10"])
    assert result.exit_code == 0, result.output
    assert (cifar10_served / "cifar10" / "cifar-10-batches-py" / "test_batch").is_file()
    for name in ("cifar10", "cifar-10", "CIFAR_10"):
        where = CliRunner().invoke(main, ["data", "where", name])
        assert where.exit_code == 0 and "cifar10" in where.output, where.output


def test_an_alias_is_offered_the_download(cifar10_served, monkeypatch):
    """load_data once offered a download only for the table's own names."""
    from cli import common
    monkeypatch.setattr(common.sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(common.click, "confirm", lambda *args, **kwargs: True)
    dataset = common.load_data("cifar-10", None)
    assert len(dataset.test_labels) == 2 and (cifar10_served / "cifar10").is_dir()
