"""Under CI=true a test skipped for want of a dependency that CI installs fails the run (tests/conftest.py)."""
import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).parent
TESTS = '''
import pytest

def test_needs_torch():  # pytest.importorskip("torch")'s words where torch is missing
    pytest.skip("could not import 'torch': No module named 'torch'")

def test_needs_mpi():
    pytest.skip("needs mpirun (apt-get install openmpi-bin libopenmpi-dev) and mpi4py")

def test_skips_for_another_reason():
    pytest.skip("CUDA kernels can run here")
'''


def run(tmp_path, tests, ci):
    (tmp_path / "test_x.py").write_text(tests)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")])), **ci)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider",
                           "-rs", "test_x.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("ci", [{}, {"CI": "false"}])
def test_missing_dependencies_only_skip_outside_ci(tmp_path, ci):
    result = run(tmp_path, TESTS, ci)
    assert result.returncode == 0, result.stdout
    assert "3 skipped" in result.stdout


def test_missing_dependencies_fail_under_ci(tmp_path):
    result = run(tmp_path, TESTS, {"CI": "true"})
    assert result.returncode == 1, result.stdout
    section = result.stdout.split("expected dependencies missing")[1].split("short test summary")[0]
    assert "PyTorch: 1 skipped" in section and "Open MPI / mpi4py: 1 skipped" in section
    assert "CUDA kernels" not in section


def test_other_skips_pass_under_ci(tmp_path):
    result = run(tmp_path, "import pytest\n\ndef test_a():\n    pytest.skip('CUDA kernels can run here')\n",
                 {"CI": "true"})
    assert result.returncode == 0, result.stdout
