"""`nbcnn train MODEL --data NAME`: train a registry model on a dataset, with checkpoints and metrics."""
import json
import time
from pathlib import Path

import click

from .common import DEVICES, load_data, one_line_errors, set_threads

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
SCHEDULES = ("constant", "step", "cosine")


@click.command()
@click.argument("model")
@click.option("--data", "data_name", help="mnist, fashion-mnist, cifar10, cifar100, or a folder (required unless "
              "--resume).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where to look for the data first.")
@click.option("--epochs", type=click.IntRange(min=1), help="Default: per model (lenet 10, others 30).")
@click.option("--batch-size", "-b", type=click.IntRange(min=1), help="Default: per model.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), help="Learning rate. Default: per model.")
@click.option("--optimizer", type=click.Choice(OPTIMIZERS), help="momentum = SGD with momentum 0.9.")
@click.option("--weight-decay", type=click.FloatRange(min=0), help="L2 penalty. Default: per model.")
@click.option("--schedule", type=click.Choice(SCHEDULES), help="Learning-rate schedule, stepped per epoch.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True)
@click.option("--threads", type=int, help="CPU threads for the kernels (at most NUMBA_NUM_THREADS).")
@click.option("--out", "-o", type=click.Path(file_okay=False), help="Run folder. Default: runs/MODEL-DATA-TIME.")
@click.option("--resume", type=click.Path(exists=True, file_okay=False), help="Continue the run in this folder.")
@click.option("--val-fraction", type=click.FloatRange(0, 1, max_open=True), default=0.0, show_default=True,
              help="Hold out this share of the training set and report accuracy on it each epoch.")
@click.option("--augment/--no-augment", default=None, help="Random crop + flip. Default: on for CIFAR.")
@click.option("--limit", type=click.IntRange(min=1), help="Use only the first N training and test images.")
@click.option("--keep-checkpoints", type=click.IntRange(min=1),
              help="Keep only the newest N epoch-NNN.npz files (default: all); last.npz and best.npz always stay.")
@click.option("--option", "model_options", multiple=True, metavar="KEY=VALUE",
              help="A model option, e.g. --option activation=tanh (see `nbcnn models`).")
@click.option("--distributed", is_flag=True, help="Data-parallel over the MPI ranks of `mpirun -n N nbcnn train …`: "
              "each trains on its share of every --batch-size batch (needs mpi4py: pip install 'nbcnn[mpi]').")
@click.option("--sync-bn", is_flag=True, help="With --distributed: batch norm uses the statistics of every rank's "
              "examples, as one process would.")
@click.option("--collective-timeout", type=click.FloatRange(min=0, min_open=True), help="With --distributed: "
              "seconds to wait for the other ranks before stopping them all (a rank died or hung). Default: 300.")
def train(model, data_name, data_dir, epochs, batch_size, lr, optimizer, weight_decay, schedule, seed, device,
          threads, out, resume, val_fraction, augment, limit, keep_checkpoints, model_options, distributed,
          sync_bn, collective_timeout):
    """Train MODEL on a dataset and report test accuracy after each epoch.

    Checkpoints (every epoch, the best, and on Ctrl-C), metrics.jsonl and config.json go to the run folder;
    `--resume RUNDIR` continues a run exactly where it stopped, on any number of ranks.
    """
    from nbcnn.training import TrainConfig, Trainer, TrainingInterrupted, latest_checkpoint, load_config

    from .progress import EpochProgress

    set_threads(threads)
    strategy = _strategy(distributed, sync_bn, collective_timeout)
    main = strategy.is_main
    with one_line_errors():
        if resume:
            saved = load_config(resume)
            if model != saved["model"]:
                raise click.ClickException(f"{resume} is a run of {saved['model']}, not {model}")
            if epochs:
                saved["epochs"] = epochs  # the one setting a resumed run may change: train longer
            config, rundir = TrainConfig(**saved), Path(resume)
        else:
            if not data_name:
                raise click.UsageError("Missing option '--data' (a dataset name or folder).")
            config = TrainConfig(model=model, data=data_name, data_dir=data_dir, epochs=epochs,
                                 batch_size=batch_size, lr=lr, optimizer=optimizer, weight_decay=weight_decay,
                                 schedule=schedule, seed=seed, device=device, threads=threads,
                                 val_fraction=val_fraction, augment=augment, limit=limit,
                                 keep_checkpoints=keep_checkpoints, model_options=_parse_options(model_options))
            stamp = time.strftime("%Y%m%d-%H%M%S")
            rundir = Path(out) if out else Path("runs") / f"{model}-{Path(data_name).name}-{stamp}"
        config = config.resolved()
        config.out = str(rundir)
        dataset = load_data(config.data, config.data_dir)
        trainer = Trainer(config, dataset, rundir, reporter=EpochProgress() if main else None, strategy=strategy)
        if resume:
            start = latest_checkpoint(rundir)
            trainer.restore(start)
            if main:
                click.echo(f"resuming {rundir} from {start.name} (epoch {trainer.epoch + 1}, batch "
                           f"{trainer.batch_index})", err=True)
        if main:
            _describe(config, dataset, trainer, rundir)
        started = time.perf_counter()
        try:
            records = trainer.fit()
        except TrainingInterrupted as stop:
            if main:
                click.echo(f"\ninterrupted: state saved to {stop.path}; continue with "
                           f"`nbcnn train {config.model} --data {config.data} --resume {rundir}`", err=True)
            raise SystemExit(130)
    elapsed = time.perf_counter() - started
    if not main:
        return
    if distributed:
        click.echo(strategy.communication_report(), err=True)
    if records:
        final = records[-1]
        key = next(k for k in final if k.endswith("_accuracy") and not k.startswith("train"))
        click.echo(f"done in {elapsed:.1f} s: {key.replace('_', ' ')} {final[key]:.2%} after {final['epoch']} "
                   f"epochs; best checkpoint {rundir / 'best.npz'}")
    else:
        click.echo(f"nothing to do: {rundir} has already trained {config.epochs} epochs (raise --epochs)")


def _describe(config, dataset, trainer, rundir):
    n_params = sum(p.numel() for p in trainer.model.parameters())
    c, h, w = dataset.input_shape
    click.echo(f"{config.model} ({n_params:,} parameters) on {dataset.name} {c}x{h}x{w}, "
               f"{len(trainer.train_loader.labels):,} training images, {dataset.num_classes} classes; "
               f"{config.optimizer} lr {config.lr} batch {config.batch_size}, {config.epochs} epochs, "
               f"{config.schedule} schedule, device {config.device}{_ranks(trainer.strategy)}; run folder {rundir}",
               err=True)


def _ranks(strategy):
    if strategy.world_size == 1:
        return ""
    sync = ", synchronised batch norm" if strategy.sync_bn else ""
    return f", {strategy.world_size} ranks sharing each batch{sync}"


def _strategy(distributed, sync_bn, timeout):
    from nbcnn.distributed import DistributedError, SingleProcess, data_parallel
    if not distributed:
        if sync_bn:
            raise click.UsageError("--sync-bn needs --distributed")
        return SingleProcess()
    try:
        return data_parallel(sync_bn, timeout)
    except DistributedError as error:
        raise click.ClickException(str(error)) from None


def _parse_options(pairs):
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--option")
        try:
            options[key] = json.loads(value)
        except ValueError:
            options[key] = value  # a bare word, such as tanh
    return options
