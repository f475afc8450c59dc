"""`nbcnn train MODEL --data NAME`: train a registry model on a dataset, with checkpoints and metrics."""
import json
import time
from pathlib import Path

import click

from nbcnn.optim.sgd import WEIGHT_DECAY_MODES
from nbcnn.training.factory import FLIPS, OPTIMIZERS, SCHEDULES, TRANSLATE_MODES, UNITS, WARMUPS
from nbcnn.training.recipes import RECIPES
from nbcnn.training.tta import TTA_MODES

from .common import DEVICES, load_data, one_line_errors, run_threads
from .options import FiniteFloat, Milestones


@click.command()
@click.argument("model")
@click.option("--data", help="mnist, fashion-mnist, cifar10, cifar100, or a folder (required unless --resume).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where to look for the data first.")
@click.option("--recipe", type=click.Choice(list(RECIPES)), help="A named preset in place of the model's defaults "
              "(resnet-paper: He et al.'s CIFAR recipe, 64k iterations); options given here override it.")
@click.option("--epochs", type=click.IntRange(min=1), help="Default: per model (lenet 10, others 30).")
@click.option("--iterations", type=click.IntRange(min=1), help="Stop after this many optimiser steps instead, "
              "mid-epoch if need be, with an evaluation and a checkpoint there.")
@click.option("--batch-size", "-b", type=click.IntRange(min=1), help="Default: per model.")
@click.option("--lr", type=FiniteFloat(min=0, min_open=True), help="Learning rate (one-cycle: its peak). "
              "Default: per model.")
@click.option("--optimizer", type=click.Choice(OPTIMIZERS), help="momentum = SGD with momentum (0.9 unless "
              "--momentum).")
@click.option("--momentum", type=FiniteFloat(0, 1, max_open=True), help="Momentum of sgd, momentum and rmsprop.")
@click.option("--nesterov/--no-nesterov", default=None, help="Nesterov momentum (sgd and momentum).")
@click.option("--weight-decay", type=FiniteFloat(min=0), help="L2 penalty. Default: per model.")
@click.option("--weight-decay-mode", type=click.Choice(WEIGHT_DECAY_MODES), help="sgd and momentum: l2 adds the "
              "penalty to the gradient (PyTorch's SGD); decoupled shrinks weights by lr x weight decay (SGDW). "
              "Default l2 (fastnet: decoupled).")
@click.option("--lookahead/--no-lookahead", default=None, help="Lookahead weight averaging, airbench's schedule "
              "(fastnet's default: on).")
@click.option("--label-smoothing", type=FiniteFloat(0, 1), help="Cross-entropy label smoothing ε (default 0).")
@click.option("--schedule", type=click.Choice(SCHEDULES), help="Learning-rate schedule, stepped after every "
              "optimiser step: step divides by --gamma at a third and two thirds of the run, multistep at "
              "--milestones, linear decays to 0, onecycle rises linearly to --lr over 30 % of the run and falls.")
@click.option("--milestones", type=Milestones(), help="For multistep: e.g. 32000,48000 (in --schedule-unit).")
@click.option("--gamma", type=FiniteFloat(min=0, min_open=True), help="Factor of step and multistep (default 0.1).")
@click.option("--schedule-unit", "--milestone-unit", "schedule_unit", type=click.Choice(UNITS),
              help="Unit of --milestones and --warmup (default epochs).")
@click.option("--warmup", type=click.IntRange(min=0), help="Warm-up length in --schedule-unit (default 0).")
@click.option("--warmup-mode", type=click.Choice(WARMUPS), help="linear: from --warmup-factor x lr up to lr; "
              "constant: at --warmup-factor x lr throughout (default linear).")
