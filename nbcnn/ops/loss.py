"""Softmax cross-entropy with mean reduction over the batch, computed with log-sum-exp."""
from ..function import Function


class CrossEntropy(Function):
    def forward(self, logits, target):
        loss, probs = self.backend.cross_entropy_forward(logits, target)
        self.save_for_backward(probs, target)
        return loss

    def backward(self, grad):
        probs, target = self.saved
        return self.backend.cross_entropy_backward(grad, probs, target), None
