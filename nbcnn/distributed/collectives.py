"""MPI collectives that give up: each one waits with a deadline, so a rank that died or hung stops the whole job
with a message instead of leaving the others blocked forever."""
import sys
import time
from collections import defaultdict

INSTALL_HINT = "pip install 'nbcnn[mpi]' (mpi4py) with an MPI library, e.g. apt-get install openmpi-bin"


class DistributedError(RuntimeError):
    """Distributed training cannot start (no mpi4py, no MPI library)."""


def load_mpi():
    """mpi4py's MPI module; importing it initialises MPI."""
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError) as error:  # RuntimeError: mpi4py found no MPI library to load
        raise DistributedError(f"--distributed needs MPI: {INSTALL_HINT} ({error})") from None
    return MPI


class Collectives:
    """Non-blocking collectives on NumPy buffers, polled until done or `timeout` seconds have passed.

    The time each kind of collective took, waiting for the slowest rank included, adds up in `seconds[what]`.
    """

    def __init__(self, mpi, comm, timeout):
        self.mpi, self.comm, self.timeout = mpi, comm, timeout
        self.rank, self.world_size = comm.Get_rank(), comm.Get_size()
        self.seconds, self.calls = defaultdict(float), defaultdict(int)

    def allreduce_sum(self, buffers, what):
        """Sums each buffer over all ranks, in place; the calls run concurrently."""
        self._wait([self.comm.Iallreduce(self.mpi.IN_PLACE, b, op=self.mpi.SUM) for b in buffers], what)

    def broadcast(self, buffer, what, root=0):
        self._wait([self.comm.Ibcast(buffer, root=root)], what)

    def _wait(self, requests, what):
        started = time.perf_counter()
        pause = 1e-5
        # Sleeping between tests leaves the core to the rank we wait for when cores are oversubscribed;
        # MPI progresses the transfer inside Testall.
        while not self.mpi.Request.Testall(requests):
            if time.perf_counter() - started > self.timeout:
                self.abort(f"no answer from the other ranks for {self.timeout:g} s while {what}: a rank has died "
                           f"or hung. Stopping all {self.world_size} ranks (--collective-timeout sets the wait).")
            time.sleep(pause)
            pause = min(2 * pause, 1e-3)
        self.seconds[what] += time.perf_counter() - started
        self.calls[what] += 1

    def abort(self, message):
        sys.stderr.write(f"nbcnn rank {self.rank} of {self.world_size}: {message}\n")
        sys.stderr.flush()
        self.comm.Abort(1)