@click.option("--warmup-factor", type=FiniteFloat(0, 1, min_open=True), help="Default 0.1.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True)
@click.option("--threads", type=int, help="CPU threads for the kernels (at most NUMBA_NUM_THREADS).")
@click.option("--out", "-o", type=click.Path(file_okay=False), help="Run folder. Default: runs/MODEL-DATA-TIME.")
@click.option("--resume", type=click.Path(exists=True, file_okay=False), help="Continue the run in this folder.")
@click.option("--val-fraction", type=FiniteFloat(0, 1, max_open=True), help="Hold out this share of the training "
              "set and report accuracy on it each epoch (default 0).")
@click.option("--augment/--no-augment", default=None, help="Random crop + flip. Default: on for CIFAR.")
@click.option("--flip", type=click.Choice(FLIPS), help="With augmentation: random (each image with p 1/2), "
              "alternating (a random half in even epochs, the other half in odd ones) or none. Default random.")
@click.option("--translate", type=click.IntRange(min=0), help="With augmentation: shift by up to N pixels "
              "(pad and crop). Default 4.")
@click.option("--translate-mode", type=click.Choice(TRANSLATE_MODES), help="Padding of --translate (default zero).")
@click.option("--tta", type=click.Choice(TTA_MODES), help="Test-time augmentation of the run's last evaluation, "
              "reported beside the plain accuracy (default none; fastnet: flip-translate).")
@click.option("--limit", type=click.IntRange(min=1), help="Use only the first N training and test images.")
@click.option("--keep-checkpoints", type=click.IntRange(min=1),
              help="Keep only the newest N epoch-NNN.npz files (default: all); last.npz and best.npz always stay.")
@click.option("--option", "model_options", multiple=True, metavar="KEY=VALUE",
              help="A model option, e.g. --option activation=tanh (see `nbcnn models`).")
@click.option("--distributed", is_flag=True, help="Data-parallel over the MPI ranks of `mpirun -n N nbcnn train …`: "
              "each trains on its share of every --batch-size batch (needs mpi4py: pip install 'nbcnn[mpi]').")
@click.option("--sync-bn", is_flag=True, help="With --distributed: batch norm uses the statistics of every rank's "
              "examples, as one process would.")
@click.option("--collective-timeout", type=FiniteFloat(min=0, min_open=True), help="With --distributed: "
              "seconds to wait for the other ranks before stopping them all (a rank died or hung). Default: 300.")
def train(model, out, resume, model_options, distributed, sync_bn, collective_timeout, **settings):
    """Train MODEL on a dataset and report test accuracy after each epoch.

    Checkpoints (every epoch, the best, and on Ctrl-C), metrics.jsonl and config.json go to the run folder;
    `--resume RUNDIR` continues a run exactly where it stopped, on any number of ranks.
    """
    from nbcnn.training import TrainConfig, Trainer, TrainingInterrupted, latest_checkpoint, load_config

    from .compiling import compile_notice
    from .progress import EpochProgress

    strategy = _strategy(distributed, sync_bn, collective_timeout)
    main = strategy.is_main
    threads = _rank_threads(strategy) if distributed and settings["threads"] is None else settings["threads"]
    with one_line_errors(), compile_notice(model, say=None if main else lambda line: None) as compiling:
        if resume:
            saved = load_config(resume)
            if model != saved["model"]:
                raise click.ClickException(f"{resume} is a run of {saved['model']}, not {model}")
            length = {k: settings[k] for k in ("epochs", "iterations") if settings[k]}
            if length:  # the one setting a resumed run may change: train longer
                saved.update({"epochs": None, "iterations": None, **length})
            # Ranks split every batch, so a distributed run equals a one-process run up to rounding whatever each
            # rank's thread count: each keeps the count its launcher gives it.
            recorded = None if distributed else saved.get("threads")
            saved["threads"] = run_threads(recorded, threads,
                                           lambda line: click.echo(line, err=True) if main else None)
            config, rundir = TrainConfig(**saved), Path(resume)
        else:
            if not settings["data"]:
                raise click.UsageError("Missing option '--data' (a dataset name or folder).")
            settings["lookahead"] = _lookahead(model, settings["lookahead"], settings["recipe"])
            settings["threads"] = run_threads(None, threads, None)  # recorded in config.json
            config = TrainConfig(model=model, model_options=_parse_options(model_options), **settings)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            rundir = Path(out) if out else Path("runs") / f"{model}-{Path(config.data).name}-{stamp}"
        config = config.resolved()
        config.out = str(rundir)
        dataset = load_data(config.data, config.data_dir)
        reporter = EpochProgress(compiling=compiling) if main else None
        trainer = Trainer(config, dataset, rundir, reporter=reporter, strategy=strategy)
        if resume:
            start = latest_checkpoint(rundir)
            trainer.restore(start)
            if main:
                click.echo(f"resuming {rundir} from {start.name} (epoch {trainer.epoch + 1}, batch "
                           f"{trainer.batch_index}, iteration {trainer.iteration})", err=True)
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
        tta = f" ({final[key + '_tta']:.2%} with {config.tta})" if key + "_tta" in final else ""
        length = f"{_count(final['iteration'], 'iteration')} ({_count(final['epoch'], 'epoch')})"
        click.echo(f"done in {elapsed:.1f} s: {key.replace('_', ' ')} {final[key]:.2%}{tta} after {length}; "
                   f"best checkpoint {rundir / 'best.npz'}")
    else:
        done = _count(config.iterations, "iteration") if config.iterations else _count(config.epochs, "epoch")
        click.echo(f"nothing to do: {rundir} has already trained {done} (raise --epochs or --iterations)")


def _describe(config, dataset, trainer, rundir):
    n_params = sum(p.numel() for p in trainer.model.parameters())
    c, h, w = dataset.input_shape
    length = f"{config.iterations} iterations" if config.iterations else f"{config.epochs} epochs"
    click.echo(f"{config.model} ({n_params:,} parameters) on {dataset.name} {c}x{h}x{w}, "
               f"{len(trainer.train_loader.labels):,} training images, {dataset.num_classes} classes; "
               f"{_optimizer(config)} lr {config.lr} batch {config.batch_size}, {length}, {_schedule(config)}, "
               f"device {config.device}{_ranks(trainer.strategy)}; run folder {rundir}", err=True)


def _optimizer(config):
    if config.optimizer == "adam" or not config.momentum:
        return config.optimizer
    decoupled = " decoupled weight decay" if config.weight_decay_mode == "decoupled" else ""
    lookahead = " + lookahead" if config.lookahead else ""
    return f"{config.optimizer} {config.momentum}{' nesterov' if config.nesterov else ''}{decoupled}{lookahead}"


def _schedule(config):
    text = f"{config.schedule} schedule"
    if config.milestones:
        text += f" x{config.gamma} at {','.join(map(str, config.milestones))} {config.schedule_unit}"
    if config.warmup:
        text += (f", {config.warmup_mode} warm-up from {config.warmup_factor} x lr over {config.warmup} "
                 f"{config.schedule_unit}")
    return text + (f", recipe {config.recipe}" if config.recipe else "")


def _ranks(strategy):
    if strategy.world_size == 1:
        return ""
    sync = ", synchronised batch norm" if strategy.sync_bn else ""
    return f", {strategy.world_size} ranks sharing each batch{sync}"


def _rank_threads(strategy):
    """Under mpirun, the default thread count: this node's cores divided among its ranks, said once."""
    import os

    import numba

    from nbcnn.distributed import threads_per_rank
    threads = threads_per_rank(strategy.local_ranks, numba.config.NUMBA_NUM_THREADS)
    if strategy.is_main:
        click.echo(f"{strategy.local_ranks} ranks share this node's {os.cpu_count()} cores: {threads} kernel "
                   f"thread{'s' if threads > 1 else ''} each (--threads sets another count)", err=True)
    return threads


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


def _lookahead(model, on, recipe):
    """--lookahead: the recipe's Lookahead settings, else airbench's (fastnet's); --no-lookahead: none."""
    from nbcnn.training.recipes import MODEL_DEFAULTS, preset

    if on is None:
        return None
    if not on:
        return {}
    return preset(model, recipe).get("lookahead") or MODEL_DEFAULTS["fastnet"]["lookahead"]


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


def _count(n, noun):
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
