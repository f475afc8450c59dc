"""nbcnn/runtime.py: the process-wide settings nbcnn makes, and that each one's off switch turns it off. Each case
runs in a fresh interpreter, since the settings are made once per process."""
import json
import os
import subprocess
import sys

import pytest

_PROBE = """
import json, os
import nbcnn
from nbcnn import backend, runtime
backend.get("cpu")
import numba
print(json.dumps({"timeout": os.environ.get("OPENBLAS_THREAD_TIMEOUT"),
                  "layers": numba.config.THREADING_LAYER_PRIORITY,
                  "keeps_freed_memory": runtime.keep_freed_memory()}))
"""


def _settings(**env):
    base = {k: v for k, v in os.environ.items()
            if k not in ("OPENBLAS_THREAD_TIMEOUT", "NUMBA_THREADING_LAYER", "NBCNN_KEEP_FREED_MEMORY")}
    done = subprocess.run([sys.executable, "-c", _PROBE], env={**base, **env}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_defaults():
    got = _settings()
    assert got["timeout"] == "4"
    assert got["layers"][0] == "omp"
    assert got["keeps_freed_memory"] is True


def test_each_off_switch_wins():
    got = _settings(OPENBLAS_THREAD_TIMEOUT="1000", NUMBA_THREADING_LAYER="workqueue", NBCNN_KEEP_FREED_MEMORY="0")
    assert got["timeout"] == "1000"
    assert got["layers"][0] != "omp"  # Numba's own priority (tbb first) left as it is
    assert got["keeps_freed_memory"] is False
