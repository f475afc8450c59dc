"""Softmax cross-entropy with label smoothing, mean reduction over the batch, computed with log-sum-exp."""
from ..function import Function


class CrossEntropy(Function):
    def forward(self, logits, target, label_smoothing=0.0):
        loss, probs = self.backend.cross_entropy_forward(logits, target, label_smoothing)
        self.save_for_backward(probs, target, label_smoothing)
        return loss

    def backward(self, grad):
        probs, target, label_smoothing = self.saved
        return self.backend.cross_entropy_backward(grad, probs, target, label_smoothing), None
