"""The training job end to end on small generated datasets in the official file formats."""
import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

import nbcnn
from nbcnn.data import normalize
from nbcnn.data.fake import write_fake_dataset
from nbcnn.models import build_model
from nbcnn.training import Reporter, TrainConfig, Trainer, TrainingError, TrainingInterrupted, checkpoint
from nbcnn_cli.main import main


@pytest.fixture(scope="module")
def mnist_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mnist")
    write_fake_dataset("mnist", folder, n_train=96, n_test=32, seed=0)
    return folder


def dataset(folder, name="mnist"):
    from nbcnn.data import load_dataset
    return load_dataset(name, folder)


def config(folder, **changes):
    values = dict(model="lenet", data="mnist", data_dir=str(folder), epochs=2, batch_size=32, lr=0.05, seed=3,
                  optimizer="adam")
    values.update(changes)
    return TrainConfig(**values)


def weights(trainer):
    return trainer.model.state_dict()


def test_cli_train_evaluate_predict(mnist_dir, tmp_path):
    run = tmp_path / "run"
    runner = CliRunner()
    result = runner.invoke(main, ["train", "lenet", "--data", "mnist", "--data-dir", str(mnist_dir), "--epochs", "1",
                                  "--batch-size", "32", "--out", str(run)])
    assert result.exit_code == 0, result.output
    assert "test accuracy" in result.output
    for name in ("best.npz", "last.npz", "epoch-001.npz", "config.json", "metrics.jsonl"):
        assert (run / name).is_file(), name
    record = json.loads((run / "metrics.jsonl").read_text().splitlines()[0])
    assert record["epoch"] == 1
    # by hand: the saved model's predictions on the test images, normalised with the saved statistics (one image
    # of slack: evaluation's batches may round a near tie the other way)
    arrays, meta = checkpoint.load(run / "epoch-001.npz")
    model = build_model("lenet", 1, 28, 10)
    model.load_state_dict(checkpoint.split_prefixed(arrays, "model"))
    model.eval()
    data = dataset(mnist_dir)
    logits = model(nbcnn.tensor(normalize(data.test_images, meta["mean"], meta["std"]))).numpy()
    assert abs(record["test_accuracy"] - np.mean(logits.argmax(axis=1) == data.test_labels)) <= 1 / 32 + 1e-12

    result = runner.invoke(main, ["evaluate", str(run), "--data", "mnist", "--data-dir", str(mnist_dir), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["n"] == 32 and abs(report["accuracy"] - record["test_accuracy"]) < 1e-12
    assert np.array(report["confusion"]).sum() == 32

    image = tmp_path / "digit.npy"
    np.save(image, np.zeros((28, 28), np.uint8))
    result = runner.invoke(main, ["predict", str(run / "best.npz"), str(image), "--top-k", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.count("%") == 2


def test_resume_ends_with_the_weights_of_an_uninterrupted_run(mnist_dir, tmp_path):
    data = dataset(mnist_dir)
    whole = Trainer(config(mnist_dir, model_options={}), data, tmp_path / "whole")
    whole.fit()

    class StopAfter(Reporter):  # a Ctrl-C after the 4th step (mid second epoch)
        def __init__(self, trainer):
            self.trainer, self.steps = trainer, 0

        def batch(self, *a):
            self.steps += 1
            if self.steps == 4:
                self.trainer._stop_requested = True

    first = Trainer(config(mnist_dir), data, tmp_path / "split")
    first.reporter = StopAfter(first)
    with pytest.raises(TrainingInterrupted):
        first.fit()
    resumed = Trainer(config(mnist_dir), data, tmp_path / "split")
    resumed.restore(tmp_path / "split" / "last.npz")
    assert (resumed.epoch, resumed.batch_index) == (1, 1)
    resumed.fit()
    a, b = weights(whole), weights(resumed)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_cli_resume_continues_a_run(mnist_dir, tmp_path):
    run = tmp_path / "run"
    args = ["--data", "mnist", "--data-dir", str(mnist_dir), "--batch-size", "48", "--out", str(run)]
    assert CliRunner().invoke(main, ["train", "lenet", "--epochs", "1"] + args).exit_code == 0
    result = CliRunner().invoke(main, ["train", "lenet", "--resume", str(run), "--epochs", "2"])
    assert result.exit_code == 0, result.output
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 2


def test_nan_loss_after_a_good_epoch_keeps_that_epoch_s_checkpoint(mnist_dir, tmp_path):
    """The run diverges at the first step of epoch 2 (a weight turned into NaN, as an exploding update would):
    training stops, and last.npz and best.npz still hold epoch 1's finite weights."""
    class DivergeInEpochTwo(Reporter):
        def end_epoch(self, record):
            self.good = {k: v.copy() for k, v in trainer.model.state_dict().items()}

        def start_epoch(self, epoch, epochs, batches):
            if epoch == 1:
                state = trainer.model.state_dict()
                name = next(iter(state))
                trainer.model.load_state_dict({**state, name: state[name] * np.nan})

    reporter = DivergeInEpochTwo()
    trainer = Trainer(config(mnist_dir, epochs=3), dataset(mnist_dir), tmp_path / "run", reporter=reporter)
    with pytest.raises(TrainingError, match="loss became nan"):
        trainer.fit()
    assert not (tmp_path / "run" / "epoch-002.npz").exists()
    for name in ("last.npz", "best.npz", "epoch-001.npz"):
        arrays, meta = checkpoint.load(tmp_path / "run" / name)
        assert meta["epoch"] == 1, name
        saved = checkpoint.split_prefixed(arrays, "model")
        for key, want in reporter.good.items():
            assert np.isfinite(saved[key]).all(), (name, key)
            np.testing.assert_array_equal(saved[key], want, err_msg=f"{name}: {key}")


def test_unwritable_run_folder_is_reported_before_training(mnist_dir, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(main, ["train", "lenet", "--data", "mnist", "--data-dir", str(mnist_dir),
                                       "--out", str(blocker / "run")])
    assert result.exit_code != 0 and "cannot write to the run folder" in result.output


def test_missing_data_names_the_files(tmp_path, monkeypatch):
    monkeypatch.setenv("NBCNN_DATA", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    result = CliRunner().invoke(main, ["train", "lenet", "--data", "mnist", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "train-images-idx3-ubyte" in result.output and "nbcnn data download mnist" in result.output


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    checkpoint.save(path, {"a": np.arange(3)}, {"epoch": 1})

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", full_disk)
    with pytest.raises(checkpoint.CheckpointError, match="No space left"):
        checkpoint.save(path, {"a": np.arange(5)}, {"epoch": 2})
    arrays, meta = checkpoint.load(path)
    assert meta["epoch"] == 1 and arrays["a"].tolist() == [0, 1, 2]
    assert os.listdir(tmp_path) == ["c.npz"]  # no temporary file left behind


def test_corrupt_checkpoint_is_named(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(checkpoint.CheckpointError, match="bad.npz"):
        checkpoint.load(path)


def test_cifar_binary_training_with_augmentation(tmp_path):
    write_fake_dataset("cifar10", tmp_path, n_train=40, n_test=10, seed=1, binary=True)
    result = CliRunner().invoke(main, ["train", "lenet", "--data", "cifar10", "--data-dir", str(tmp_path),
                                       "--epochs", "1", "--batch-size", "20", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "3x32x32" in result.output


@pytest.mark.parametrize("augment, changed", [(None, True), (False, False)])  # None: the CIFAR default, on
def test_cifar_augmentation_changes_the_training_images(tmp_path, augment, changed):
    write_fake_dataset("cifar10", tmp_path, n_train=40, n_test=10, seed=1)
    cfg = TrainConfig(model="lenet", data="cifar10", data_dir=str(tmp_path), epochs=1, batch_size=20, augment=augment)
    loader = Trainer(cfg, dataset(tmp_path, "cifar10"), tmp_path / "run").train_loader
    order = loader.order()
    for b in range(len(loader)):
        index = order[b * 20:(b + 1) * 20]
        same = (loader.augmented(index, b) == loader.images[index]).all(axis=(1, 2, 3))
        # a random crop within 4 pixels and a flip leave an image as it was with probability 1/162
        assert (same.sum() <= 2) if changed else same.all()


def test_plot_writes_curves_or_names_the_missing_extra(mnist_dir, tmp_path):
    run = tmp_path / "run"
    args = ["train", "lenet", "--data", "mnist", "--data-dir", str(mnist_dir), "--epochs", "1", "--out", str(run)]
    assert CliRunner().invoke(main, args).exit_code == 0
    result = CliRunner().invoke(main, ["plot", str(run)])
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert result.exit_code != 0 and "pip install 'nbcnn[plot]'" in result.output
    else:
        assert result.exit_code == 0, result.output
        assert (run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_last_and_best_alias_the_epoch_checkpoint_without_sharing_later_writes(tmp_path):
    epoch = tmp_path / "epoch-001.npz"
    checkpoint.save(epoch, {"w": np.arange(4)}, {"epoch": 1})
    checkpoint.alias(epoch, tmp_path / "last.npz")
    assert checkpoint.load(tmp_path / "last.npz")[1] == {"epoch": 1}
    checkpoint.save(tmp_path / "last.npz", {"w": np.zeros(4)}, {"epoch": 2})  # e.g. Ctrl-C mid-epoch 2
    arrays, meta = checkpoint.load(epoch)
    assert meta == {"epoch": 1} and arrays["w"].tolist() == [0, 1, 2, 3]


def test_keep_checkpoints_prunes_old_epochs_but_keeps_best_and_last(mnist_dir, tmp_path):
    run = tmp_path / "run"
    args = ["train", "lenet", "--data", "mnist", "--data-dir", str(mnist_dir), "--epochs", "3", "--batch-size", "48",
            "--keep-checkpoints", "1", "--out", str(run)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in run.glob("*.npz")) == ["best.npz", "epoch-003.npz", "last.npz"]
    accuracies = [json.loads(line)["test_accuracy"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    first_best = accuracies.index(max(accuracies)) + 1  # a later tie does not replace best.npz
    assert checkpoint.load(run / "best.npz")[1]["epoch"] == first_best
    assert checkpoint.load(run / "last.npz")[1]["epoch"] == 3


def test_resnet_paper_recipe_and_explicit_overrides():
    paper = TrainConfig(model="resnet110", data="cifar10", recipe="resnet-paper").resolved()
    assert (paper.batch_size, paper.lr, paper.momentum, paper.nesterov, paper.weight_decay) == (128, 0.1, 0.9, False,
                                                                                                1e-4)
    assert (paper.schedule, paper.milestones, paper.gamma, paper.schedule_unit) == ("multistep", [32000, 48000], 0.1,
                                                                                    "iterations")
    assert (paper.iterations, paper.epochs, paper.val_fraction, paper.augment) == (64000, None, 0.1, True)
    assert (paper.warmup, paper.warmup_mode, paper.warmup_factor) == (400, "constant", 0.1)
    assert TrainConfig(model="resnet56", data="cifar10", recipe="resnet-paper").resolved().warmup == 0
    mine = TrainConfig(model="resnet110", data="cifar10", recipe="resnet-paper", lr=0.05, epochs=3,
                       schedule="cosine").resolved()
    assert (mine.lr, mine.epochs, mine.iterations, mine.milestones, mine.weight_decay) == (0.05, 3, None, None, 1e-4)


def test_cifar_resnet_defaults():
    for name in ("resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "plain20", "plain56"):
        c = TrainConfig(model=name, data="cifar10").resolved()
        assert (c.optimizer, c.momentum, c.nesterov, c.lr, c.weight_decay, c.batch_size, c.schedule, c.epochs) == \
            ("momentum", 0.9, True, 0.1, 5e-4, 128, "onecycle", 30), name
    adam = TrainConfig(model="resnet20", data="cifar10", optimizer="adam").resolved()  # no momentum left over
    assert (adam.momentum, adam.nesterov) == (None, False)


@pytest.mark.parametrize("key", ["lr", "weight_decay", "momentum", "label_smoothing", "val_fraction", "gamma",
                                 "warmup_factor"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_config_refuses_non_finite_floats(key, value):
    with pytest.raises(ValueError, match=f"{key} must be a finite number"):
        TrainConfig(model="lenet", data="mnist", **{key: value}).resolved()


@pytest.mark.parametrize("option", ["--lr", "--weight-decay", "--momentum", "--label-smoothing", "--val-fraction",
                                    "--gamma", "--warmup-factor", "--collective-timeout"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_cli_refuses_non_finite_floats_at_the_option(option, value):
    result = CliRunner().invoke(main, ["train", "lenet", "--data", "mnist", option, value])
    assert result.exit_code == 2 and f"Invalid value for '{option}'" in result.output, result.output


def test_config_refuses_inconsistent_settings():
    for changes, message in [(dict(epochs=2, iterations=5), "not both"), (dict(schedule="multistep"), "milestones"),
                             (dict(milestones=[3]), "multistep schedule, not cosine"),
                             (dict(optimizer="adam", momentum=0.5), "not adam"),
                             (dict(optimizer="sgd", nesterov=True), "nesterov needs")]:
        with pytest.raises(ValueError, match=message):
            TrainConfig(model="lenet", data="mnist", **changes).resolved()


def test_iteration_limit_ends_mid_epoch_and_a_higher_limit_carries_on(mnist_dir, tmp_path):
    """96 images in batches of 32: three steps an epoch, so 4 iterations end one step into epoch 2."""
    data = dataset(mnist_dir)
    schedule = dict(optimizer="momentum", schedule="multistep", milestones=[3, 5], schedule_unit="iterations",
                    warmup=2, warmup_mode="constant", warmup_factor=0.5, label_smoothing=0.1, epochs=None)
    whole = Trainer(config(mnist_dir, iterations=7, **schedule), data, tmp_path / "whole")
    whole_records = whole.fit()
    assert [r["iteration"] for r in whole_records] == [3, 6, 7]
    # the rate of each epoch's last step (steps 2, 5 and 6 counting from 0): warm-up over, then ÷10 from step 3
    # and again from step 5
    np.testing.assert_allclose([r["lr"] for r in whole_records], [0.05, 0.0005, 0.0005])

    short = Trainer(config(mnist_dir, iterations=4, **schedule), data, tmp_path / "split")
    records = short.fit()
    assert [(r["epoch"], r["iteration"]) for r in records] == [(1, 3), (2, 4)]
    meta = checkpoint.load(tmp_path / "split" / "last.npz")[1]
    assert (meta["epoch"], meta["batch"], meta["iteration"]) == (1, 1, 4)
    assert (tmp_path / "split" / "epoch-002.npz").is_file()

    longer = Trainer(config(mnist_dir, iterations=7, **schedule), data, tmp_path / "split")
    longer.restore(tmp_path / "split" / "last.npz")
    assert [r["iteration"] for r in longer.fit()] == [6, 7]
    a, b = weights(whole), weights(longer)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_one_cycle_resumed_mid_epoch_ends_with_the_uninterrupted_weights(mnist_dir, tmp_path):
    data = dataset(mnist_dir)
    settings = dict(optimizer="sgd", momentum=0.9, nesterov=True, schedule="onecycle", epochs=2, warmup=1,
                    label_smoothing=0.1)
    whole = Trainer(config(mnist_dir, **settings), data, tmp_path / "whole")
    whole.fit()
    first = Trainer(config(mnist_dir, **settings), data, tmp_path / "split")

    class StopAfter(Reporter):
        def batch(self, done, *rest):
            if first.iteration == 4:  # one step into epoch 2
                first._stop_requested = True

    first.reporter = StopAfter()
    with pytest.raises(TrainingInterrupted):
        first.fit()
    resumed = Trainer(config(mnist_dir, **settings), data, tmp_path / "split")
    resumed.restore(tmp_path / "split" / "last.npz")
    assert (resumed.epoch, resumed.batch_index, resumed.iteration) == (1, 1, 4)
    assert resumed.optimizer.param_groups[0]["lr"] == whole_lr_at(settings, data, mnist_dir, tmp_path, 4)
    resumed.fit()
    a, b = weights(whole), weights(resumed)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def whole_lr_at(settings, data, folder, tmp_path, step):
    """The rate a fresh trainer's schedule gives step `step`, stepped there without training."""
    fresh = Trainer(config(folder, **settings), data, tmp_path / "fresh")
    for _ in range(step):
        fresh.schedule.step()
    return fresh.optimizer.param_groups[0]["lr"]


def test_cli_recipe_iterations_and_metrics(mnist_dir, tmp_path):
    run = tmp_path / "run"
    result = CliRunner().invoke(main, ["train", "lenet", "--data", "mnist", "--data-dir", str(mnist_dir), "--recipe",
                                       "resnet-paper", "--iterations", "4", "--milestones", "2", "-b", "32",
                                       "--nesterov", "--label-smoothing", "0.1", "--out", str(run)])
    assert result.exit_code == 0, result.output
    saved = json.loads((run / "config.json").read_text())
    assert (saved["recipe"], saved["iterations"], saved["milestones"], saved["nesterov"], saved["weight_decay"]) == \
        ("resnet-paper", 4, [2], True, 1e-4)
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in records] == [3, 4] and "val_accuracy" in records[-1]
    result = CliRunner().invoke(main, ["train", "lenet", "--resume", str(run), "--iterations", "5"])
    assert result.exit_code == 0, result.output
    assert json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])["iteration"] == 5


def test_a_checkpoint_without_an_iteration_count_is_not_resumed(mnist_dir, tmp_path):
    trainer = Trainer(config(mnist_dir, epochs=None, iterations=1), dataset(mnist_dir), tmp_path / "run")
    trainer.fit()
    arrays, meta = checkpoint.load(tmp_path / "run" / "last.npz")
    del meta["iteration"]
    checkpoint.save(tmp_path / "old.npz", arrays, meta)
    with pytest.raises(checkpoint.CheckpointError, match="stepped once per epoch"):
        Trainer(config(mnist_dir), dataset(mnist_dir), tmp_path / "run").restore(tmp_path / "old.npz")
