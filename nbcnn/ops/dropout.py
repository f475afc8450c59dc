"""Inverted dropout: kept values are scaled by 1/(1 − p) in training, so evaluation is the identity.

The mask comes from a counter-based generator keyed by `seed` and each element's place in the global batch: row n
of x is example start + n·step of it (nbcnn.random.example_positions), so CPU and CUDA draw the same mask, and so
do a process holding the whole batch and ranks each holding some of its rows.
"""
from ..function import Function


class Dropout(Function):
    def forward(self, x, p, seed, start=0, step=1):
        y, mask = self.backend.dropout_forward(x, p, seed, start, step)
        self.save_for_backward(mask, p)
        return y

    def backward(self, grad):
        mask, p = self.saved
        return (self.backend.dropout_backward(grad, mask, p),)
