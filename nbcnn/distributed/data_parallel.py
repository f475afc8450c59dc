"""Synchronous data parallelism over MPI: one copy of the model per rank, each step on the global batch."""
import numpy as np

from .. import backend as backends
from ..nn.norm import _BatchNorm
from ..tensor import Tensor
from .buckets import Buckets
from .loader import ShardedLoader, shard_split
from .sync_bn import BatchNormSync


class DataParallel:
    """Each rank computes gradients on its share of every global batch; their average, weighted by each rank's
    number of examples, is the gradient one process would compute on the whole batch, so every rank takes the
    same optimiser step. The hooks are those of strategy.SingleProcess.

    Batch norm uses each rank's own batch statistics, and its running statistics are averaged with the gradients
    so that every rank holds the same ones; with sync_bn, the statistics and their gradients are the global
    batch's (nbcnn.ops.norm), as in one process. Parameters stay on their device; their gradients travel through
    host memory.
    """

    def __init__(self, collectives, sync_bn=False, local_ranks=1):
        self.collectives, self.sync_bn, self.local_ranks = collectives, sync_bn, local_ranks
        self.rank, self.world_size = collectives.rank, collectives.world_size
        self.is_main = self.rank == 0
        self.example_positions = (self.rank, self.world_size)  # ShardedLoader's every world_size-th row, from rank
        self._buckets = None  # laid out at the first step, for the model's arrays in order

    def shard_train(self, loader):
        return ShardedLoader(loader, self.rank, self.world_size)

    def shard_eval(self, loader):
        return shard_split(loader, self.rank, self.world_size)

    def prepare_model(self, model):
        if self.sync_bn:
            for module in model.modules():
                if isinstance(module, _BatchNorm):
                    module.sync = BatchNormSync(self.collectives)
        state = model.state_dict()
        # float64 holds float32 weights and int64 batch counters exactly
        flat = np.concatenate([v.ravel() for v in state.values()]).astype(np.float64)
        self.collectives.broadcast(flat, "broadcasting rank 0's weights")
        pieces = np.split(flat, np.cumsum([v.size for v in state.values()])[:-1])
        model.load_state_dict({k: p.reshape(v.shape) for (k, v), p in zip(state.items(), pieces)})

    def average_gradients(self, model, count):
        tensors = [p for p in model.parameters() if p.requires_grad]
        # every rank packs the same layout: a parameter its loss did not reach contributes zeros
        arrays = [backends.get(p.device).to_numpy(p.grad.data) if p.grad is not None else np.zeros(p.shape, p.dtype)
                  for p in tensors]
        if not self.sync_bn:  # already equal on every rank when synchronised
            buffers = [b for _, b in model.named_buffers() if np.dtype(b.dtype).kind == "f"]
            tensors += buffers
            arrays += [backends.get(b.device).to_numpy(b.data) for b in buffers]
        if self._buckets is None:
            self._buckets = Buckets([a.size for a in arrays])
        flats = self._buckets.pack(arrays, count, np.result_type(*{a.dtype for a in arrays}))
        self.collectives.allreduce_sum(flats, "averaging gradients")
        total = self._buckets.weight(flats)
        for flat in flats:
            flat /= total
        # fresh buffers every step, so these views belong to this step alone
        for t, value in zip(tensors, self._buckets.unpack(flats)):
            if t.requires_grad:
                t.grad = Tensor(value.reshape(t.shape), device=t.device)
            else:
                t.data = backends.get(t.device).asarray(value.reshape(t.shape))

    def sum(self, *values):
        totals = np.array(values, np.float64)
        self.collectives.allreduce_sum([totals], "summing step statistics")
        return tuple(type(v)(total) for v, total in zip(values, totals))

    def any(self, flag):
        return bool(self.sum(int(flag))[0])

    def reduce_evaluation(self, result):
        confusion = np.asarray(result["confusion"], np.float64)
        sums = np.concatenate([[result["loss"] * result["n"], result["n"]], confusion.ravel()])
        self.collectives.allreduce_sum([sums], "reducing the evaluation")
        n, confusion = int(sums[1]), sums[2:].reshape(confusion.shape).astype(np.int64)
        per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
        return {"accuracy": float(confusion.trace() / max(n, 1)), "loss": float(sums[0] / max(n, 1)), "n": n,
                "per_class_accuracy": per_class.tolist(), "confusion": confusion.tolist()}

    def communication_report(self):
        """One line: time spent in each kind of collective on this rank, waiting for slower ranks included."""
        parts = [f"{what} {1e3 * s / self.collectives.calls[what]:.1f} ms × {self.collectives.calls[what]}"
                 for what, s in self.collectives.seconds.items()]
        return f"rank {self.rank} of {self.world_size}, time in collectives: " + "; ".join(parts)
