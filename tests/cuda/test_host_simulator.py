"""Runs the CUDA backend tests under Numba's simulator, in a process of their own (see conftest.py)."""
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).parent


def test_cuda_backend_under_the_simulator():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE)],
                            cwd=HERE.parent.parent, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
