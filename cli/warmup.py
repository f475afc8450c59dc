"""`nbcnn warmup [MODEL…]`: compile ahead of time the kernels that training and evaluating MODEL need."""
import time

import click

from nbcnn.warmup import SPLITS

from .common import one_line_errors


@click.command()
@click.argument("models", nargs=-1)
@click.option("--data", type=click.Choice(list(SPLITS)), help="The dataset the runs will train on, for its image "
              "size and batch counts. Default: fashion-mnist for lenet, cifar10 for the others.")
@click.option("--batch-size", "-b", type=click.IntRange(min=1), help="The runs' --batch-size. Default: per model.")
@click.option("--bundle", "bundle_out", type=click.Path(dir_okay=False, writable=True),
              help="Instead, compile portable (x86-64-v3) kernels into a fresh cache and zip them into this file, "
                   "for other machines.")
@click.option("--install", "bundle_in", type=click.Path(exists=True, dir_okay=False),
              help="Instead, copy a bundle's kernels into this machine's cache (runs load them with "
                   "NBCNN_PORTABLE_JIT=1). A bundle is machine code: install only bundles you trust.")
def warmup(models, data, batch_size, bundle_out, bundle_in):
    """Compile the kernels that `nbcnn train MODEL` and evaluating it need (default: lenet) into Numba's cache, so
    that the first run starts training at once.

    The cache is kept per CPU model, under NUMBA_CACHE_DIR if set (else beside nbcnn's sources): warm up on the
    machine, with the settings, that the runs will use. Other batch sizes and image sizes need kernels of their
    own. --bundle and --install carry the kernels to other machines (nbcnn/jit_bundle.py).
    """
    import numba

    from nbcnn import jit_bundle
    from nbcnn.jit import CompileClock
    from nbcnn.warmup import warmup as fill

    where = numba.config.CACHE_DIR or "__pycache__ folders beside nbcnn's sources"
    if bundle_out and bundle_in:
        raise click.UsageError("give --bundle or --install, not both")
    if bundle_in and (models or data or batch_size):
        raise click.UsageError("--install takes a bundle only: its models and batch sizes were chosen when it was "
                               "built")
    if bundle_out:
        models = models or ("lenet",)
        click.echo(f"compiling {jit_bundle.PORTABLE_CPU} kernels for {', '.join(models)} into a fresh cache "
                   f"(about a minute a model on two cores)...", err=True)
        with one_line_errors():
            started = time.perf_counter()
            files = jit_bundle.build_bundle(bundle_out, models, data, batch_size)
        click.echo(f"{bundle_out}: {files} cached-kernel files ({time.perf_counter() - started:.1f} s)", err=True)
        return
    if bundle_in:
        with one_line_errors():
            installed, skipped = jit_bundle.install_bundle(bundle_in)
        changed = f"; {skipped} left out (their sources differ from the bundle's)" if skipped else ""
        files = f"{installed} source file" + ("" if installed == 1 else "s")
        click.echo(f"installed the kernels of {files} into {where}{changed}. Runs use them with "
                   f"{jit_bundle.ENVIRONMENT}=1.", err=True)
        return
    with one_line_errors():
        for model in models or ("lenet",):
            started = time.perf_counter()
            with CompileClock() as clock:
                fill(model, data, batch_size)
            done = (f"compiled {clock.compilations} kernels in {clock.seconds:.1f} s" if clock.compilations
                    else "every kernel was cached already")
            click.echo(f"{model}: {done} ({time.perf_counter() - started:.1f} s in all); cache: {where}", err=True)
