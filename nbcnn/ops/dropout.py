"""Inverted dropout: kept values are scaled by 1/(1 − p) in training, so evaluation is the identity.

The mask comes from a counter-based generator keyed by `seed`, so CPU and CUDA draw the same mask.
"""
from ..function import Function


class Dropout(Function):
    def forward(self, x, p, seed):
        y, mask = self.backend.dropout_forward(x, p, seed)
        self.save_for_backward(mask, p)
        return y

    def backward(self, grad):
        mask, p = self.saved
        return (self.backend.dropout_backward(grad, mask, p),)
