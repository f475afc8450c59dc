"""Progress for long work: a bar redrawn in place on a terminal, a line every tenth of an epoch elsewhere."""
import sys
import time

import click

from nbcnn.training import Reporter


class EpochProgress(Reporter):
    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty()
        self.last_draw = 0.0

    def start_epoch(self, epoch, epochs, batches):
        self.label = f"epoch {epoch + 1}/{epochs}"
        self.next_line = max(1, batches // 10)
        self.last_draw = 0.0

    def batch(self, done, batches, loss, accuracy, images_per_second):
        now = time.monotonic()
        if self.interactive:
            if now - self.last_draw < 0.1 and done < batches:
                return
            self.last_draw = now
            width = 30
            filled = width * done // batches
            bar = "#" * filled + "-" * (width - filled)
            click.echo(f"\r{self.label} [{bar}] {done}/{batches} loss {loss:.4f} acc {accuracy:.2%} "
                       f"{images_per_second:,.0f} img/s", file=self.stream, nl=False)
            if done == batches:
                click.echo("", file=self.stream)
        elif done % self.next_line == 0 or done == batches:
            click.echo(f"{self.label} {done}/{batches} loss {loss:.4f} acc {accuracy:.2%} "
                       f"{images_per_second:,.0f} img/s", file=self.stream)

    def end_epoch(self, record):
        evaluated = next(k for k in record if k.endswith("_accuracy") and not k.startswith("train"))
        click.echo(f"{self.label}: train loss {record['train_loss']:.4f}, train acc {record['train_accuracy']:.2%}, "
                   f"{evaluated.replace('_', ' ')} {record[evaluated]:.2%}, "
                   f"{record['images_per_second']:,.0f} img/s, lr {record['lr']:.4g}")
