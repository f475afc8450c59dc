"""The training loop behind `nbcnn train`: epochs of mini-batches, evaluation, metrics and checkpoints.

A run lasts a number of epochs or of iterations (optimiser steps; it may then end mid-epoch, evaluating and saving
there). The learning-rate schedule is stepped after every optimiser step.

Everything a run needs to continue exactly is in its checkpoint: weights and buffers, optimiser and schedule state,
nbcnn's random generator (dropout), and the position in the epoch and in the run. The loader's order depends only on
(seed, epoch), so a resumed run sees the batches the interrupted one would have seen and ends with the same weights.
"""
import json
import math
import signal
import threading
import time
from pathlib import Path

from .. import random as nbrandom
from ..data import DataLoader, channel_stats, normalize, train_val_split
from ..distributed import SingleProcess
from ..models import build_model
from ..nn import functional as F
from ..tensor import Tensor
from . import checkpoint
from .evaluation import evaluate
from .factory import make_augmentation, make_lookahead, make_optimizer, make_schedule

FORMAT = "nbcnn-checkpoint-1"


class TrainingError(RuntimeError):
    """A run stopped for a reason the user must see (a non-finite loss, an unwritable run folder)."""


class TrainingInterrupted(Exception):
    def __init__(self, path):
        super().__init__(f"interrupted; state saved to {path}")
        self.path = path


class Reporter:
    """Receives progress; the command line draws it, tests and scripts may ignore it."""

    def start_epoch(self, epoch, epochs, batches):
        pass

    def batch(self, done, batches, loss, accuracy, images_per_second):
        pass

    def evaluate_batch(self, done, batches):
        pass

    def end_epoch(self, record):
        pass


