"""`nbcnn predict WEIGHTS IMAGE…`: top-k classes with probabilities, from an nbcnn run or checkpoint, or from a
PyTorch state_dict (.pth) of a registry model trained on ImageNet."""
import json
from pathlib import Path

import click

from .common import DEVICES, one_line_errors
from .images import read_for
from .weights import MODEL_HELP, is_torch_file, load_weights


@click.command()
@click.argument("weights", type=click.Path(exists=True))
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "model_name", metavar="NAME", help=MODEL_HELP)
@click.option("--top-k", "-k", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON line per image: top-k indices, names, probabilities.")
@click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True)
def predict(weights, images, model_name, top_k, as_json, device):
    """Classify images (PNG/JPEG with Pillow installed, or .npy uint8 arrays H×W, H×W×C or C×H×W).

    WEIGHTS is a run folder, an nbcnn checkpoint (.npz), or a PyTorch state_dict (.pth/.pt, with --model). For a
    .pth model each image's shorter side is resized to 256 and the centre 224×224 kept, as torchvision evaluates."""
    import numpy as np

    from nbcnn.training import classify

    with one_line_errors():
        model, meta = load_weights(weights, model_name, device)
        batch = np.stack([read_for(is_torch_file(weights), Path(p), meta) for p in images])
        results = classify(model, meta, batch, min(top_k, meta["num_classes"]), device)
    for path, top in zip(images, results):
        if as_json:
            click.echo(json.dumps({"image": path, "top": [{"index": k, "name": name, "probability": p}
                                                          for k, name, p in top]}))
        else:
            click.echo(f"{path}: " + ", ".join(f"{name} {p:.1%}" for _, name, p in top))
