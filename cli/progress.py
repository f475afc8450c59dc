"""Progress for long work, with elapsed time and ETA: a bar redrawn in place on a terminal, a plain line every
tenth of the work elsewhere (logs, pipes)."""
import sys
import time

import click

from nbcnn.training import Reporter


def clock(seconds):
    """12:05, or 1:02:03 past an hour."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def megabytes(done, total):
    return f"{done / 1e6:.1f}/{total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"


def count(done, total):
    return f"{done}/{total}"


class Progress:
    """One piece of work of `total` units (None: unknown). The ETA comes from the rate since the first update:
    it leaves out the first unit, which compiles kernels on a first run, and work an earlier process did."""

    def __init__(self, label, total, stream=None, units=count):
        self.label, self.total, self.units = label, total, units
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty()
        self.started = time.monotonic()
        self.first = None  # (units done, time) at the first update
        self.last_draw, self.shown = 0.0, -1

    def update(self, done, detail=""):
        now = time.monotonic()
        if self.first is None:
            self.first = (done, now)
        finished = bool(self.total) and done >= self.total
        if self.interactive:
            if now - self.last_draw < 0.1 and not finished:
                return
            self.last_draw = now
            click.echo(f"\r{self.label} {self._bar(done)}{self._line(done, detail, now)}", file=self.stream,
                       nl=finished)
            return
        # without a total, a line every 5 s
        step = 10 * done // self.total if self.total else int(now - self.started) // 5
        if step > self.shown or finished:
            self.shown = step
            click.echo(f"{self.label} {self._line(done, detail, now)}", file=self.stream)

    def _bar(self, done, width=30):
        if not self.total:
            return ""
        filled = width * min(done, self.total) // self.total
        return "[" + "#" * filled + "-" * (width - filled) + "] "

    def _line(self, done, detail, now):
        elapsed = now - self.started
        timing = f"{clock(elapsed)} elapsed"
        first_done, first_time = self.first
        if self.total and done < self.total and done > first_done and now > first_time:
            rate = (done - first_done) / (now - first_time)
            timing += f", ETA {clock((self.total - done) / rate)}"
        detail = f" {detail}" if detail else ""
        return f"{self.units(done, self.total)}{detail}, {timing}"


class EpochProgress(Reporter):
    """Training's progress. `compiling()` (seconds spent compiling kernels so far, e.g. nbcnn.jit.CompileClock)
    lets an epoch's images/s be told apart from the steady state when it included compilation."""

    def __init__(self, stream=None, compiling=lambda: 0.0):
        self.stream, self.compiling = stream, compiling

    def start_epoch(self, epoch, epochs, batches):
        self.label = f"epoch {epoch + 1}/{epochs}"
        self.bar = Progress(self.label, batches, self.stream)
        self.compiled_before, self.compiled = self.compiling(), 0.0

    def batch(self, done, batches, loss, accuracy, images_per_second):
        self.compiled = self.compiling() - self.compiled_before  # so far this epoch, in its training steps
        rate = f"{images_per_second:,.0f} img/s{' incl. compiling' if self.compiled else ''}"
        self.bar.update(done, f"loss {loss:.4f} acc {accuracy:.2%} {rate}")

    def evaluate_batch(self, done, batches):
        if done == 1:
            self.evaluating = Progress(f"{self.label} evaluating", batches, self.stream)
        self.evaluating.update(done)

    def end_epoch(self, record):
        evaluated = next(k for k in record if k.endswith("_accuracy") and not k.startswith("train"))
        rate = f"{record['images_per_second']:,.0f} img/s"
        if self.compiled > 0:  # the run's first steps compile kernels: say what the rest ran at
            steady = record["images_per_second"] * record["seconds"] / max(record["seconds"] - self.compiled, 1e-9)
            rate += f" ({self.compiled:.0f} s of it compiling kernels; {steady:,.0f} img/s without)"
        click.echo(f"{self.label}: train loss {record['train_loss']:.4f}, train acc {record['train_accuracy']:.2%}, "
                   f"{evaluated.replace('_', ' ')} {record[evaluated]:.2%}, {rate}, lr {record['lr']:.4g}")