class Trainer:
    """strategy: how the run is spread over processes (nbcnn.distributed); by default one process does it all."""

    def __init__(self, config, dataset, rundir, reporter=None, strategy=None):
        self.config = config.resolved()
        self.dataset = dataset
        self.rundir = Path(rundir)
        self.reporter = reporter or Reporter()
        self.strategy = strategy or SingleProcess()
        self._stop_requested = False
        cfg = self.config
        train_x, train_y = dataset.train_images, dataset.train_labels
        if cfg.limit:
            train_x, train_y = train_x[:cfg.limit], train_y[:cfg.limit]
        if cfg.val_fraction:
            train_x, train_y, eval_x, eval_y = train_val_split(train_x, train_y, cfg.val_fraction, cfg.seed)
            self.eval_name = "val"
        else:
            eval_x, eval_y = dataset.test_images, dataset.test_labels
            eval_x, eval_y = (eval_x[:cfg.limit], eval_y[:cfg.limit]) if cfg.limit else (eval_x, eval_y)
            self.eval_name = "test"
        self.mean, self.std = channel_stats(train_x)
        augment_on = cfg.augment if cfg.augment is not None else dataset.name.startswith("cifar")
        augment, alternate = make_augmentation(cfg) if augment_on else (None, False)
        self.train_loader = self.strategy.shard_train(DataLoader(train_x, train_y, cfg.batch_size, shuffle=True,
                                                                 seed=cfg.seed, augment=augment, mean=self.mean,
                                                                 std=self.std, alternate_flips=alternate))
        self.eval_loader = self.strategy.shard_eval(DataLoader(eval_x, eval_y, max(cfg.batch_size, 256),
                                                               mean=self.mean, std=self.std))

        nbrandom.manual_seed(cfg.seed)
        c, h, w = dataset.input_shape
        self.model = build_model(cfg.model, in_channels=c, input_size=(h, w), num_classes=dataset.num_classes,
                                 **cfg.model_options)
        if hasattr(self.model, "init_whitening"):  # fastnet: a layer set from the data; 5000 images, as airbench
            self.model.init_whitening(normalize(train_x[:5000], self.mean, self.std))
        self.model.to(cfg.device)
        optimizer = make_optimizer(cfg, self.model)
        steps = len(self.train_loader)
        self.schedule = make_schedule(cfg, optimizer, steps)
        self.optimizer = make_lookahead(cfg, optimizer, self.model, steps)
        self.epochs = cfg.epochs or -(-cfg.iterations // steps)  # the last one may end part-way
        self.epoch, self.batch_index, self.iteration = 0, 0, 0
        self.partial = _fresh_partial()
        self.best_accuracy = -1.0

    # ------------------------------------------------------------------ checkpoints
    def state(self):
        arrays = checkpoint.prefixed("model", self.model.state_dict())
        arrays.update(checkpoint.prefixed("optim", self.optimizer.state_dict()))
        c, h, w = self.dataset.input_shape
        meta = {
            "format": FORMAT, "model": self.config.model, "model_options": self.config.model_options,
            "in_channels": c, "input_size": [h, w], "num_classes": self.dataset.num_classes,
            "classes": list(self.dataset.classes), "dataset": self.dataset.name,
            "mean": [float(v) for v in self.mean], "std": [float(v) for v in self.std],
            "epoch": self.epoch, "batch": self.batch_index, "iteration": self.iteration, "partial": self.partial,
            "best_accuracy": self.best_accuracy, "rng": nbrandom.get_state(),
            "schedule": self.schedule.state_dict() if self.schedule else None, "config": self.config.to_dict(),
        }
        return arrays, meta

    def save(self, name):
        if not self.strategy.is_main:  # every process holds the same state: one writes it
            return self.rundir / name
        arrays, meta = self.state()
        return checkpoint.save(self.rundir / name, arrays, meta)

    def restore(self, path):
        arrays, meta = checkpoint.load(path)
        if meta.get("format") != FORMAT:
            raise checkpoint.CheckpointError(f"{path}: unknown checkpoint format {meta.get('format')!r}")
        if meta["model"] != self.config.model:
            raise checkpoint.CheckpointError(f"{path} holds a {meta['model']} model, not {self.config.model}")
        if "iteration" not in meta:
            raise checkpoint.CheckpointError(f"{path} was written when schedules stepped once per epoch: it cannot "
                                             f"be resumed exactly (evaluate and predict still read it)")
        self.model.load_state_dict(checkpoint.split_prefixed(arrays, "model"))
        self.optimizer.load_state_dict(checkpoint.split_prefixed(arrays, "optim"))
        if self.schedule and meta["schedule"]:
            self.schedule.load_state_dict(meta["schedule"])
        nbrandom.set_state(meta["rng"])
        self.epoch, self.batch_index, self.iteration = meta["epoch"], meta["batch"], meta["iteration"]
        self.partial, self.best_accuracy = meta["partial"], meta["best_accuracy"]

    # ------------------------------------------------------------------ the loop
    def fit(self):
        """Train to the configured number of epochs or iterations; returns the list of per-epoch records."""
        if self.strategy.is_main:
            self._check_rundir()
            (self.rundir / "config.json").write_text(json.dumps(self.config.to_dict(), indent=2) + "\n")
        self.strategy.prepare_model(self.model)
        records = []
        with _graceful_interrupt(self):
            while not self._finished():
                records.append(self._train_epoch())
                if self._stop_requested:  # Ctrl-C during evaluation: last.npz already holds this state
                    raise TrainingInterrupted(self.rundir / "last.npz")
        return records

    def _train_epoch(self):
        cfg, loader = self.config, self.train_loader
        loader.set_epoch(self.epoch, start_batch=self.batch_index)
        batches = len(loader)
        self.reporter.start_epoch(self.epoch, self.epochs, batches)
        self.model.train()
        p = self.partial
        for x, y in loader:
            started = time.perf_counter()
            with nbrandom.example_positions(*self.strategy.example_positions):  # dropout: the global batch's masks
                logits = self.model(Tensor(x, device=cfg.device))
            loss = F.cross_entropy(logits, Tensor(y, device=cfg.device), label_smoothing=cfg.label_smoothing)
            value = loss.item()
            if not math.isfinite(value):
                raise TrainingError(self._nonfinite_message(value))
            self.optimizer.zero_grad()
            loss.backward()
            self.strategy.average_gradients(self.model, len(y))
            p["lr"] = self.optimizer.param_groups[0]["lr"]
            self.optimizer.step()
            self.iteration += 1
            if self.schedule:
                self.schedule.step()
            correct = int((logits.numpy().argmax(axis=1) == y).sum())
            seen, loss_sum, correct = self.strategy.sum(len(y), value * len(y), correct)
            p["seconds"] += time.perf_counter() - started
            p["loss_sum"] += loss_sum
            p["correct"] += correct
            p["seen"] += seen
            self.batch_index += 1
            self.reporter.batch(self.batch_index, batches, p["loss_sum"] / p["seen"], p["correct"] / p["seen"],
                                p["seen"] / max(p["seconds"], 1e-9))
            if self.strategy.any(self._stop_requested):
                raise TrainingInterrupted(self.save("last.npz"))
            if self.iteration == cfg.iterations:
                break
        return self._end_epoch(complete=self.batch_index >= batches)

    def _evaluate(self, tta):
        return self.strategy.reduce_evaluation(
            evaluate(self.model, self.eval_loader, self.dataset.num_classes, self.config.device, tta,
                     progress=self.reporter.evaluate_batch))

    def _finished(self):
        if self.config.iterations:
            return self.iteration >= self.config.iterations
        return self.epoch >= self.config.epochs

    def _end_epoch(self, complete):
        """Evaluate, record and save; an epoch cut short by the iteration limit keeps its place, so a resumed run
        with a higher limit carries on inside it."""
        p, number = self.partial, self.epoch + 1
        result = self._evaluate("none")
        # train_accuracy is the running accuracy over the epoch's batches: 1 − it is the training error of the
        # ResNet paper's figures
        record = {"epoch": number, "iteration": self.iteration, "train_loss": p["loss_sum"] / max(p["seen"], 1),
                  "train_accuracy": p["correct"] / max(p["seen"], 1), f"{self.eval_name}_loss": result["loss"],
                  f"{self.eval_name}_accuracy": result["accuracy"], "lr": p["lr"],
                  "images_per_second": p["seen"] / max(p["seconds"], 1e-9), "seconds": p["seconds"]}
        if complete:
            self.epoch, self.batch_index, self.partial = number, 0, _fresh_partial()
        if self.config.tta != "none" and self._finished():
            # the run's last evaluation, once more with test-time augmentation (its best checkpoint stays by
            # the plain accuracy, comparable across epochs)
            record[f"{self.eval_name}_accuracy_tta"] = self._evaluate(self.config.tta)["accuracy"]
        improved = result["accuracy"] > self.best_accuracy
        self.best_accuracy = max(self.best_accuracy, result["accuracy"])
        saved = self.save(f"epoch-{number:03d}.npz")
        if self.strategy.is_main:  # the same state under two more names, without writing it again
            checkpoint.alias(saved, self.rundir / "last.npz")
            if improved:
                checkpoint.alias(saved, self.rundir / "best.npz")
            self._prune_epoch_checkpoints()
        if self.strategy.is_main:
            with open(self.rundir / "metrics.jsonl", "a") as f:
                f.write(json.dumps(record) + "\n")
        self.reporter.end_epoch(record)
        return record

    def _prune_epoch_checkpoints(self):
        """Drop all but the newest `keep_checkpoints` epoch files; last.npz and best.npz are links of their own."""
        keep = self.config.keep_checkpoints
        if keep:
            for old in sorted(self.rundir.glob("epoch-*.npz"))[:-keep]:
                old.unlink()

    def _nonfinite_message(self, value):
        last = self.rundir / "last.npz"
        kept = f"the last good checkpoint is {last}" if last.exists() else "no checkpoint was written yet"
        return (f"the training loss became {value} at epoch {self.epoch + 1}, batch {self.batch_index + 1} "
                f"(iteration {self.iteration + 1}); "
                f"stopped without saving, {kept}. Try a lower --lr (now {self.config.lr}).")

    def _check_rundir(self):
        try:
            self.rundir.mkdir(parents=True, exist_ok=True)
            probe = self.rundir / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise TrainingError(f"cannot write to the run folder {self.rundir}: {error.strerror or error}") from None


def _fresh_partial():
    """An epoch's running sums, and the learning rate of its latest step."""
    return {"loss_sum": 0.0, "correct": 0, "seen": 0, "seconds": 0.0, "lr": None}


class _graceful_interrupt:
    """The first Ctrl-C asks the loop to stop after the current step (so the checkpoint holds a whole step);
    a second one interrupts at once."""

    def __init__(self, trainer):
        self.trainer = trainer

    def _handler(self, signum, frame):
        if self.trainer._stop_requested:
            raise KeyboardInterrupt
        self.trainer._stop_requested = True

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handler)

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def latest_checkpoint(rundir):
    """The checkpoint a resume starts from: last.npz, else the newest epoch-NNN.npz."""
    rundir = Path(rundir)
    if (rundir / "last.npz").is_file():
        return rundir / "last.npz"
    epochs = sorted(rundir.glob("epoch-*.npz"))
    if not epochs:
        raise checkpoint.CheckpointError(f"{rundir} holds no checkpoint (last.npz or epoch-NNN.npz) to resume from")
    return epochs[-1]


def load_config(rundir):
    path = Path(rundir) / "config.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise checkpoint.CheckpointError(f"cannot read the run's configuration {path}: {error}") from None

