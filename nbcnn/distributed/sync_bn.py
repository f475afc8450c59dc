"""The hook nbcnn.ops.norm.BatchNorm calls under --sync-bn: per-channel sums over every rank's examples."""
import numpy as np


class BatchNormSync:
    """Turns this rank's batch-norm statistics and gradient sums into those of the global batch.

    Host float64 arrays of shape (C,) in and out; `count` is this rank's number of values per channel
    (N·H·W), `total` every rank's.
    """

    def __init__(self, collectives):
        self.collectives = collectives

    def statistics(self, mean, var, count):
        """(mean, biased variance, total) of the global batch."""
        c = len(mean)
        mean, var = np.asarray(mean, np.float64), np.asarray(var, np.float64)
        sums = np.concatenate([count * mean, count * (var + mean * mean), [count]])
        self.collectives.allreduce_sum([sums], "synchronising batch norm")
        total = sums[-1]
        global_mean = sums[:c] / total
        # E[x²] − E[x]² in float64 from float32 moments loses nothing that float32 kept
        return global_mean, np.maximum(sums[c:2 * c] / total - global_mean ** 2, 0.0), total

    def gradient_sums(self, sum_dy, sum_dy_xhat, count, total):
        """Σ dy and Σ dy·x̂ over the global batch, in units of this rank's loss.

        Each rank's loss is the mean over its own examples, and DataParallel averages gradients weighted by each
        rank's share of the examples (count / total): the global loss sees a rank's dy times its share.
        """
        share = count / total
        sums = np.concatenate([sum_dy, sum_dy_xhat]).astype(np.float64) * share
        self.collectives.allreduce_sum([sums], "synchronising batch norm")
        return np.split(sums / share, 2)
