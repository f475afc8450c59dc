"""`nbcnn plot`: several runs' error curves on one figure."""
import json

import pytest
from click.testing import CliRunner

from cli.main import main
from cli.plot import curves, iterations

pytest.importorskip("matplotlib")

PNG = b"\x89PNG\r\n\x1a\n"


def _write_run(folder, accuracies, with_iterations=True, batch_size=None):
    """A run folder: one metrics.jsonl record per (train, test) accuracy pair, 100 steps an epoch."""
    folder.mkdir()
    lines = []
    for epoch, (train, test) in enumerate(accuracies, 1):
        record = {"epoch": epoch, "train_loss": 1.0 / epoch, "train_accuracy": train, "test_loss": 2.0 / epoch,
                  "test_accuracy": test, "images_per_second": 1280.0, "seconds": 10.0}
        if with_iterations:
            record["iteration"] = 100 * epoch
        lines.append(json.dumps(record))
    (folder / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    if batch_size:
        (folder / "config.json").write_text(json.dumps({"batch_size": batch_size}))
    return folder


def test_error_curves_in_percent_against_iterations():
    records = [{"epoch": 1, "iteration": 391, "train_accuracy": 0.5, "val_accuracy": 0.25},
               {"epoch": 2, "iteration": 782, "train_accuracy": 0.9, "val_accuracy": 0.875}]
    got = curves(records, None)
    assert got.keys() == {"x", "train", "val"} and got["x"] == [391, 782]
    assert got["train"] == pytest.approx([50.0, 10.0]) and got["val"] == pytest.approx([75.0, 12.5])
    assert curves(records, None, x="epochs")["x"] == [1, 2]


def test_iterations_estimated_for_runs_without_the_key():
    records = [{"epoch": e, "images_per_second": 1280.0, "seconds": 10.0} for e in (1, 2)]
    assert iterations(records, 128) == [100, 200]
    assert iterations(records, None) is None


def test_two_runs_on_one_figure(tmp_path):
    plain = _write_run(tmp_path / "plain-20", [(0.6, 0.55), (0.8, 0.7)])
    res = _write_run(tmp_path / "resnet-20", [(0.7, 0.65), (0.9, 0.8)], with_iterations=False, batch_size=128)
    out = tmp_path / "figure.png"
    result = CliRunner().invoke(main, ["plot", str(plain), str(res), "--out", str(out), "--ylim", "0", "50",
                                       "--label", "plain-20", "--label", "ResNet-20"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == PNG


def test_one_run_writes_into_its_folder(tmp_path):
    run = _write_run(tmp_path / "run", [(0.6, 0.55)], with_iterations=False)
    result = CliRunner().invoke(main, ["plot", str(run), "--metric", "loss"])
    assert result.exit_code == 0, result.output
    assert (run / "curves.png").read_bytes()[:8] == PNG


@pytest.mark.parametrize("args, message", [
    (["--label", "only-one"], "--label given 1 times for 2 runs"),
    (["--x", "iterations"], "use --x epochs"),
])
def test_mistakes_are_one_line(tmp_path, args, message):
    a = _write_run(tmp_path / "a", [(0.6, 0.55)])
    b = _write_run(tmp_path / "b", [(0.6, 0.55)], with_iterations=False)
    result = CliRunner().invoke(main, ["plot", str(a), str(b), "--out", str(tmp_path / "x.png")] + args)
    assert result.exit_code != 0 and message in result.output
