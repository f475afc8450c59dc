"""Accuracy, per-class accuracy and the confusion matrix of a model over a loader."""
import numpy as np

from ..function import no_grad
from ..nn import functional as F
from ..tensor import Tensor
from .tta import tta_logits


def predict_logits(model, x, device, tta="none"):
    """NumPy logits of normalised images x, in inference mode (see tta_logits for tta)."""
    return tta_logits(model, x, device, tta)


def evaluate(model, loader, num_classes, device="cpu", tta="none", progress=None):
    """{'accuracy', 'loss', 'n', 'per_class_accuracy', 'confusion'} with confusion[true, predicted]; tta: "none",
    "flip" or "flip-translate" (test-time augmentation, nbcnn.training.tta), the loss then of the averaged
    logits. progress(batches_done, batches) is called after each batch."""
    was_training = model.training
    model.eval()
    confusion = np.zeros((num_classes, num_classes), np.int64)
    loss_sum, n = 0.0, 0
    try:
        with no_grad():
            for done, (x, y) in enumerate(loader, 1):
                logits = tta_logits(model, x, device, tta)
                loss_sum += F.cross_entropy(Tensor(logits), Tensor(y)).item() * len(y)
                np.add.at(confusion, (y, logits.argmax(axis=1)), 1)
                n += len(y)
                if progress is not None:
                    progress(done, len(loader))
    finally:
        model.train(was_training)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    return {"accuracy": float(confusion.trace() / max(n, 1)), "loss": loss_sum / max(n, 1), "n": int(n),
            "per_class_accuracy": per_class.tolist(), "confusion": confusion.tolist()}
