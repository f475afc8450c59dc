"""What several commands share: finding data (offering a download) and turning engine errors into one line."""
import sys
from contextlib import contextmanager

import click

DEVICES = ("cpu", "cuda")


@contextmanager
def one_line_errors():
    """Errors users cause (bad data, bad options, a missing GPU) end the command with one line, no traceback."""
    from nbcnn.data import DataError
    from nbcnn.training import CheckpointError, TrainingError
    try:
        yield
    except (DataError, CheckpointError, TrainingError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    except RuntimeError as error:
        if "CUDA" in str(error):
            raise click.ClickException(str(error).splitlines()[0]) from None
        raise


def load_data(name, data_dir, offer_download=True):
    """The dataset; when it is missing and a person is at the terminal, offer to download it."""
    from nbcnn.data import DATASETS, DatasetNotFoundError, cache_dir, download, load_dataset
    try:
        return load_dataset(name, data_dir, progress=decode_progress())
    except DatasetNotFoundError as missing:
        known = name.lower() in DATASETS
        if not (offer_download and known and sys.stdin.isatty()):
            raise
        target = data_dir or cache_dir() / name.lower()
        click.echo(str(missing), err=True)
        if not click.confirm(f"Download {name} into {target} now?", default=True):
            raise
        download(name.lower(), target, progress=download_progress())
        return load_dataset(name, data_dir, progress=decode_progress())


def download_progress():
    state = {}

    def report(file_name, done, total):
        if state.get("file") != file_name:
            state["file"] = file_name
            state["shown"] = -1
        percent = int(100 * done / total) if total else -1
        if percent // 10 != state["shown"] // 10 or (total and done == total):
            state["shown"] = percent
            size = f"{done / 1e6:.1f}/{total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
            click.echo(f"  {file_name}: {size}", err=True)

    return report


def decode_progress(stream=None):
    """progress(done, total) for an image folder's first load: redrawn in place on a terminal, else every tenth."""
    stream = stream or sys.stderr
    interactive = stream.isatty()
    state = {"tenth": -1}

    def report(done, total):
        line = f"decoding images (once, then cached): {done}/{total}"
        if interactive:
            click.echo(f"\r{line}", file=stream, nl=done == total)
        elif 10 * done // total != state["tenth"]:
            state["tenth"] = 10 * done // total
            click.echo(line, file=stream)

    return report


def set_threads(threads):
    if threads is None:
        return
    import numba
    ceiling = numba.config.NUMBA_NUM_THREADS
    if not 1 <= threads <= ceiling:
        raise click.BadParameter(f"must lie in [1, {ceiling}] (NUMBA_NUM_THREADS caps it)", param_hint="--threads")
    numba.set_num_threads(threads)
