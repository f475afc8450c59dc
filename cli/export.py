"""`nbcnn export WEIGHTS OUT.onnx`: a trained model as an ONNX file, for runtimes other than nbcnn."""
import json

import click

from .common import one_line_errors
from .weights import MODEL_HELP, load_weights


@click.command()
@click.argument("weights", type=click.Path(exists=True))
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--model", "model_name", metavar="NAME", help=MODEL_HELP)
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True,
              help="Batch size the graph's input and output are fixed at.")
def export(weights, out, model_name, batch):
    """Write the model's evaluation-mode forward pass to OUT as ONNX (opset 17; needs 'nbcnn[onnx]').

    WEIGHTS is a run folder, an nbcnn checkpoint (.npz), or a PyTorch state_dict (.pth/.pt, with --model). The graph
    takes normalised images (N, C, H, W) as "input" and gives logits as "output"; the mean and std to normalise
    with are in the file's metadata, as JSON under "mean" and "std"."""
    from nbcnn.interop import OnnxExportError, export_onnx

    with one_line_errors():
        model, meta = load_weights(weights, model_name)
        shape = (batch, meta["in_channels"], *meta["input_size"])
        metadata = {"model": meta["model"], "mean": json.dumps(meta["mean"]), "std": json.dumps(meta["std"])}
        try:
            proto = export_onnx(model, shape, out, metadata=metadata)
        except OnnxExportError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"{out}: {meta['model']}, input {shape}, output {tuple(_dims(proto.graph.output[0]))}, "
               f"{len(proto.graph.node)} nodes")


def _dims(value_info):
    return (d.dim_value for d in value_info.type.tensor_type.shape.dim)
