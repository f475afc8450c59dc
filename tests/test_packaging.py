"""The installed layout: every engine package is listed for setuptools, and no top-level `cli` is installed."""
import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "nbcnn").rglob("__init__.py")}
    assert found <= listed, f"add to pyproject.toml packages: {sorted(found - listed)}"
    assert "cli" not in listed and config["package-dir"] == {"nbcnn_cli": "cli"}


def test_engine_imports_without_click():
    import subprocess
    import sys
    code = "import sys; sys.modules['click'] = None; import nbcnn, nbcnn.nn, nbcnn.optim, nbcnn.data"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_backends_export_the_kernel_contract():
    import nbcnn.backend as backends
    cpu = backends.get("cpu")
    missing = [name for name in backends.KERNELS if not callable(getattr(cpu, name, None))]
    assert not missing, missing
