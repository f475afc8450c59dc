"""Without a GPU, asking for CUDA is one line of explanation, not a stack trace from the driver."""
import os
import pathlib
import subprocess
import sys

_ASK = """
import nbcnn
try:
    nbcnn.zeros(3, device="cuda")
except RuntimeError as error:
    print(type(error).__name__)
    print(error)
"""


def test_asking_for_cuda_without_a_gpu_explains_in_one_line():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0", CUDA_VISIBLE_DEVICES="")  # hides a GPU if there is one
    result = subprocess.run([sys.executable, "-c", _ASK], cwd=pathlib.Path(__file__).parents[2], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    name, message = result.stdout.splitlines()
    assert name == "CudaUnavailableError"
    assert message.startswith("CUDA was requested but no CUDA GPU/driver is available: ")
    assert message.endswith("; use --device cpu")
