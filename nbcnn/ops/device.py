"""Copies between devices, so a tensor moved to the GPU (or back) keeps its gradient's path."""
from .. import backend as backends
from ..function import Function


class ToDevice(Function):
    """Forward copies to `device`; backward copies the gradient back to the input's device."""

    def forward(self, x, device):
        self.save_for_backward(device)
        return backends.get(device).asarray(self.backend.to_numpy(x))

    def backward(self, grad):
        return (self.backend.asarray(backends.get(self.saved[0]).to_numpy(grad)),)

    @classmethod
    def apply(cls, x, device):
        out = super().apply(x, device=device)
        out.device = device  # apply puts its result on its input's device
        return out
