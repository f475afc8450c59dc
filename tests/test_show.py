"""Pictures: `nbcnn show filters` (the first convolution's filters) and `nbcnn show activations` (one layer's
feature maps for an image) as PNG grids, each tile stretched to full contrast on its own."""
import numpy as np
import pytest
from click.testing import CliRunner

import nbcnn
from nbcnn import nn
from nbcnn.errors import ConfigError
from nbcnn.models import build_model
from nbcnn.nn import functional as F
from nbcnn.training import checkpoint
from nbcnn.visualize import GAP, feature_map_grid, filter_grid, first_conv
from nbcnn_cli.main import main

Image = pytest.importorskip("PIL.Image")


def _stretched(values):
    values = values.astype(np.float64)
    return np.round((values - values.min()) / (values.max() - values.min()) * 255).astype(np.uint8)


def _tile(grid, index, columns, size):
    """The top-left pixel of every magnified weight in tile `index` (tiles `size` px square, GAP apart)."""
    r, c = divmod(index, columns)
    return grid[r * (size + GAP):r * (size + GAP) + size, c * (size + GAP):c * (size + GAP) + size]


def test_alexnets_filters_are_an_rgb_grid_of_64_tiles():
    conv = build_model("alexnet", 3, 224, 1000).features[0]
    grid = filter_grid(conv.weight.numpy())
    assert grid.shape == (8 * (55 + GAP) - GAP,) * 2 + (3,) and grid.dtype == np.uint8  # 11 px × 5, 8 × 8 tiles
    for index in (0, 37, 63):  # each tile stretched on its own, channels kept together as colour
        tile = _tile(grid, index, 8, 55)[::5, ::5]
        np.testing.assert_array_equal(tile, _stretched(conv.weight.numpy()[index]).transpose(1, 2, 0))
    assert np.all(grid[55:55 + GAP] == 255)  # white gaps between rows


def test_grey_filters_one_tile_per_filter_and_channel():
    weight = np.random.default_rng(0).standard_normal((4, 2, 3, 3))
    weight[3, 1] = 7.0  # a constant tile is drawn mid-grey
    grid = filter_grid(weight)  # a row per filter, a column per input channel; 3 px × 21
    assert grid.shape == (4 * (63 + GAP) - GAP, 2 * (63 + GAP) - GAP)
    np.testing.assert_array_equal(_tile(grid, 2 * 2 + 1, 2, 63)[::21, ::21], _stretched(weight[2, 1]))
    assert np.all(_tile(grid, 3 * 2 + 1, 2, 63) == 128)


def test_feature_maps_are_a_square_grid():
    maps = np.random.default_rng(0).standard_normal((10, 16, 16))
    grid = feature_map_grid(maps)  # 4 columns, 3 rows, 16 px × 4
    assert grid.shape == (3 * (64 + GAP) - GAP, 4 * (64 + GAP) - GAP)
    np.testing.assert_array_equal(_tile(grid, 9, 4, 64)[::4, ::4], _stretched(maps[9]))
    assert np.all(_tile(grid, 10, 4, 64) == 255)  # the last row's unused places stay blank


def test_a_model_without_convolutions_is_refused():
    with pytest.raises(ConfigError, match="Sequential has no Conv2d layer"):
        first_conv(nn.Sequential(nn.Linear(2, 2)))


@pytest.fixture
def lenet_run(tmp_path):
    nbcnn.manual_seed(0)
    model = build_model("lenet", 1, (28, 28), 10)
    meta = {"model": "lenet", "in_channels": 1, "input_size": [28, 28], "num_classes": 10, "mean": [0.5],
            "std": [0.25]}
    checkpoint.save(tmp_path / "best.npz", checkpoint.prefixed("model", model.state_dict()), meta)
    pixels = np.random.default_rng(1).integers(0, 256, (28, 28), dtype=np.uint8)
    np.save(tmp_path / "digit.npy", pixels)
    return model, tmp_path, pixels


def test_cli_filters_png(lenet_run):
    model, run, _ = lenet_run
    out = run / "filters.png"
    result = CliRunner().invoke(main, ["show", "filters", str(run), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"{out}: 6 filters of features.0 (1×5×5), 184×122 px\n"
    with Image.open(out) as png:  # 6 tiles of 5 px × 12 in 3 columns, 2 rows
        assert png.size == (184, 122) and png.mode == "L"
        grid = np.asarray(png)
    np.testing.assert_array_equal(_tile(grid, 4, 3, 60)[::12, ::12], _stretched(model.features[0].weight.numpy()[4, 0]))


def test_cli_activations_png_shows_the_layers_output(lenet_run):
    model, run, pixels = lenet_run
    out = run / "maps.png"
    result = CliRunner().invoke(main, ["show", "activations", str(run), str(run / "digit.npy"), "--layer",
                                       "features.1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "6 maps of features.1 (28×28)" in result.output  # LeNet pads 28 px to 32 for its 5×5 convolution
    x = ((pixels / 255 - 0.5) / 0.25).astype(np.float32)[None, None]
    conv = model.features[0]
    with nbcnn.no_grad():
        expected = F.relu(F.conv2d(nbcnn.Tensor(x), conv.weight, conv.bias, padding=conv.padding)).numpy()[0]
    with Image.open(out) as png:  # 3 columns, 2 rows of 28 px × 2
        assert png.size == (3 * 58 - GAP, 2 * 58 - GAP)
        grid = np.asarray(png)
    for index in range(6):
        np.testing.assert_allclose(_tile(grid, index, 3, 56)[::2, ::2], _stretched(expected[index]), atol=1)


@pytest.mark.parametrize("layer, message", [
    ("features.9", "LeNet5 has no layer 'features.9'; its layers: features, features.0, features.1, "
                   "features.2, features.3, features.4, features.5, classifier, classifier.0"),
    ("classifier.0", "layer classifier.0 gives an output of shape (1, 120), not feature maps (N, C, H, W)"),
])
def test_cli_activations_wrong_layer(lenet_run, layer, message):
    _, run, _ = lenet_run
    result = CliRunner().invoke(main, ["show", "activations", str(run), str(run / "digit.npy"), "--layer", layer,
                                       "-o", str(run / "x.png")])
    assert result.exit_code != 0 and message in result.output
    assert not (run / "x.png").exists()
