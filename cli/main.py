"""`nbcnn` entry point: a click group whose commands live in their own modules."""
import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nbcnn")
def main():
    """nbcnn: train and inspect convolutional networks with Numba kernels."""
