"""`nbcnn predict CHECKPOINT IMAGE…`: top-k classes with probabilities for PNG or .npy images."""
from pathlib import Path

import click

from .common import DEVICES, one_line_errors


@click.command()
@click.argument("checkpoint", type=click.Path(exists=True))
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--top-k", "-k", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True)
def predict(checkpoint, images, top_k, device):
    """Classify images (PNG/JPEG with Pillow installed, or .npy uint8 arrays H×W, H×W×C or C×H×W)."""
    import numpy as np

    from nbcnn.training import classify, load_model

    with one_line_errors():
        model, meta = load_model(checkpoint, device)
        shape = (meta["in_channels"], *meta["input_size"])
        batch = np.stack([_read_image(Path(p), shape) for p in images])
        results = classify(model, meta, batch, min(top_k, meta["num_classes"]), device)
    for path, top in zip(images, results):
        click.echo(f"{path}: " + ", ".join(f"{name} {p:.1%}" for _, name, p in top))


def _read_image(path, shape):
    """uint8 (C, H, W) of the shape the model takes, or an error naming the file."""
    import numpy as np
    c, h, w = shape
    if path.suffix.lower() == ".npy":
        array = np.load(path, allow_pickle=False)
    else:
        try:
            from PIL import Image
        except ImportError:
            raise click.ClickException(f"{path}: reading images needs Pillow (pip install 'nbcnn[image]'); "
                                       f".npy arrays work without it") from None
        with Image.open(path) as image:
            array = np.asarray(image.convert("L" if c == 1 else "RGB").resize((w, h)))
    if array.ndim == 2:
        array = array[None]
    elif array.ndim == 3 and array.shape[-1] in (1, 3) and array.shape[0] not in (1, 3):
        array = array.transpose(2, 0, 1)
    if array.shape != (c, h, w):
        raise click.ClickException(f"{path}: expected an image of shape {c}x{h}x{w}, got {array.shape}")
    if array.dtype != np.uint8:
        raise click.ClickException(f"{path}: expected uint8 pixels, got {array.dtype}")
    return array
