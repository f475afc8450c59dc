"""The JIT cache seen from nbcnn: telling a cold cache, saying that kernels compile, and `nbcnn warmup`."""
import importlib.util
import os
import subprocess
import sys

import pytest
from numba import njit

from nbcnn import jit
from nbcnn.data.fake import write_fake_dataset
from nbcnn_cli import compiling


def _module(tmp_path, name):
    """A fresh module with one cached kernel, `twice`; its cache lands in this session's NUMBA_CACHE_DIR."""
    path = tmp_path / f"{name}.py"
    path.write_text("from numba import njit\n\n@njit(cache=True)\ndef twice(x):\n    return 2 * x\n")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_kernel_counts_as_cached_once_compiled_for_this_cpu(tmp_path):
    kernel = _module(tmp_path, "cache_probe").twice
    assert not jit.cached_for_this_cpu(kernel)
    assert kernel(3) == 6
    assert jit.cached_for_this_cpu(kernel)
    assert jit.cached_for_this_cpu(_module(tmp_path, "cache_probe").twice)  # a new process would load it


def test_the_compile_clock_times_compilations_and_calls_on_first_once():
    @njit
    def add(a, b):
        return a + b

    calls = []
    with jit.CompileClock(on_first=lambda: calls.append(1)) as clock:
        add(1, 2)
        add(1.0, 2.0)
        add(3, 4)  # compiled already
    assert clock.compilations == 2 and clock.seconds > 0 and calls == [1]
    assert clock() == clock.seconds  # nothing compiling now
    add(1j, 2j)
    assert clock.compilations == 2  # uninstalled


@pytest.mark.parametrize("cold, expected", [(1.0, "compiling kernels for this CPU, first run only, ~30 s"),
                                            (0.9, "compiling kernels not yet cached for this model")])
def test_the_first_compilation_is_announced_once(monkeypatch, cold, expected):
    @njit
    def sub(a, b):
        return a - b

    monkeypatch.setattr(jit, "cold_share", lambda: cold)
    lines = []
    with compiling.compile_notice("lenet", say=lines.append):
        sub(1, 2)
        sub(1.0, 2.0)
    assert len(lines) == 1 and lines[0].startswith(expected), lines


def test_nbcnn_s_kernels_are_found():
    import nbcnn.backend.cpu  # noqa: F401  imports every kernel module
    names = {k.py_func.__name__ for k in jit.cpu_kernels()}
    assert {"_max_pool_2x2", "_sgd", "_cross_entropy"} <= names and len(names) > 20


@pytest.mark.slow
def test_after_warmup_a_run_compiles_nothing(tmp_path):
    """Fills an empty cache (a minute on 2 cores), then trains at the batch sizes warmup was told of."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    cli = [sys.executable, "-c", "from nbcnn_cli.main import main; main()"]
    warm = subprocess.run(cli + ["warmup", "lenet", "--data", "mnist", "--batch-size", "16"], env=env,
                          capture_output=True, text=True, timeout=900)
    assert warm.returncode == 0 and "lenet: compiled" in warm.stderr, warm.stderr
    write_fake_dataset("mnist", tmp_path / "mnist", n_train=32, n_test=16)
    run = subprocess.run(cli + ["train", "lenet", "--data", "mnist", "--data-dir", str(tmp_path / "mnist"),
                                "--batch-size", "16", "--epochs", "1", "--out", str(tmp_path / "run")],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "compiling" not in run.stderr + run.stdout, run.stderr
