"""Data-parallel training over MPI: two ranks, launched with mpirun from these tests, train as one process does.

Run as a script (`python tests/test_distributed.py SPEC`), this file is the rank side of the mpirun tests. Each
mpirun test first trains in the pytest process, which fills the JIT cache that the ranks then load: processes
compiling into one cache at once can crash (numba #4807).
"""
import dataclasses
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import nbcnn
from nbcnn.data import DataLoader, load_dataset, random_crop_flip
from nbcnn.data.fake import write_fake_dataset
from nbcnn.distributed.loader import ShardedLoader
from nbcnn.models.registry import MODELS
from nbcnn.training import Reporter, TrainConfig, Trainer, TrainingInterrupted, checkpoint

MPIRUN = shutil.which("mpirun")
needs_mpi = pytest.mark.skipif(
    MPIRUN is None or importlib.util.find_spec("mpi4py") is None,
    reason="needs mpirun (apt-get install openmpi-bin libopenmpi-dev) and mpi4py (pip install 'nbcnn[mpi]')")
CLI = ["-c", "from nbcnn_cli.main import main; main()"]


def bn_net(in_channels, input_size, num_classes):
    """2-D and 1-D batch norm between smooth layers, so that float32 round-off cannot flip a ReLU or a max and
    two runs that differ by round-off stay close."""
    from nbcnn import nn
    h, w = input_size
    return nn.Sequential(nn.Conv2d(in_channels, 4, 3, padding=1), nn.BatchNorm2d(4), nn.Tanh(), nn.AvgPool2d(4),
                         nn.Flatten(), nn.Linear(4 * (h // 4) * (w // 4), 16), nn.BatchNorm1d(16), nn.Tanh(),
                         nn.Linear(16, num_classes))


def dropout_net(in_channels, input_size, num_classes):
    """Dropout between smooth layers: ranks that drew other masks than one process would end far from its weights."""
    from nbcnn import nn
    h, w = input_size
    return nn.Sequential(nn.Conv2d(in_channels, 4, 3, padding=1), nn.Tanh(), nn.AvgPool2d(4), nn.Flatten(),
                         nn.Dropout(0.5), nn.Linear(4 * (h // 4) * (w // 4), 16), nn.Tanh(), nn.Dropout(0.5),
                         nn.Linear(16, num_classes))


BN_NET = dataclasses.replace(MODELS["lenet"], build=bn_net, description="a test model with batch norm")
DROPOUT_NET = dataclasses.replace(MODELS["lenet"], build=dropout_net, description="a test model with dropout")


@pytest.fixture(autouse=True)
def registered_test_nets(monkeypatch):
    monkeypatch.setitem(MODELS, "bn-net", BN_NET)
    monkeypatch.setitem(MODELS, "dropout-net", DROPOUT_NET)


@pytest.fixture(scope="module")
def mnist_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mnist")
    write_fake_dataset("mnist", folder, n_train=64, n_test=32, seed=0)
    return folder


def config(folder, **changes):
    values = dict(model="lenet", data="mnist", data_dir=str(folder), epochs=1, batch_size=15, lr=0.05, seed=3,
                  optimizer="sgd", schedule="constant", augment=False)
    values.update(changes)
    return TrainConfig(**values)


def train_here(cfg, rundir):
    """One process, as in `nbcnn train`; it also fills the JIT cache for the ranks."""
    trainer = Trainer(cfg, load_dataset(cfg.data, cfg.data_dir), rundir)
    trainer.fit()
    return trainer


def mpirun(args, timeout=120, thread_ceiling=1):
    """`mpirun -n 2 python ARGS`, NUMBA_NUM_THREADS=thread_ceiling, using the nbcnn these tests import."""
    env = dict(os.environ, NUMBA_NUM_THREADS=str(thread_ceiling), OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               PYTHONPATH=os.pathsep.join([str(Path(nbcnn.__file__).parents[1]), os.environ.get("PYTHONPATH", "")]))
    started = time.monotonic()
    done = subprocess.run([MPIRUN, "-n", "2", "--oversubscribe", sys.executable, *args], env=env, timeout=timeout,
                          capture_output=True, text=True)
    return done, time.monotonic() - started


def train_on_two_ranks(cfg, rundir, sync_bn=False, timeout=60, fault=None):
    spec = dict(config=cfg.to_dict(), rundir=str(rundir), sync_bn=sync_bn, timeout=timeout, fault=fault)
    return mpirun([__file__, json.dumps(spec)])


def assert_same_state(expected, path, rtol=1e-4, atol=1e-6):
    arrays = checkpoint.split_prefixed(checkpoint.load(path)[0], "model")
    assert arrays.keys() == expected.keys()
    for key, value in expected.items():
        np.testing.assert_allclose(arrays[key], value, rtol=rtol, atol=atol, err_msg=key)


def records(rundir):
    return [json.loads(line) for line in (Path(rundir) / "metrics.jsonl").read_text().splitlines()]


# ---------------------------------------------------------------------------------------------- without MPI
@pytest.mark.parametrize("world_size", [1, 2, 3, 4])
def test_shards_split_every_global_batch_and_cover_the_epoch_once(world_size):
    n, batch = 23, 5  # last batch of 3: four ranks skip it, as some rank would get nothing
    images = np.random.default_rng(0).integers(0, 256, (n, 1, 6, 6), dtype=np.uint8)

    def loader():
        return DataLoader(images, np.arange(n), batch, shuffle=True, seed=7, augment=random_crop_flip)

    whole, ranks = loader(), [ShardedLoader(loader(), r, world_size) for r in range(world_size)]
    for epoch in (0, 1):
        for one in [whole] + ranks:
            one.set_epoch(epoch)
        shares = [list(r) for r in ranks]
        served = []
        for b, (x, y) in enumerate(whole):
            if b == len(ranks[0]):
                assert len(y) < world_size
                break
            parts = [s[b] for s in shares]
            for r, (xr, yr) in enumerate(parts):  # rank r holds positions r, r + world_size, … of the batch
                np.testing.assert_array_equal(xr, x[r::world_size])
                np.testing.assert_array_equal(yr, y[r::world_size])
            served += [i for _, yr in parts for i in yr]
        expected = n if n % batch >= world_size else n - n % batch
        assert sorted(served) == sorted(whole.order()[:expected])


def test_distributed_without_mpi4py_says_how_to_install_it(mnist_dir, monkeypatch):
    from click.testing import CliRunner

    from nbcnn_cli.main import main
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)
    result = CliRunner().invoke(main, ["train", "lenet", "--data", "mnist", "--data-dir", str(mnist_dir),
                                       "--distributed"])
    assert result.exit_code == 1
    assert "pip install 'nbcnn[mpi]'" in result.output and len(result.output.strip().splitlines()) == 1


def test_synchronised_batch_norm_alone_equals_the_plain_kernels():
    from nbcnn.distributed.sync_bn import BatchNormSync
    from nbcnn.nn import functional as F

    class Alone:  # the collectives of a world of one rank: a sum over ranks changes nothing
        def allreduce_sum(self, buffers, what):
            pass

    rng = np.random.default_rng(1)
    x0, dy = rng.normal(2, 3, (4, 3, 5, 5)), rng.normal(size=(4, 3, 5, 5))
    w0, b0 = rng.normal(size=3), rng.normal(size=3)

    def run(sync):
        x, w, b = (nbcnn.tensor(a, dtype=np.float64, requires_grad=True) for a in (x0, w0, b0))
        running = [nbcnn.tensor(np.zeros(3)), nbcnn.tensor(np.ones(3))]
        y = F.batch_norm(x, *running, w, b, training=True, sync=sync)
        (y * nbcnn.tensor(dy)).sum().backward()
        return [t.numpy() for t in (y, x.grad, w.grad, b.grad, *running)]

    plain, synced = run(None), run(BatchNormSync(Alone()))
    for a, b in zip(plain, synced):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------------------------- on 2 ranks
@needs_mpi
@pytest.mark.parametrize("model, sync_bn, batch, limit",
                         [("lenet", False, 15, 25), ("bn-net", True, 7, 11), ("dropout-net", False, 15, 25)])
def test_two_ranks_train_as_one_process(mnist_dir, tmp_path, model, sync_bn, batch, limit):
    # odd batches split unevenly (8 + 7, 4 + 3); the last batch is partial; augmentation is on; dropout-net's
    # ranks draw, for their rows, the masks one process draws for the same rows of the whole batch
    cfg = config(mnist_dir, model=model, batch_size=batch, limit=limit, augment=True)
    one = train_here(cfg, tmp_path / "one")
    done, _ = train_on_two_ranks(cfg, tmp_path / "two", sync_bn=sync_bn)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_same_state(one.model.state_dict(), tmp_path / "two" / "last.npz")
    [expected], [got] = records(tmp_path / "one"), records(tmp_path / "two")  # one line: rank 0 alone writes
    for key in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"):
        assert got[key] == pytest.approx(expected[key], rel=1e-4), key


class _Fault(Reporter):
    """On rank 1, after `steps` steps: ask to stop (as Ctrl-C does), hang, or die."""

    def __init__(self, trainer, action, steps):
        self.trainer, self.action, self.steps = trainer, action, steps

    def batch(self, done, *rest):
        self.steps -= 1
        if self.steps == 0:
            if self.action == "stop":
                self.trainer._stop_requested = True
            else:
                os.kill(os.getpid(), signal.SIGSTOP if self.action == "hang" else signal.SIGKILL)


@needs_mpi
def test_a_run_stopped_on_two_ranks_resumes_mid_epoch_on_one(mnist_dir, tmp_path):
    cfg = config(mnist_dir, epochs=2, limit=60, optimizer="momentum")  # 4 batches an epoch
    whole = train_here(cfg, tmp_path / "whole")
    done, _ = train_on_two_ranks(cfg, tmp_path / "run", fault=["stop", 2])  # a stop that reaches rank 1 only
    assert done.returncode == 0, done.stdout + done.stderr
    resumed = Trainer(cfg, load_dataset("mnist", mnist_dir), tmp_path / "run")
    resumed.restore(tmp_path / "run" / "last.npz")
    assert (resumed.epoch, resumed.batch_index) == (0, 2)
    resumed.fit()
    assert_same_state(whole.model.state_dict(), tmp_path / "run" / "last.npz")
    for expected, got in zip(records(tmp_path / "whole"), records(tmp_path / "run"), strict=True):
        assert got["train_loss"] == pytest.approx(expected["train_loss"], rel=1e-4)


@needs_mpi
def test_cli_resumes_a_one_process_run_on_two_ranks(mnist_dir, tmp_path):
    from click.testing import CliRunner

    from nbcnn_cli.main import main
    run = tmp_path / "run"
    options = ["--data", "mnist", "--data-dir", str(mnist_dir), "--batch-size", "16", "--limit", "48", "--lr",
               "0.05", "--optimizer", "momentum", "--schedule", "constant", "--seed", "1", "--out", str(run)]
    result = CliRunner().invoke(main, ["train", "lenet", "--epochs", "1"] + options)
    assert result.exit_code == 0, result.output
    done, _ = mpirun(CLI + ["train", "lenet", "--resume", str(run), "--epochs", "2", "--distributed"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.count("resuming") == 1 and done.stdout.count("done in") == 1  # rank 0 alone reports
    assert "2 ranks sharing each batch" in done.stderr and "averaging gradients" in done.stderr
    whole = train_here(config(mnist_dir, epochs=2, batch_size=16, limit=48, optimizer="momentum", seed=1),
                       tmp_path / "whole")
    assert_same_state(whole.model.state_dict(), run / "last.npz")
    assert [r["epoch"] for r in records(run)] == [1, 2]


@needs_mpi
@pytest.mark.parametrize("given", [None, 2])
def test_ranks_divide_the_node_s_cores_unless_told(mnist_dir, tmp_path, given):
    """Two ranks on one node, each allowed a thread per core: by default they split the cores, --threads wins."""
    train_here(config(mnist_dir, limit=32), tmp_path / "warm")
    cores, run = os.cpu_count(), tmp_path / "run"
    threads = ["--threads", str(given)] if given else []
    done, _ = mpirun(CLI + ["train", "lenet", "--data", "mnist", "--data-dir", str(mnist_dir), "--limit", "32",
                            "--batch-size", "16", "--epochs", "1", "--distributed", "--out", str(run)] + threads,
                     thread_ceiling=max(cores, 2))
    assert done.returncode == 0, done.stdout + done.stderr
    recorded = json.loads((run / "config.json").read_text())["threads"]
    if given:
        assert recorded == given and "share this node" not in done.stderr
    else:
        assert 1 <= recorded and 2 * recorded <= max(cores, 2), recorded
        assert f"2 ranks share this node's {cores} cores: {recorded} kernel thread" in done.stderr, done.stderr


def test_a_rank_s_threads_are_its_share_of_the_cores_it_may_use(monkeypatch):
    from nbcnn.distributed import threads_per_rank
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    assert [threads_per_rank(n, 16) for n in (1, 2, 3, 16, 32)] == [16, 8, 5, 1, 1]
    assert threads_per_rank(2, 4) == 4  # NUMBA_NUM_THREADS caps it
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)  # bound to one core by mpirun
    assert threads_per_rank(2, 16) == 1


@needs_mpi
@pytest.mark.parametrize("fault", ["hang", "kill"])
def test_a_dead_rank_stops_the_other_within_the_timeout(mnist_dir, tmp_path, fault):
    train_here(config(mnist_dir, batch_size=8, limit=8), tmp_path / "warm")
    done, seconds = train_on_two_ranks(config(mnist_dir, batch_size=8, limit=64), tmp_path / "run", timeout=3,
                                       fault=[fault, 1])
    assert done.returncode != 0 and seconds < 30, (seconds, done.stdout + done.stderr)
    if fault == "hang":  # mpirun cannot see a stopped process: the collective's deadline ends the job
        assert "no answer from the other ranks for 3 s" in done.stderr, done.stderr


def _rank_main(spec):
    from nbcnn.distributed import data_parallel
    MODELS["bn-net"], MODELS["dropout-net"] = BN_NET, DROPOUT_NET
    spec = json.loads(spec)
    cfg = TrainConfig(**spec["config"])
    strategy = data_parallel(spec["sync_bn"], spec["timeout"])
    trainer = Trainer(cfg, load_dataset(cfg.data, cfg.data_dir), spec["rundir"], strategy=strategy)
    if spec["fault"] and strategy.rank == 1:
        trainer.reporter = _Fault(trainer, *spec["fault"])
    try:
        trainer.fit()
    except TrainingInterrupted:
        pass  # the test reads the checkpoint it left


if __name__ == "__main__":
    _rank_main(sys.argv[1])
