"""`nbcnn show filters|activations`: PNG grids of a trained model's first-layer filters, or of one layer's feature
maps for an image (nbcnn.visualize draws them; Pillow writes the PNG)."""
from pathlib import Path

import click

from .common import one_line_errors
from .images import pillow, read_for
from .weights import MODEL_HELP, is_torch_file, load_weights


@click.group()
def show():
    """Pictures of a trained model, as PNG grids (need Pillow: pip install 'nbcnn[image]')."""


@show.command()
@click.argument("weights", type=click.Path(exists=True))
@click.option("--model", "model_name", metavar="NAME", help=MODEL_HELP)
@click.option("--out", "-o", type=click.Path(dir_okay=False), default="filters.png", show_default=True)
def filters(weights, model_name, out):
    """The first convolution's filters, one tile each (in colour for RGB inputs), each stretched to full contrast.

    WEIGHTS is a run folder, an nbcnn checkpoint (.npz), or a PyTorch state_dict (.pth/.pt, with --model)."""
    from nbcnn.visualize import filter_grid, first_conv

    with one_line_errors():
        model, _ = load_weights(weights, model_name)
        name, conv = first_conv(model)
        grid = filter_grid(conv.weight.numpy())
    _save(grid, out)
    k, c, kh, kw = conv.weight.shape
    click.echo(f"{out}: {k} filters of {name} ({c}×{kh}×{kw}), {grid.shape[1]}×{grid.shape[0]} px")


@show.command()
@click.argument("weights", type=click.Path(exists=True))
@click.argument("image", type=click.Path(exists=True, dir_okay=False))
@click.option("--layer", required=True, metavar="NAME",
              help="A module name as named_modules gives it, e.g. layer1.0.conv1 or features.3.")
@click.option("--model", "model_name", metavar="NAME", help=MODEL_HELP)
@click.option("--out", "-o", type=click.Path(dir_okay=False), default="activations.png", show_default=True)
def activations(weights, image, layer, model_name, out):
    """LAYER's feature maps for IMAGE (preprocessed as `nbcnn predict` does), one grey tile per channel, each
    stretched to full contrast."""
    import numpy as np

    from nbcnn.data import normalize
    from nbcnn.visualize import feature_map_grid, layer_output

    with one_line_errors():
        model, meta = load_weights(weights, model_name)
        pixels = read_for(is_torch_file(weights), Path(image), meta)[None]
        x = normalize(pixels, np.asarray(meta["mean"], np.float32), np.asarray(meta["std"], np.float32))
        maps = layer_output(model, x, layer)
    if maps.ndim != 4:
        raise click.ClickException(f"layer {layer} gives an output of shape {maps.shape}, not feature maps "
                                   f"(N, C, H, W): choose a convolutional layer")
    grid = feature_map_grid(maps[0])
    _save(grid, out)
    click.echo(f"{out}: {maps.shape[1]} maps of {layer} ({maps.shape[2]}×{maps.shape[3]}), "
               f"{grid.shape[1]}×{grid.shape[0]} px")


def _save(grid, out):
    pillow(out).fromarray(grid).save(out)
