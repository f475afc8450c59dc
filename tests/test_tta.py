"""Test-time augmentation: views worked out by hand for a model that reads one pixel."""
import numpy as np
import pytest

import nbcnn
import nbcnn.nn as nn
from nbcnn.data import DataLoader
from nbcnn.training import evaluate
from nbcnn.training.tta import tta_logits


class Pixel(nn.Module):
    """Logit 0 = channel 0's top-left pixel, logit 1 = 0.25."""

    def forward(self, x):
        return (x.flatten(1)[:, 0:1] * nbcnn.tensor(np.array([[1.0, 0.0]], x.dtype))
                + nbcnn.tensor(np.array([[0.0, 0.25]], x.dtype)))


@pytest.fixture
def x():
    return np.random.default_rng(5).standard_normal((3, 2, 5, 6))


def test_flip_averages_the_mirror_image(x):
    logits = tta_logits(Pixel(), x, "cpu", "flip")
    np.testing.assert_allclose(logits[:, 0], 0.5 * (x[:, 0, 0, 0] + x[:, 0, 0, 5]))


def test_flip_translate_weights_six_views(x):
    # padded by reflection, shifted up-left the top-left pixel is x[1, 1] and its mirror's x[1, 4] (column −1
    # reflects to 1, column 4 stays); shifted down-right it is x[1, 1] again, and its mirror's x[1, 4] (column 6
    # reflects to 4)
    c = x[:, 0]
    expected = 0.25 * (c[:, 0, 0] + c[:, 0, 5]) + 0.25 * (c[:, 1, 1] + c[:, 1, 4])
    np.testing.assert_allclose(tta_logits(Pixel(), x, "cpu", "flip-translate")[:, 0], expected)


def test_evaluate_with_tta_and_unknown_mode():
    images = np.zeros((4, 1, 4, 4), np.uint8)
    images[:2, 0, 0, 3] = 255  # only the mirror images of these light the pixel the model reads
    loader = DataLoader(images, np.array([0, 0, 1, 1]), 4)
    assert evaluate(Pixel(), loader, 2)["accuracy"] == 0.5  # every image: pixel 0 < 0.25, class 1
    assert evaluate(Pixel(), loader, 2, tta="flip")["accuracy"] == 1.0  # the first two: (0 + 1)/2 > 0.25
    with pytest.raises(ValueError, match="test-time augmentation"):
        tta_logits(Pixel(), images.astype(np.float32), "cpu", "rotate")
