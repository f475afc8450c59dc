"""Tests of the CUDA backend against the CPU backend.

They run where CUDA kernels can: on a GPU, or under Numba's simulator. NUMBA_ENABLE_CUDASIM is read once, when
numba is imported, and turns numba.cuda into the simulator for the whole process, so the simulated run gets a
process of its own: a plain `pytest` collects only the test_host_*.py files here when there is no GPU, and
test_host_simulator.py reruns this directory as `python -m pytest tests/cuda` with NUMBA_ENABLE_CUDASIM=1. There
(and on a GPU) the other files run and the host files are left out, so nothing runs twice.
"""
import pathlib
import sys

import numba
import pytest

from nbcnn import backend

SIMULATED = bool(numba.config.ENABLE_CUDASIM)


def _gpu():
    try:
        backend.get("cuda")
    except RuntimeError:
        return False
    return True


_here = pathlib.Path(__file__).parent
_host_files = [p.name for p in _here.glob("test_host_*.py")]
DEVICE = SIMULATED or _gpu()
if SIMULATED:
    collect_ignore = _host_files
elif DEVICE:
    collect_ignore = []  # a GPU runs everything, the simulated rerun included
else:
    collect_ignore = [p.name for p in _here.glob("test_*.py") if p.name not in _host_files]

if SIMULATED:
    import simulator_guard

    simulator_guard.install()
    # The simulator's block manager polls its threads while holding the GIL; with Python's default 5 ms switch
    # interval every syncthreads waits that long. 0.1 ms makes the tiled kernels about ten times faster.
    sys.setswitchinterval(1e-4)


def pytest_configure(config):
    config.addinivalue_line("markers", "production_launches: run with the backend's own launch geometry")


@pytest.fixture(autouse=True)
def small_launches(request, monkeypatch):
    """Blocks of 32 threads, at most 2 of them, 4 × 4 product tiles: the simulator spends about a millisecond per
    CUDA thread, and tiny test shapes then still cross block and tile edges and loop grid-stride."""
    if DEVICE and not request.node.get_closest_marker("production_launches"):
        from nbcnn.backend.cuda import launch

        monkeypatch.setattr(launch, "BLOCK", 32)
        monkeypatch.setattr(launch, "MAX_BLOCKS", 2)
        monkeypatch.setattr(launch, "TILE", 4)
