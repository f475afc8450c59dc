"""How many kernel threads each MPI rank runs: a node's cores divided among the ranks that share it.

Numba starts a thread per core in every process, so N ranks on one node would run N threads per core; OpenMP's
threads spin while they wait, and any imbalance between ranks then costs far more than the lost parallelism.
"""
import os


def local_rank_count(mpi, comm):
    """How many ranks of `comm` run on this node (MPI-3 shared-memory split; a collective call)."""
    node = comm.Split_type(mpi.COMM_TYPE_SHARED)
    try:
        return node.Get_size()
    finally:
        node.Free()


def threads_per_rank(local_ranks, ceiling):
    """This rank's share of the node's cores, at least 1 and at most `ceiling` (NUMBA_NUM_THREADS); fewer when
    the launcher bound the rank to fewer cores (Open MPI binds to cores by default)."""
    cores = os.cpu_count() or 1
    bound = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores  # not on macOS
    return max(1, min(cores // max(local_ranks, 1), bound, ceiling))
