"""`nbcnn predict WEIGHTS IMAGE…`: top-k classes with probabilities, from an nbcnn run or checkpoint, or from a
PyTorch state_dict (.pth) of a registry model trained on ImageNet."""
import json
from pathlib import Path

import click

from .common import DEVICES, one_line_errors

TORCH_SUFFIXES = (".pth", ".pt")


@click.command()
@click.argument("weights", type=click.Path(exists=True))
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "model_name", metavar="NAME",
              help="Registry model a .pth state_dict holds (torchvision layout; 3x224x224 input, 1000 ImageNet "
                   "classes, ImageNet preprocessing).")
@click.option("--top-k", "-k", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON line per image: top-k indices, names, probabilities.")
@click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True)
def predict(weights, images, model_name, top_k, as_json, device):
    """Classify images (PNG/JPEG with Pillow installed, or .npy uint8 arrays H×W, H×W×C or C×H×W).

    WEIGHTS is a run folder, an nbcnn checkpoint (.npz), or a PyTorch state_dict (.pth/.pt, with --model). For a
    .pth model each image's shorter side is resized to 256 and the centre 224×224 kept, as torchvision evaluates."""
    import numpy as np

    from nbcnn.training import classify, load_model, load_torch_model

    torch_file = Path(weights).suffix.lower() in TORCH_SUFFIXES
    if torch_file and model_name is None:
        raise click.UsageError(f"{weights} is a PyTorch state_dict: name its model with --model (nbcnn models)")
    if not torch_file and model_name is not None:
        raise click.UsageError("--model is for .pth state_dicts; an nbcnn checkpoint names its own model")
    with one_line_errors():
        if torch_file:
            model, meta = load_torch_model(weights, model_name, device)
            batch = np.stack([_read_imagenet(Path(p)) for p in images])
        else:
            model, meta = load_model(weights, device)
            shape = (meta["in_channels"], *meta["input_size"])
            batch = np.stack([_read_image(Path(p), shape) for p in images])
        results = classify(model, meta, batch, min(top_k, meta["num_classes"]), device)
    for path, top in zip(images, results):
        if as_json:
            click.echo(json.dumps({"image": path, "top": [{"index": k, "name": name, "probability": p}
                                                          for k, name, p in top]}))
        else:
            click.echo(f"{path}: " + ", ".join(f"{name} {p:.1%}" for _, name, p in top))


def _pillow(path):
    try:
        from PIL import Image
    except ImportError:
        raise click.ClickException(f"{path}: reading images needs Pillow (pip install 'nbcnn[image]'); "
                                   f".npy arrays work without it") from None
    return Image


def _read_imagenet(path):
    """uint8 (3, 224, 224) by ImageNet's evaluation preprocessing; a .npy array of that shape is taken as it is."""
    import numpy as np

    from nbcnn.data.imagenet import CROP, resize_and_crop
    if path.suffix.lower() == ".npy":
        array = np.load(path, allow_pickle=False)
        if array.shape == (3, CROP, CROP) and array.dtype == np.uint8:
            return array
        if array.ndim != 3 or array.shape[-1] != 3 or array.dtype != np.uint8:
            raise click.ClickException(f"{path}: expected uint8 pixels H×W×3 (or 3×{CROP}×{CROP}), got "
                                       f"{array.dtype} {array.shape}")
        return resize_and_crop(_pillow(path).fromarray(array))
    with _pillow(path).open(path) as image:
        return resize_and_crop(image)


def _read_image(path, shape):
    """uint8 (C, H, W) of the shape the model takes, or an error naming the file."""
    import numpy as np
    c, h, w = shape
    if path.suffix.lower() == ".npy":
        array = np.load(path, allow_pickle=False)
    else:
        with _pillow(path).open(path) as image:
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
