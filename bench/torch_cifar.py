"""PyTorch's side of the CIFAR-10 training comparison (issue 13: the ResNet paper's CIFAR networks).

Trains a network of bench/networks.py built with torch.nn, with the recipe `nbcnn train` uses, so that the two
engines' curves and wall times can be set side by side. Only the engine differs: the images are decoded by nbcnn's
own loader (the same uint8 arrays), and the batches come from nbcnn.data.DataLoader with the same seed, so both
see the same train/validation split, the same order, crops and flips, and the same normalisation (the training
set's per-channel mean and std). The CIFAR ResNets get nbcnn's initialisation (He normal, fan_in, on every conv).

    python3 bench/torch_cifar.py --net resnet20 --data /work/data/cifar10-jpeg --threads 2 --out r20.jsonl
    python3 bench/torch_cifar.py --net resnet56 --recipe resnet-paper --data /work/data/cifar10-jpeg --out r56.jsonl
    python3 bench/torch_cifar.py --net resnet20 --data /work/data/cifar10-jpeg --epochs 1 --limit 2048 --threads 1

Recipes (nbcnn/training/recipes.py; a mismatch with that table is printed as a warning at start):
  default       30 epochs, one-cycle rate per iteration (linear from lr/25 up to 0.1 over the first 30 % of the
                steps, then linear down to lr/(25·10⁴)), SGD Nesterov momentum 0.9, weight decay 5e-4, batch 128.
  resnet-paper  He et al. §4.2: batch 128, lr 0.1, momentum 0.9, weight decay 1e-4, ÷10 at 32k and 48k
                iterations, stop at 64k, 45k/5k train/validation split; --warmup-iters 400 holds 0.01 first
                (ResNet-110). The validation error is reported per epoch, the test error at the end.
Both augment with a 4-pixel zero pad, a random 32×32 crop and a horizontal flip (nbcnn's random_crop_flip).

--out: JSON lines: first {"config": …}, then one per epoch (epoch, iteration, train_loss, train_error,
test_/val_loss, test_/val_error, lr, seconds = wall time since training began, evaluation included,
step_seconds = the epoch's time in training steps (nbcnn's metrics.jsonl calls this "seconds"), images_per_second
= images / step_seconds as nbcnn reports it), last {"final": true, test_error, …}.

PyTorch is an optional dependency of the benchmarks only (`pip install torch`, the CPU build); nbcnn never imports it.
"""
import argparse
import json
import math
import os
import sys
import time

# nbcnn raises glibc's malloc thresholds at import (nbcnn/runtime.py); the PyTorch run keeps malloc as a
# PyTorch user has it. Set NBCNN_KEEP_FREED_MEMORY=1 to give PyTorch the same heap.
os.environ.setdefault("NBCNN_KEEP_FREED_MEMORY", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import networks  # noqa: E402
from nbcnn.data import DataLoader, channel_stats, load_dataset, random_crop_flip, train_val_split  # noqa: E402

# The same settings as nbcnn's recipe table, written out so that this script does not move when that table does.
RECIPES = {
    "default": dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4, batch_size=128, schedule="onecycle",
                    epochs=30, iterations=None, milestones=None, val_fraction=0.0),
    "resnet-paper": dict(lr=0.1, momentum=0.9, nesterov=False, weight_decay=1e-4, batch_size=128,
                         schedule="multistep", epochs=None, iterations=64000, milestones=[32000, 48000],
                         val_fraction=0.1),
}
# These must equal nbcnn's OneCycleLR as nbcnn/training/factory.py builds it for schedule "onecycle": PyTorch's
# defaults pct_start 0.3, div_factor 25, final_div_factor 1e4, three_phase off, and there linear annealing with
# momentum held (not cycled); total_steps = iterations, else epochs × batches per epoch (the last batch partial).
ONECYCLE = dict(pct_start=0.3, div_factor=25.0, final_div_factor=1e4, three_phase=False, anneal_strategy="linear",
                cycle_momentum=False)
