"""Pictures of what a network learned, as uint8 grids ready to save as PNG: the first convolution's filters (the
lecture decks' 96 coloured 11×11 AlexNet filters) and one layer's feature maps for an image.

Each tile is stretched to the full 0–255 range on its own: filters and maps differ in scale by orders of
magnitude, and a shared scale would leave most of them flat grey. A tile that holds one value is drawn mid-grey.
Tiles are magnified by whole pixels (nearest neighbour), so each weight or activation stays a visible square.
"""
import math

import numpy as np

from . import nn
from .errors import ConfigError
from .function import no_grad
from .tensor import Tensor

GAP = 2  # pixels between tiles
TILE_PIXELS = 64  # tiles are magnified to about this size at least


def first_conv(model):
    """(name, Conv2d) of the model's first convolution in module order."""
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            return name, module
    raise ConfigError(f"{type(model).__name__} has no Conv2d layer whose filters could be shown")


def filter_grid(weight):
    """uint8 grid of filters (K, C, kh, kw): RGB tiles when C is 3, else one grey tile per filter and channel (a
    row of C tiles per filter, so channels line up in columns)."""
    k, c, kh, kw = weight.shape
    if c == 3:
        tiles = _stretch(weight.reshape(k, -1)).reshape(k, c, kh, kw).transpose(0, 2, 3, 1)
        return _grid(tiles, _columns(k))
    tiles = _stretch(weight.reshape(k * c, -1)).reshape(k * c, kh, kw)
    return _grid(tiles, c if c > 1 else _columns(k))


def feature_map_grid(maps):
    """uint8 grey grid of one image's feature maps (C, H, W)."""
    c, h, w = maps.shape
    return _grid(_stretch(maps.reshape(c, -1)).reshape(c, h, w), _columns(c))


def layer_output(model, x, layer):
    """The output of module `layer` (a name as named_modules gives it) when `model` runs on `x` in eval mode; its
    first output if the model calls it more than once."""
    modules = dict(model.named_modules())
    if layer not in modules or layer == "":
        names = [n for n in modules if n]
        raise ConfigError(f"{type(model).__name__} has no layer {layer!r}; its layers: {', '.join(names)}")
    seen = []
    handle = modules[layer].register_forward_hook(lambda module, inputs, output: seen.append(output))
    try:
        with no_grad():
            model.eval()(Tensor(x))
    finally:
        handle.remove()
    return seen[0].numpy()


def _stretch(rows):
    """Each row mapped to [0, 1] by its own minimum and maximum; a constant row to 0.5."""
    rows = rows.astype(np.float64)
    low, high = rows.min(axis=1, keepdims=True), rows.max(axis=1, keepdims=True)
    span = high - low
    return np.where(span > 0, (rows - low) / np.where(span > 0, span, 1), 0.5)


def _columns(n):
    return math.ceil(math.sqrt(n))


def _grid(tiles, columns):
    """tiles (n, h, w[, 3]) in [0, 1] as uint8 rows of `columns` tiles, magnified, GAP white pixels apart."""
    n, h, w = tiles.shape[:3]
    scale = max(1, TILE_PIXELS // max(h, w))
    tiles = tiles.repeat(scale, axis=1).repeat(scale, axis=2)
    h, w = h * scale, w * scale
    rows = math.ceil(n / columns)
    canvas = np.ones((rows * (h + GAP) - GAP, columns * (w + GAP) - GAP) + tiles.shape[3:])
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        canvas[r * (h + GAP):r * (h + GAP) + h, c * (w + GAP):c * (w + GAP) + w] = tile
    return np.round(canvas * 255).astype(np.uint8)
