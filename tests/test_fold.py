"""nbcnn.optimize_for_inference: batch norm folded into the convolution before it gives the unfolded model's
eval outputs, for every model with such pairs, and leaves alone what it cannot fold."""
import numpy as np
import pytest

import nbcnn
from nbcnn import nn
from nbcnn.models import build_model


def _randomise_statistics(model, rng):
    """Batch norm as training leaves it (statistics and affine terms far from 0 and 1), so that folding is tested
    on numbers that change the outputs."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            m.running_mean.data = rng.normal(0, 0.5, c).astype(np.float32)
            m.running_var.data = rng.uniform(0.2, 3, c).astype(np.float32)
            m.weight.data = rng.normal(1, 0.5, c).astype(np.float32)
            m.bias.data = rng.normal(0, 0.5, c).astype(np.float32)


def _batch_norms(model):
    return sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())


def _eval_output(model, x):
    with nbcnn.no_grad():
        return model.eval()(nbcnn.tensor(x)).numpy()


@pytest.mark.parametrize("name, options, folds", [
    ("resnet20", {}, 19),
    ("resnet20", {"shortcut": "B"}, 21),
    ("resnet18", {"variant": "small"}, 20),
    ("vgg16", {"variant": "small"}, 13),
    ("googlenet", {"variant": "small"}, 57),
    ("fastnet", {}, 3),  # each group's first batch norm follows pooling, its second a convolution
])
def test_folded_model_gives_the_same_outputs(name, options, folds):
    rng = np.random.default_rng(0)
    model = build_model(name, 3, 32, 10, **options)
    _randomise_statistics(model, rng)
    x = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    before_state = {k: v.copy() for k, v in model.state_dict().items()}
    expected = _eval_output(model, x)
    folded = nbcnn.optimize_for_inference(model, x.shape)
    assert _batch_norms(model) - _batch_norms(folded) == folds
    got = _eval_output(folded, x)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    for k, v in model.state_dict().items():  # the original model is untouched
        np.testing.assert_array_equal(v, before_state[k])


class _SharedConvOutput(nn.Module):
    """conv's output feeds its batch norm and the sum: folding would change the sum."""

    def __init__(self):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4)

    def forward(self, x):
        y = self.conv(x)
        return self.bn(y) + y


class _ConvUsedTwice(nn.Module):
    """One convolution applied twice, each time followed by its own batch norm."""

    def __init__(self):
        super().__init__()
        self.conv, self.bn1, self.bn2 = nn.Conv2d(3, 3, 3, padding=1), nn.BatchNorm2d(3), nn.BatchNorm2d(3)

    def forward(self, x):
        return self.bn2(self.conv(self.bn1(self.conv(x))))


@pytest.mark.parametrize("model_class", [_SharedConvOutput, _ConvUsedTwice])
def test_what_cannot_be_folded_is_left_as_it_is(model_class):
    rng = np.random.default_rng(1)
    model = model_class()
    _randomise_statistics(model, rng)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    folded = nbcnn.optimize_for_inference(model, x.shape)
    assert _batch_norms(folded) == _batch_norms(model)
    np.testing.assert_allclose(_eval_output(folded, x), _eval_output(model, x), rtol=1e-6, atol=1e-6)


def test_sequential_keeps_its_order():
    rng = np.random.default_rng(2)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 3, bias=False),
                          nn.BatchNorm2d(2))
    _randomise_statistics(model, rng)
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    folded = nbcnn.optimize_for_inference(model, x.shape)
    assert [type(m).__name__ for m in folded._modules.values()] == ["Conv2d", "Identity", "ReLU", "Conv2d",
                                                                     "Identity"]
    np.testing.assert_allclose(_eval_output(folded, x), _eval_output(model, x), rtol=1e-5, atol=1e-5)
