"""Portable kernels and JIT bundles (nbcnn/jit_bundle.py): a kernel compiled with NBCNN_PORTABLE_JIT=1 into one
cache, zipped, and installed into an empty cache loads there without compiling; this CPU's own code generator does
not take it; bundles for another Numba, changed sources and foreign entries are refused or left out."""
import json
import os
import subprocess
import sys
import zipfile

import pytest

from nbcnn import jit_bundle

pytestmark = pytest.mark.skipif(bool(jit_bundle.missing_features()), reason="this CPU has no x86-64-v3")

# Runs the ReLU kernel once and prints how its dispatcher got the machine code: from the cache or compiled.
_RUN_RELU = """
import json, numpy as np
from nbcnn.backend import get
from nbcnn.backend.cpu import activation
get("cpu").relu_forward(np.ones(5, np.float32))
stats = activation._relu_map.stats
print(json.dumps({"hits": sum(stats.cache_hits.values()), "misses": sum(stats.cache_misses.values())}))
"""


def _run(code, cache, portable, *args):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), NBCNN_PORTABLE_JIT="1" if portable else "0")
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _relu_stats(cache, portable):
    return json.loads(_run(_RUN_RELU, cache, portable).splitlines()[-1])


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """A bundle of the kernels one portable ReLU call compiles."""
    root = tmp_path_factory.mktemp("bundle")
    assert _relu_stats(root / "build-cache", portable=True) == {"hits": 0, "misses": 1}
    path = root / "relu.zip"
    _run("import sys; from nbcnn import jit_bundle; print(jit_bundle.write_bundle(sys.argv[1]))",
         root / "build-cache", True, str(path))
    return path


def test_an_installed_bundle_loads_without_compiling(bundle, tmp_path):
    installed = _run("import sys; from nbcnn import jit_bundle; print(*jit_bundle.install_bundle(sys.argv[1]))",
                     tmp_path / "cache", True, str(bundle))
    assert installed.split()[-1] == "0"  # no source left out
    assert _relu_stats(tmp_path / "cache", portable=True) == {"hits": 1, "misses": 0}
    # the native code generator keys its cache on this CPU's exact model: the bundle is not for it
    assert _relu_stats(tmp_path / "cache", portable=False) == {"hits": 0, "misses": 1}


def test_without_the_bundle_the_kernel_compiles(tmp_path):
    assert _relu_stats(tmp_path / "empty", portable=True) == {"hits": 0, "misses": 1}


def _rewritten(bundle, target, manifest_change=None, extra=None):
    with zipfile.ZipFile(bundle) as zin, zipfile.ZipFile(target, "w") as zout:
        manifest = json.loads(zin.read("manifest.json"))
        for name in zin.namelist():
            if name != "manifest.json":
                zout.writestr(name, zin.read(name))
        if manifest_change:
            manifest_change(manifest)
        zout.writestr("manifest.json", json.dumps(manifest))
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return target


def test_a_bundle_for_another_numba_is_refused(bundle, tmp_path):
    other = _rewritten(bundle, tmp_path / "other.zip", lambda m: m.update(numba="0.1.0"))
    with pytest.raises(jit_bundle.BundleError, match=r"other.zip: built for numba 0.1.0, this is \d"):
        jit_bundle.install_bundle(other)


def test_kernels_of_a_changed_source_are_left_out(bundle, tmp_path, monkeypatch):
    def change(manifest):
        for source in manifest["sources"]:
            manifest["sources"][source] = "0" * 64
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("numba.config.CACHE_DIR", str(tmp_path / "cache"))
    stale = _rewritten(bundle, tmp_path / "stale.zip", change)
    installed, skipped = jit_bundle.install_bundle(stale)
    assert installed == 0 and skipped >= 1
    assert not any((tmp_path / "cache").rglob("*.nbi"))


def test_entries_outside_the_package_or_of_other_files_are_refused(bundle, tmp_path, monkeypatch):
    monkeypatch.setattr("numba.config.CACHE_DIR", str(tmp_path / "cache"))
    escape = _rewritten(bundle, tmp_path / "escape.zip", lambda m: m["sources"].update({"../../evil.py": "0" * 64}))
    with pytest.raises(jit_bundle.BundleError, match="'../../evil.py' is not a file of the nbcnn package"):
        jit_bundle.install_bundle(escape)
    with zipfile.ZipFile(bundle) as z:
        source = next(iter(json.loads(z.read("manifest.json"))["sources"]))
    foreign = _rewritten(bundle, tmp_path / "foreign.zip", extra={f"{source}/sitecustomize.py": b"print(1)"})
    with pytest.raises(jit_bundle.BundleError, match="unexpected entry .*sitecustomize.py"):
        jit_bundle.install_bundle(foreign)


def test_not_a_bundle(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(jit_bundle.BundleError, match="junk.zip: not an nbcnn JIT bundle"):
        jit_bundle.install_bundle(junk)


def test_portable_code_cannot_start_after_numba_compiled():
    """In this process the CPU backend is loaded: switching now would label native code as portable."""
    from nbcnn.backend import get
    get("cpu")
    if jit_bundle.portable_requested():
        pytest.skip("this process compiles portable code already")
    with pytest.raises(jit_bundle.BundleError, match="came too late"):
        jit_bundle.use_portable_code()


def test_the_warmup_command_installs_a_bundle(bundle, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from nbcnn_cli.main import main
    monkeypatch.setattr("numba.config.CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(main, ["warmup", "--install", str(bundle)])
    assert result.exit_code == 0, result.output
    assert "installed the kernels of 1 source file into" in result.output and "NBCNN_PORTABLE_JIT=1" in result.output
    assert any((tmp_path / "cache").rglob("activation._relu_map-*.nbi"))
    both = CliRunner().invoke(main, ["warmup", "--install", str(bundle), "--bundle", str(tmp_path / "b.zip")])
    assert both.exit_code != 0 and "give --bundle or --install, not both" in both.output
    with_model = CliRunner().invoke(main, ["warmup", "lenet", "--install", str(bundle)])
    assert with_model.exit_code != 0 and "--install takes a bundle only" in with_model.output
