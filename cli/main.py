"""`nbcnn` entry point: a click group; each command lives in its own module and is added here."""
import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nbcnn")
def main():
    """nbcnn: train and inspect convolutional networks with Numba kernels."""


# Commands are added explicitly (no scanning), one line each.
