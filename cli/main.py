"""`nbcnn` entry point: a click group; each command lives in its own module and is added here."""
import click

import nbcnn  # noqa: F401  first, before anything loads NumPy: it sets how long OpenBLAS's threads spin


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nbcnn")
def main():
    """nbcnn: train and inspect convolutional networks with Numba kernels."""


# Commands are added explicitly (no scanning), one line each.
from .train import train  # noqa: E402
from .evaluate import evaluate  # noqa: E402
from .predict import predict  # noqa: E402
from .data import data  # noqa: E402
from .plot import plot  # noqa: E402

main.add_command(train)
main.add_command(evaluate)
main.add_command(predict)
main.add_command(data)
main.add_command(plot)
from .models import models  # noqa: E402
main.add_command(models)
from .summary import summary  # noqa: E402
main.add_command(summary)
from .profile import profile  # noqa: E402
main.add_command(profile)
from .warmup import warmup  # noqa: E402
main.add_command(warmup)
from .export import export  # noqa: E402
main.add_command(export)
from .show import show  # noqa: E402
main.add_command(show)
