"""`nbcnn plot RUNDIR`: loss and accuracy curves from metrics.jsonl, as a PNG."""
import json
from pathlib import Path

import click


@click.command()
@click.argument("rundir", type=click.Path(exists=True, file_okay=False))
@click.option("--out", "-o", type=click.Path(dir_okay=False), help="Default: RUNDIR/curves.png.")
def plot(rundir, out):
    """Draw the run's loss and accuracy per epoch (needs matplotlib: pip install 'nbcnn[plot]')."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise click.ClickException("plotting needs matplotlib: pip install 'nbcnn[plot]'") from None
    metrics = Path(rundir) / "metrics.jsonl"
    if not metrics.is_file():
        raise click.ClickException(f"{metrics} does not exist: has the run finished an epoch?")
    records = [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
    epochs = [r["epoch"] for r in records]
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
    for key in records[0]:
        if key.endswith("_loss"):
            loss_ax.plot(epochs, [r[key] for r in records], marker="o", label=key.replace("_", " "))
        elif key.endswith("_accuracy"):
            acc_ax.plot(epochs, [r[key] for r in records], marker="o", label=key.replace("_", " "))
    for ax, title in ((loss_ax, "loss"), (acc_ax, "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.legend()
        ax.grid(alpha=0.3)
    out = Path(out) if out else Path(rundir) / "curves.png"
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    click.echo(f"wrote {out}")
