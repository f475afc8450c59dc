"""What several commands share: finding data (offering a download) and turning engine errors into one line."""
import sys
from contextlib import contextmanager

import click

DEVICES = ("cpu", "cuda")


# Modules that still report what a user caused (a loader's arguments, labels out of range) as a plain ValueError;
# their errors stay one line. A ValueError from anywhere else is a bug and keeps its traceback.
_USER_INPUT_MODULES = ("nbcnn.data.", "nbcnn.backend.cpu.loss", "nbcnn.backend.cuda.loss")


@contextmanager
def one_line_errors():
    """Errors users cause (bad data, bad options, shapes that do not fit, a missing GPU) end the command with one
    line, no traceback; every other exception, a bug, shows its traceback."""
    try:
        yield
    except Exception as error:
        line = _one_line(error)
        if line is None:
            raise
        raise click.ClickException(line) from None


def _one_line(error):
    """The line to report for an error the user caused, None for a bug."""
    from nbcnn.data import DataError
    from nbcnn.errors import ConfigError, ShapeError
    from nbcnn.training import CheckpointError, TrainingError
    if isinstance(error, (DataError, CheckpointError, TrainingError, ShapeError, ConfigError)):
        return str(error)
    if isinstance(error, RuntimeError) and "CUDA" in str(error):  # no GPU, or no driver
        return str(error).splitlines()[0]
    if type(error) is ValueError and _raised_in(error).startswith(_USER_INPUT_MODULES):
        return str(error)
    return None


def _raised_in(error):
    """The module whose code raised `error`: the innermost frame of its traceback, or of the error it was raised
    from (Module.__call__ re-raises with the layer's name)."""
    while error.__cause__ is not None and getattr(error, "located", False):
        error = error.__cause__
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_globals.get("__name__", "") if tb is not None else ""


def load_data(name, data_dir, offer_download=True):
    """The dataset; when it is missing and a person is at the terminal, offer to download it."""
    from nbcnn.data import DatasetNotFoundError, cache_dir, download, load_dataset
    from nbcnn.data.specs import get_spec, is_known
    try:
        return load_dataset(name, data_dir, progress=decode_progress())
    except DatasetNotFoundError as missing:
        if not (offer_download and is_known(name) and sys.stdin.isatty()):
            raise
        spec = get_spec(name)  # an alias (cifar-10) downloads where lookup searches (cifar10/)
        target = data_dir or cache_dir() / spec.name
        click.echo(str(missing), err=True)
        if not click.confirm(f"Download {spec.name} into {target} now?", default=True):
            raise
        download(spec.name, target, progress=download_progress())
        return load_dataset(name, data_dir, progress=decode_progress())


def download_progress(stream=None):
    """progress(file_name, done, total) for nbcnn.data.download: a bar per file, with elapsed time and ETA."""
    from .progress import Progress, megabytes
    bars = {}

    def report(file_name, done, total):
        if file_name not in bars:
            bars[file_name] = Progress(f"  {file_name}", total, stream, units=megabytes)
        bars[file_name].update(done)

    return report


def decode_progress(stream=None):
    """progress(done, total) for an image folder's first load."""
    from .progress import Progress
    bar = []

    def report(done, total):
        if not bar:
            bar.append(Progress("decoding images (once, then cached):", total, stream))
        bar[0].update(done)

    return report


def set_threads(threads):
    """Numba's thread count for this process (--threads), or nothing when None."""
    if threads is None:
        return
    import numba
    ceiling = numba.config.NUMBA_NUM_THREADS
    if not 1 <= threads <= ceiling:
        raise click.BadParameter(f"{threads} is more than the {ceiling} Numba can use here; choose 1 to that, or "
                                 "raise NUMBA_NUM_THREADS", param_hint="'--threads'")
    numba.set_num_threads(threads)


def run_threads(recorded, given, say):
    """The thread count a run trains with, set for this process: `given` (--threads) if set, else on --resume the
    count the run `recorded` in config.json, else Numba's. Some kernels sum per-thread partials (the convolutions'
    weight gradients, split matrix products), so the weights depend on the count: a resumed run equals an
    uninterrupted one only at the same count. `say` reports a resume that changes it."""
    import numba
    if given is None and recorded is not None:
        ceiling = numba.config.NUMBA_NUM_THREADS
        if recorded > ceiling:
            raise click.ClickException(
                f"this run trained with {recorded} threads, but NUMBA_NUM_THREADS allows this process only "
                f"{ceiling}: the weights depend on the thread count, so resuming would differ from an uninterrupted "
                f"run. Set NUMBA_NUM_THREADS={recorded}, or pass --threads {ceiling} to continue anyway.")
        given = recorded
    set_threads(given)
    threads = numba.get_num_threads()
    if recorded is not None and threads != recorded:
        say(f"warning: this run trained with {recorded} threads and continues with {threads}: its weights will "
            f"differ from those of an uninterrupted run")
    return threads
