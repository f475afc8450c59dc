"""Many arrays packed into a few large flat buffers, so that averaging them takes a few large MPI calls."""
import numpy as np

# Large enough that per-call latency is negligible, small enough that the calls of a big model overlap.
BUCKET_ELEMENTS = 4 * 2 ** 20


class Buckets:
    """The layout of arrays of the given sizes, in order, in buffers of about `limit` elements each.

    pack() scales while copying and adds one slot at the end of the last buffer for the scale itself, so a sum
    of packed buffers over ranks also sums their weights.
    """

    def __init__(self, sizes, limit=BUCKET_ELEMENTS):
        self.slots, self.lengths = [], [0]  # slots[i] = (buffer, start, stop) of array i
        for size in sizes:
            if self.lengths[-1] and self.lengths[-1] + size > limit:
                self.lengths.append(0)
            self.slots.append((len(self.lengths) - 1, self.lengths[-1], self.lengths[-1] + size))
            self.lengths[-1] += size
        self.lengths[-1] += 1

    def pack(self, arrays, weight, dtype):
        buffers = [np.empty(n, dtype) for n in self.lengths]
        for array, (b, start, stop) in zip(arrays, self.slots):
            np.multiply(array.ravel(), weight, out=buffers[b][start:stop])
        buffers[-1][-1] = weight
        return buffers

    def weight(self, buffers):
        return buffers[-1][-1]

    def unpack(self, buffers):
        """Views of each array's part of `buffers`, flat."""
        return [buffers[b][start:stop] for b, start, stop in self.slots]
