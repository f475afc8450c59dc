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
    """Download NAME (mnist, fashion-mnist, cifar10, cifar100, or an alias such as cifar-10), verifying
    checksums."""
    from nbcnn.data import cache_dir, download as fetch
    from nbcnn.data.specs import get_spec

    with one_line_errors():
        spec = get_spec(name)  # the folder is named as lookup searches it: cifar-10 goes into cifar10/
        path = fetch(spec.name, data_dir or cache_dir() / spec.name, progress=download_progress())
    click.echo(f"{spec.name} is in {path}")


@data.command()
@click.argument("name")
@click.option("--data-dir", type=click.Path(file_okay=False))
def where(name, data_dir):
    """Print the folder NAME would be loaded from."""
    from nbcnn.data import find_dataset

    with one_line_errors():
        click.echo(find_dataset(name, data_dir))
