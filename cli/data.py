"""`nbcnn data download NAME` and `nbcnn data where NAME`."""
import click

from .common import download_progress, one_line_errors


@click.group()
def data():
    """Fetch datasets and show where they are found."""


@data.command()
@click.argument("name")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Default: the per-user cache folder.")
def download(name, data_dir):
    """Download NAME (mnist, fashion-mnist, cifar10, cifar100), verifying checksums."""
    from nbcnn.data import cache_dir, download as fetch

    target = data_dir or cache_dir() / name.lower()
    with one_line_errors():
        path = fetch(name.lower(), target, progress=download_progress())
    click.echo(f"{name} is in {path}")


@data.command()
@click.argument("name")
@click.option("--data-dir", type=click.Path(file_okay=False))
def where(name, data_dir):
    """Print the folder NAME would be loaded from."""
    from nbcnn.data import find_dataset

    with one_line_errors():
        click.echo(find_dataset(name, data_dir))