WARMUP_FACTOR = 0.1  # --warmup-iters: lr × 0.1 (0.01) for that many iterations, then the schedule (ConstantLR)
PAPER_NETS = ("resnet20", "resnet20_b", "resnet56")  # nbcnn.models.cifar_resnet: He-normal convs
CIFAR_NETS = [name for name, (_, shape, classes) in networks.NETWORKS.items()
              if shape == (3, 32, 32) and classes == 10]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Train a bench/networks.py network with PyTorch on CIFAR-10, "
                                            "with nbcnn train's recipe and data pipeline.")
    p.add_argument("--net", default="resnet20", choices=CIFAR_NETS)
    p.add_argument("--data", required=True, help="image folder with train/CLASS/*.jpg and test/CLASS/*.jpg "
                                                 "(or any dataset nbcnn.data.load_dataset reads)")
    p.add_argument("--recipe", default="default", choices=sorted(RECIPES))
    length = p.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=int, help="train this many epochs (instead of the recipe's length)")
    length.add_argument("--iterations", type=int, help="train this many optimiser steps, ending mid-epoch if need be")
    p.add_argument("--warmup-iters", type=int, default=0,
                   help=f"resnet-paper: hold lr × {WARMUP_FACTOR} for this many iterations first (ResNet-110: 400)")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--seed", type=int, default=0, help="weights, split, order and augmentation (as nbcnn train)")
    p.add_argument("--init", choices=("he", "torch"), default=None,
                   help="conv weights: he = nbcnn's kaiming_normal_(fan_in, relu), torch = PyTorch's default "
                        "(default: he for the ResNet paper's networks, torch otherwise)")
    p.add_argument("--limit", type=int, help="train (and test) on the first N examples only: a quick check")
    p.add_argument("--out", help="append JSON lines here (config, one per epoch, final)")
    args = p.parse_args(argv)
    if args.warmup_iters and args.recipe != "resnet-paper":
        p.error("--warmup-iters goes with --recipe resnet-paper (one-cycle already starts at lr/25)")
    for name in ("epochs", "iterations", "threads", "limit"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1")
    return args


def resolve(args):
    """The run's settings: the recipe, with the length the user gave in place of the recipe's."""
    cfg = dict(RECIPES[args.recipe], net=args.net, recipe=args.recipe, data=args.data, seed=args.seed,
               threads=args.threads, limit=args.limit, warmup_iters=args.warmup_iters,
               init=args.init or ("he" if args.net in PAPER_NETS else "torch"))
    if args.epochs or args.iterations:
        cfg["epochs"], cfg["iterations"] = args.epochs, args.iterations
    return cfg


def check_against_nbcnn(cfg):
    """Warn where nbcnn's own recipe table (when present) says something else for this network."""
    try:
        from nbcnn.training.recipes import BASE, preset
    except ImportError:
        return
    model = cfg["net"].split("_")[0]  # resnet20_b is nbcnn's resnet20 with shortcut=B
    theirs = {**BASE, **preset(model, None if cfg["recipe"] == "default" else cfg["recipe"])}
    if theirs.get("schedule_unit") != "iterations":
        theirs.pop("milestones", None)
    for key in ("lr", "momentum", "nesterov", "weight_decay", "batch_size", "schedule", "milestones",
                "val_fraction"):
        if key in theirs and theirs[key] != cfg[key]:
            print(f"warning: nbcnn's recipe has {key}={theirs[key]!r}, this script {cfg[key]!r}", file=sys.stderr)


def make_schedule(torch, cfg, optimizer, total):
    """Stepped after every optimiser step, as nbcnn's trainer does."""
    lrs = torch.optim.lr_scheduler
    if cfg["schedule"] == "onecycle":
        return lrs.OneCycleLR(optimizer, max_lr=cfg["lr"], total_steps=total, **ONECYCLE)
    main = lrs.MultiStepLR(optimizer, cfg["milestones"], gamma=0.1)
    if not cfg["warmup_iters"]:
        return main
    warm = lrs.ConstantLR(optimizer, factor=WARMUP_FACTOR, total_iters=cfg["warmup_iters"])
    return lrs.ChainedScheduler([warm, main])


def evaluate(torch, model, loader):
    """(mean loss, error) over the loader, in eval mode without gradients."""
    model.eval()
    loss_sum, wrong, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(torch.from_numpy(x))
            target = torch.from_numpy(y)
            loss_sum += torch.nn.functional.cross_entropy(logits, target).item() * len(y)
            wrong += int((logits.argmax(1) != target).sum())
            n += len(y)
    model.train()
    return loss_sum / max(n, 1), wrong / max(n, 1)


def main(argv=None):
    args = parse_args(argv)
    cfg = resolve(args)
    check_against_nbcnn(cfg)
    import torch
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(cfg["seed"])

    t_load = time.perf_counter()
    d = load_dataset(cfg["data"])
    train_x, train_y = d.train_images, d.train_labels
    if cfg["limit"]:
        train_x, train_y = train_x[:cfg["limit"]], train_y[:cfg["limit"]]
    if cfg["val_fraction"]:  # the same held-out examples nbcnn train picks for this seed
        train_x, train_y, eval_x, eval_y = train_val_split(train_x, train_y, cfg["val_fraction"], cfg["seed"])
        eval_name = "val"
    else:
        eval_x, eval_y = d.test_images, d.test_labels
        eval_x, eval_y = (eval_x[:cfg["limit"]], eval_y[:cfg["limit"]]) if cfg["limit"] else (eval_x, eval_y)
        eval_name = "test"
    mean, std = channel_stats(train_x)
    bs = cfg["batch_size"]
    train_loader = DataLoader(train_x, train_y, bs, shuffle=True, seed=cfg["seed"], augment=random_crop_flip,
                              mean=mean, std=std)
    eval_loader = DataLoader(eval_x, eval_y, max(bs, 256), mean=mean, std=std)
    test_x, test_y = (d.test_images[:cfg["limit"]], d.test_labels[:cfg["limit"]]) if cfg["limit"] else \
        (d.test_images, d.test_labels)
    test_loader = eval_loader if eval_name == "test" else DataLoader(test_x, test_y, max(bs, 256), mean=mean, std=std)

    model, _, _ = networks.build(cfg["net"], torch.nn)
    if cfg["init"] == "he":
        for m in model.modules():
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"],
                                weight_decay=cfg["weight_decay"], nesterov=cfg["nesterov"])
    steps = len(train_loader)
    total = cfg["iterations"] or cfg["epochs"] * steps
    schedule = make_schedule(torch, cfg, optimizer, total)
    epochs = -(-total // steps)
    params = sum(p.numel() for p in model.parameters())
    print(f"{cfg['net']} ({params:,} parameters), torch {torch.__version__}, {cfg['threads']} thread(s); "
          f"{len(train_y)} training and {len(eval_y)} {eval_name} images, loaded in "
          f"{time.perf_counter() - t_load:.1f} s; recipe {cfg['recipe']}: {total} iterations "
          f"({epochs} epochs of {steps}), batch {bs}, init {cfg['init']}", flush=True)

    out = open(args.out, "a") if args.out else None
    if out:
        out.write(json.dumps({"config": {**cfg, "torch": torch.__version__, "total_iterations": total}}) + "\n")
    started = time.perf_counter()
    iteration = 0
    for epoch in range(epochs):
        train_loader.set_epoch(epoch)
        loss_sum, wrong, seen, step_seconds, lr = 0.0, 0, 0, 0.0, None
        for x, y in train_loader:
            t0 = time.perf_counter()
            target = torch.from_numpy(y)
            logits = model(torch.from_numpy(x))
            loss = torch.nn.functional.cross_entropy(logits, target)
            value = loss.item()
            if not math.isfinite(value):
                sys.exit(f"the training loss became {value} at epoch {epoch + 1}, iteration {iteration + 1}")
            optimizer.zero_grad()
            loss.backward()
            lr = optimizer.param_groups[0]["lr"]
            optimizer.step()
            schedule.step()
            iteration += 1
            wrong += int((logits.detach().argmax(1) != target).sum())
            step_seconds += time.perf_counter() - t0
            loss_sum += value * len(y)
            seen += len(y)
            if iteration == total:
                break
        eval_loss, eval_error = evaluate(torch, model, eval_loader)
        record = {"epoch": epoch + 1, "iteration": iteration, "train_loss": loss_sum / seen,
                  "train_error": wrong / seen, f"{eval_name}_loss": eval_loss, f"{eval_name}_error": eval_error,
                  "lr": lr, "seconds": time.perf_counter() - started, "step_seconds": step_seconds,
                  "images_per_second": seen / step_seconds}
        print(f"epoch {epoch + 1:3d}/{epochs}  it {iteration:6d}  loss {record['train_loss']:.4f}  "
              f"train err {100 * record['train_error']:5.2f}%  {eval_name} err {100 * eval_error:5.2f}%  "
              f"lr {lr:.3g}  {record['images_per_second']:6.1f} img/s  {_clock(record['seconds'])}", flush=True)
        if out:
            out.write(json.dumps(record) + "\n")
            out.flush()

    test_loss, test_error = (eval_loss, eval_error) if eval_name == "test" else evaluate(torch, model, test_loader)
    wall = time.perf_counter() - started
    print(f"done: {iteration} iterations in {_clock(wall)} ({wall:.1f} s); final test error "
          f"{100 * test_error:.2f}% (loss {test_loss:.4f}) on {len(test_loader.labels)} images", flush=True)
    if out:
        out.write(json.dumps({"final": True, "epochs": epochs, "iteration": iteration, "test_loss": test_loss,
                              "test_error": test_error, "seconds": wall}) + "\n")
        out.close()


def _clock(seconds):
    m, s = divmod(int(round(seconds)), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}"


if __name__ == "__main__":
    main()
