"""Data-parallel training over MPI, across processes and machines: `mpirun -n 4 nbcnn train … --distributed`.

The Trainer calls a strategy at a few hook points (see strategy.SingleProcess, its default). DataParallel runs one
copy of the model per MPI rank; mpi4py is an optional extra (`pip install 'nbcnn[mpi]'`), imported only by
data_parallel().
"""
from .collectives import DistributedError
from .data_parallel import DataParallel
from .strategy import SingleProcess
from .threads import threads_per_rank

DEFAULT_TIMEOUT = 300.0  # seconds; longer than any step, evaluation or checkpoint write a rank waits for


def data_parallel(sync_bn=False, timeout=None):
    """The DataParallel strategy over MPI_COMM_WORLD, giving up on a collective after `timeout` seconds (default
    DEFAULT_TIMEOUT); DistributedError if mpi4py or an MPI library is missing."""
    from .collectives import Collectives, load_mpi
    from .threads import local_rank_count
    mpi = load_mpi()
    return DataParallel(Collectives(mpi, mpi.COMM_WORLD, timeout or DEFAULT_TIMEOUT), sync_bn,
                        local_ranks=local_rank_count(mpi, mpi.COMM_WORLD))


__all__ = ["DataParallel", "DistributedError", "SingleProcess", "data_parallel", "threads_per_rank",
           "DEFAULT_TIMEOUT"]
