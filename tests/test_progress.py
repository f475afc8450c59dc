"""Progress lines and bars: elapsed time, ETA, and the first epoch's images/s told apart from compilation."""
from io import StringIO

import pytest

from nbcnn_cli import progress
from nbcnn_cli.common import download_progress


class Terminal(StringIO):
    def isatty(self):
        return True


@pytest.fixture
def clock(monkeypatch):
    """A clock the test moves: now[0] seconds."""
    now = [0.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: now[0])
    return now


def test_clock_reads_minutes_and_hours():
    assert [progress.clock(s) for s in (0, 59.9, 65, 3723)] == ["0:00", "0:59", "1:05", "1:02:03"]


def test_lines_every_tenth_with_elapsed_time_and_an_eta_from_the_rate_after_the_first_unit(clock):
    stream = StringIO()  # not a terminal: whole lines
    bar = progress.Progress("work", 100, stream)
    clock[0] = 30.0  # the first unit is slow (it compiles): the ETA must not count it
    bar.update(1)
    for done in range(2, 101):
        clock[0] = 30.0 + (done - 1) * 0.5
        bar.update(done)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[0] == "work 1/100, 0:30 elapsed"  # no rate yet, no ETA
    # at 50: 49 units in 24.5 s after the first, 50 to go at 2 per second
    assert lines[5] == "work 50/100, 0:54 elapsed, ETA 0:25"
    assert lines[-1] == "work 100/100, 1:19 elapsed"


def test_a_terminal_gets_one_bar_redrawn_in_place(clock):
    stream = Terminal()
    bar = progress.Progress("work", 4, stream)
    for done in range(1, 5):
        clock[0] += 1.0
        bar.update(done, "loss 0.5")
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.count("\n") == 1 and text.endswith("\n")
    assert "\rwork [" + "#" * 15 + "-" * 15 + "] 2/4 loss 0.5, 0:02 elapsed, ETA 0:02" in text


def test_download_lines_in_megabytes(clock):
    stream = StringIO()
    report = download_progress(stream)
    for done in range(1, 11):  # a megabyte a second, the first at 0 s
        clock[0] = done - 1
        report("train.gz", done * 1_000_000, 10_000_000)
    lines = stream.getvalue().splitlines()
    assert lines[4] == "  train.gz 5.0/10.0 MB, 0:04 elapsed, ETA 0:05" and len(lines) == 10


def test_the_first_epoch_s_rate_is_given_without_its_compilation(clock, capsys):
    compiled = [3.0]  # seconds compiled before the epoch (building the model) belong to no step
    reporter = progress.EpochProgress(StringIO(), compiling=lambda: compiled[0])
    reporter.start_epoch(0, 2, 10)
    compiled[0] = 13.0
    for done in range(1, 11):
        reporter.batch(done, 10, 0.5, 0.75, 100.0)
    reporter.end_epoch({"train_loss": 0.5, "train_accuracy": 0.75, "test_loss": 0.6, "test_accuracy": 0.7,
                        "images_per_second": 100.0, "seconds": 20.0, "lr": 0.1})
    # 2,000 images in 20 s, 10 of them compiling: 200 images/s in the other 10
    assert "100 img/s (10 s of it compiling kernels; 200 img/s without)" in capsys.readouterr().out

    reporter.start_epoch(1, 2, 10)  # nothing compiles any more: the rate stands alone
    reporter.batch(10, 10, 0.5, 0.75, 190.0)
    reporter.end_epoch({"train_loss": 0.5, "train_accuracy": 0.75, "test_loss": 0.6, "test_accuracy": 0.7,
                        "images_per_second": 190.0, "seconds": 10.0, "lr": 0.1})
    assert "190 img/s, lr 0.1" in capsys.readouterr().out
