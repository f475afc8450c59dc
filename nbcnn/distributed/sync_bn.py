"""The strategy nbcnn.ops.norm.BatchNorm is given under --sync-bn: per-channel sums over every rank's examples."""
import numpy as np


class BatchNormSync:
    """Turns this rank's batch-norm statistics and gradient sums into those of the global batch.

    Per-channel arrays (C,) of the layer's backend in and out (MPI sums host float64 copies); `count` is this
    rank's number of values per channel (N·H·W), `total` every rank's.
    """

    def __init__(self, collectives):
        self.collectives = collectives

    def statistics(self, backend, mean, var, count):
        """(mean, biased variance, total) of the global batch, the statistics in the dtype of this rank's."""
        dtype, c = mean.dtype, len(mean)
        mean, var = backend.to_numpy(mean).astype(np.float64), backend.to_numpy(var).astype(np.float64)
        sums = np.concatenate([count * mean, count * (var + mean * mean), [count]])
        self.collectives.allreduce_sum([sums], "synchronising batch norm")
        total = sums[-1]
        global_mean = sums[:c] / total
        # E[x²] − E[x]² in float64 from float32 moments loses nothing that float32 kept
        global_var = np.maximum(sums[c:2 * c] / total - global_mean ** 2, 0.0)
        return backend.asarray(global_mean.astype(dtype)), backend.asarray(global_var.astype(dtype)), total

    def gradient_sums(self, backend, sum_dy, sum_dy_xhat, count, total):
        """Σ dy and Σ dy·x̂ over the global batch (float64), in units of this rank's loss.

        Each rank's loss is the mean over its own examples, and DataParallel averages gradients weighted by each
        rank's share of the examples (count / total): the global loss sees a rank's dy times its share.
        """
        share = count / total
        sums = np.concatenate([backend.to_numpy(sum_dy), backend.to_numpy(sum_dy_xhat)]).astype(np.float64) * share
        self.collectives.allreduce_sum([sums], "synchronising batch norm")
        return tuple(backend.asarray(half) for half in np.split(sums / share, 2))
