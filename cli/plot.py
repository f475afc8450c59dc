"""`nbcnn plot RUN [RUN …]`: error curves of several runs on one figure, as in the ResNet paper's Figures 1 and 6
(training error dashed and thin, test error bold, one colour per run), from each run's metrics.jsonl."""
import json
from pathlib import Path

import click


def read_run(rundir):
    """(records of metrics.jsonl, the run's batch size from config.json or None)."""
    metrics = Path(rundir) / "metrics.jsonl"
    if not metrics.is_file():
        raise click.ClickException(f"{metrics} does not exist: has the run finished an epoch?")
    records = [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
    if not records:
        raise click.ClickException(f"{metrics} holds no epoch yet")
    config = Path(rundir) / "config.json"
    batch_size = json.loads(config.read_text()).get("batch_size") if config.is_file() else None
    return records, batch_size


def iterations(records, batch_size):
    """Optimiser steps at each record: its "iteration", else estimated from the images it trained on (older runs
    lack the key); None when neither is known."""
    if all("iteration" in r for r in records):
        return [r["iteration"] for r in records]
    if batch_size and all("images_per_second" in r and "seconds" in r for r in records):
        steps, total = [], 0
        for r in records:
            total += round(r["images_per_second"] * r["seconds"] / batch_size)
            steps.append(total)
        return steps
    return None


def curves(records, batch_size, x="iterations", metric="error"):
    """{"x": …, "train": …, eval name: …}: error in % (100 − accuracy) or loss, per record, against iterations or
    epochs. "x" is None when iterations were asked for and cannot be known."""
    xs = [r["epoch"] for r in records] if x == "epochs" else iterations(records, batch_size)
    suffix = "_accuracy" if metric == "error" else "_loss"
    out = {"x": xs}
    for key in records[0]:
        if key.endswith(suffix):
            values = [r[key] for r in records]
            out[key[:-len(suffix)]] = [100 * (1 - v) for v in values] if metric == "error" else values
    return out


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--x", "x_axis", type=click.Choice(["iterations", "epochs"]),
              help="Default: iterations when every run records them (or they can be estimated), else epochs.")
@click.option("--metric", type=click.Choice(["error", "loss"]), default="error", show_default=True,
              help="error: 100 − accuracy, in %.")
@click.option("--label", "labels", multiple=True, help="A legend name per run, in order. Default: folder names.")
@click.option("--ylim", nargs=2, type=float, help="LOW HIGH of the y axis, e.g. --ylim 0 20.")
@click.option("--out", "-o", type=click.Path(dir_okay=False),
              help="Default: RUN/curves.png for one run, ./curves.png for several.")
def plot(runs, x_axis, metric, labels, ylim, out):
    """Overlay the training (dashed) and test or validation (bold) curves of RUNS (needs matplotlib:
    pip install 'nbcnn[plot]')."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise click.ClickException("plotting needs matplotlib: pip install 'nbcnn[plot]'") from None
    if labels and len(labels) != len(runs):
        raise click.UsageError(f"--label given {len(labels)} times for {len(runs)} runs")
    read = [read_run(run) for run in runs]
    if x_axis is None:
        x_axis = "iterations" if all(iterations(*r) is not None for r in read) else "epochs"
    fig, ax = plt.subplots(figsize=(7, 4.5))
    evals = set()
    for i, ((records, batch_size), run) in enumerate(zip(read, runs)):
        data = curves(records, batch_size, x_axis, metric)
        if data["x"] is None:
            raise click.ClickException(f"{run}: its records hold no iteration counts; use --x epochs")
        colour = f"C{i % 10}"
        for name, values in data.items():
            if name == "train":
                ax.plot(data["x"], values, color=colour, linestyle="--", linewidth=1)
            elif name != "x":
                evals.add(name)
                ax.plot(data["x"], values, color=colour, linewidth=2.2,
                        label=labels[i] if labels else Path(run).resolve().name)
    ax.set_xlabel("iterations" if x_axis == "iterations" else "epoch")
    ax.set_ylabel("error (%)" if metric == "error" else "loss")
    ax.set_title(f"dashed: training, bold: {' / '.join(sorted(evals)) or 'evaluation'}", fontsize=10)
    if ylim:
        ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    ax.legend()
    out = Path(out) if out else (Path(runs[0]) if len(runs) == 1 else Path(".")) / "curves.png"
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    click.echo(f"wrote {out}")
