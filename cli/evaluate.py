"""`nbcnn evaluate RUNDIR|CHECKPOINT --data NAME`: accuracy, per-class accuracy and confusion matrix."""
import json

import click

from nbcnn.training.tta import TTA_MODES

from .common import DEVICES, load_data, one_line_errors
from .progress import Progress


@click.command()
@click.argument("checkpoint", type=click.Path(exists=True))
@click.option("--data", "data_name", help="Dataset to evaluate on. Default: the one the model was trained on.")
@click.option("--data-dir", type=click.Path(file_okay=False))
@click.option("--batch-size", "-b", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True)
@click.option("--tta", type=click.Choice(TTA_MODES), default="none", show_default=True,
              help="Test-time augmentation: average the logits over mirrored (flip) and 1-pixel shifted views.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (accuracy as a fraction, n, ...).")
def evaluate(checkpoint, data_name, data_dir, batch_size, device, tta, as_json):
    """Evaluate a trained model (a run folder's best checkpoint, or a checkpoint file) on a test split."""
    import numpy as np

    from nbcnn.data import DataLoader
    from nbcnn.training import evaluate as run_evaluation, load_model

    with one_line_errors():
        model, meta = load_model(checkpoint, device)
        dataset = load_data(data_name or meta["dataset"], data_dir)
        expected = (meta["in_channels"], *meta["input_size"])
        if dataset.input_shape != expected or dataset.num_classes != meta["num_classes"]:
            raise click.ClickException(f"the model takes {'x'.join(map(str, expected))} images in "
                                       f"{meta['num_classes']} classes; {dataset.name} has "
                                       f"{'x'.join(map(str, dataset.input_shape))} in {dataset.num_classes}")
        loader = DataLoader(dataset.test_images, dataset.test_labels, batch_size,
                            mean=np.asarray(meta["mean"]), std=np.asarray(meta["std"]))
        bar = None if as_json else Progress("evaluating", len(loader))  # --json: one object on stdout, nothing else
        result = run_evaluation(model, loader, meta["num_classes"], device, tta,
                                progress=bar and (lambda done, batches: bar.update(done)))
    result["classes"] = meta.get("classes")
    if as_json:
        click.echo(json.dumps(result))
        return
    with_tta = f" with {tta} test-time augmentation" if tta != "none" else ""
    click.echo(f"{meta['model']} on {dataset.name} test{with_tta}: accuracy {result['accuracy']:.2%} "
               f"({result['n']:,} images), loss {result['loss']:.4f}")
    names = result["classes"] or [str(i) for i in range(meta["num_classes"])]
    width = max(len(n) for n in names)
    click.echo("per class:")
    for name, acc in zip(names, result["per_class_accuracy"]):
        click.echo(f"  {name:<{width}}  {acc:.2%}")
    click.echo("confusion matrix (rows: true class, columns: predicted):")
    for row in result["confusion"]:
        click.echo("  " + " ".join(f"{v:5d}" for v in row))
