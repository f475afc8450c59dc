"""Where NVIDIA's numba-cuda is installed (the `cuda` extra), every kernel must compile to PTX: the compiler's
typing catches what the simulator, running kernels as Python, lets through."""
import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent.parent


@pytest.mark.skipif(importlib.util.find_spec("numba_cuda") is None, reason="needs numba-cuda (the cuda extra)")
def test_every_kernel_compiles_to_ptx():
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))  # nbcnn, installed or not
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0", PYTHONPATH=path)
    result = subprocess.run([sys.executable, str(HERE / "ptx_check.py")], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
