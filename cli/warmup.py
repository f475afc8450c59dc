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
def warmup(models, data, batch_size):
    """Compile the kernels that `nbcnn train MODEL` and evaluating it need (default: lenet) into Numba's cache, so
    that the first run starts training at once.

    The cache is kept per CPU model, under NUMBA_CACHE_DIR if set (else beside nbcnn's sources): warm up on the
    machine, with the settings, that the runs will use. Other batch sizes and image sizes need kernels of their
    own.
    """
    import numba

    from nbcnn.jit import CompileClock
    from nbcnn.warmup import warmup as fill

    where = numba.config.CACHE_DIR or "__pycache__ folders beside nbcnn's sources"
    with one_line_errors():
        for model in models or ("lenet",):
            started = time.perf_counter()
            with CompileClock() as clock:
                fill(model, data, batch_size)
            done = (f"compiled {clock.compilations} kernels in {clock.seconds:.1f} s" if clock.compilations
                    else "every kernel was cached already")
            click.echo(f"{model}: {done} ({time.perf_counter() - started:.1f} s in all); cache: {where}", err=True)
