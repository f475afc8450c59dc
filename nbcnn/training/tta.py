"""Test-time augmentation: a batch's logits averaged over mirrored and shifted views, as airbench evaluates.

"flip" averages the image and its mirror image. "flip-translate" gives that pair half the weight and splits the
other half between the pairs shifted one pixel up-left and one pixel down-right (reflection fills the edge): six
views, each seen by the network as it was trained (flips and 2-pixel translations).
"""
import numpy as np

from ..function import no_grad
from ..tensor import Tensor

TTA_MODES = ("none", "flip", "flip-translate")


def tta_logits(model, x, device, mode="none"):
    """float (N, classes) logits of normalised float32 images x (N, C, H, W), averaged over mode's views."""
    if mode not in TTA_MODES:
        raise ValueError(f"unknown test-time augmentation {mode!r}; choose one of {', '.join(TTA_MODES)}")
    if mode == "none":
        return _logits(model, x, device)
    pair = _mirrored(model, x, device)
    if mode == "flip":
        return pair
    h, w = x.shape[2:]
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect")
    up_left, down_right = padded[:, :, :h, :w], padded[:, :, 2:, 2:]
    return 0.5 * pair + 0.25 * (_mirrored(model, up_left, device) + _mirrored(model, down_right, device))


def _mirrored(model, x, device):
    return 0.5 * (_logits(model, x, device) + _logits(model, x[..., ::-1], device))


def _logits(model, x, device):
    with no_grad():
        return model(Tensor(np.ascontiguousarray(x), device=device)).numpy()
