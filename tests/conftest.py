import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # the shared gradcheck helper

# What .ci/run installs, by words that the skip reasons of the tests needing it contain. Under CI=true a test
# skipped for want of one means an install failed, and the run fails instead of staying green.
CI_DEPENDENCIES = {
    "PyTorch": ("'torch'",),
    "Open MPI / mpi4py": ("mpirun", "mpi4py"),
    "Debian's dataset-fashion-mnist": ("dataset-fashion-mnist",),
    "matplotlib": ("'matplotlib'",),
    "Pillow": ("'PIL",),
    "numba-cuda": ("numba-cuda",),
    "ONNX / ONNX Runtime": ("'onnx'", "'onnxruntime'"),
}


def _reason(report):
    return report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)


def missing_ci_dependencies(skipped):
    """{dependency: [skip reason, …]} for the skipped reports that name a dependency CI installs."""
    missing = {}
    for report in skipped:
        reason = _reason(report)
        for name, words in CI_DEPENDENCIES.items():
            if any(word in reason for word in words):
                missing.setdefault(name, []).append(reason)
    return missing


_MISSING = pytest.StashKey[dict]()


def pytest_sessionfinish(session):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if os.environ.get("CI") == "true" and reporter is not None:
        missing = missing_ci_dependencies(reporter.stats.get("skipped", []))
        session.config.stash[_MISSING] = missing
        if missing:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config):  # runs after pytest_sessionfinish
    missing = config.stash.get(_MISSING, {})
    if missing:
        terminalreporter.section("CI=true: expected dependencies missing", red=True)
        for name, reasons in missing.items():
            terminalreporter.line(f"{name}: {len(reasons)} skipped ({sorted(set(reasons))[0]})", red=True)
