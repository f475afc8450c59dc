"""PyTorch's side of the fast CIFAR-10 comparison (issue 14): fastnet and its recipe, trained by torch.

The same network as nbcnn/models/fastnet.py written with torch.nn, starting from the very weights `nbcnn train
fastnet` starts from (nbcnn builds the model with the seed and sets the whitening layer from the first 5000
training images; this script copies that state into the torch model by name), and the recipe read from nbcnn's own
table (nbcnn/training/recipes.py), so the two cannot drift apart. The batches come from nbcnn.data.DataLoader with
the same seed: the same order, alternating flips and reflected translations, the same normalisation. Only the
engine differs: forward, backward, the optimiser, Lookahead and the evaluation run in PyTorch.

    python3 bench/torch_fastnet.py --data /work/data/cifar10 --threads 2 --out torch-fastnet.jsonl
    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 python3 bench/torch_fastnet.py --data …

The wall time printed at the end runs from the start of this process (imports, decoding or loading the cached
images, building the model, training, the evaluation with test-time augmentation), as `time nbcnn train fastnet`
measures nbcnn's. PyTorch is an optional dependency of the benchmarks only; nbcnn never imports it.
"""
import argparse
import json
import os
import sys
import time

STARTED = time.perf_counter()
# nbcnn raises glibc's malloc thresholds at import (nbcnn/runtime.py); the PyTorch run keeps malloc as a
# PyTorch user has it (or jemalloc through LD_PRELOAD).
os.environ.setdefault("NBCNN_KEEP_FREED_MEMORY", "0")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from nbcnn import random as nbrandom  # noqa: E402
from nbcnn.data import DataLoader, channel_stats, load_dataset, normalize  # noqa: E402
from nbcnn.models import build_model  # noqa: E402
from nbcnn.training.factory import make_augmentation  # noqa: E402
from nbcnn.training.recipes import BASE, preset  # noqa: E402


class Recipe:
    """nbcnn's fastnet settings as attributes (what make_augmentation reads)."""

    def __init__(self, **settings):
        self.__dict__.update({**BASE, **preset("fastnet"), **settings})


def torch_fastnet(torch):
    """fastnet's default configuration at 3×32×32 and 10 classes (tests/test_torch_models.py holds the same network
    as its reference; the bench keeps its own so that it does not import the tests)."""
    nn = torch.nn

    def norm(channels):
        layer = nn.BatchNorm2d(channels, eps=1e-12, momentum=0.4)
        layer.weight.requires_grad = False  # as nbcnn's fastnet (bn_weight False): only the biases train
        return layer

    class ConvGroup(nn.Module):
        def __init__(self, c_in, c_out):
            super().__init__()
            self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
            self.pool = nn.MaxPool2d(2)
            self.norm1 = norm(c_out)
            self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
            self.norm2 = norm(c_out)
            self.activation = nn.GELU()

        def forward(self, x):
            x = self.activation(self.norm1(self.pool(self.conv1(x))))
            return self.activation(self.norm2(self.conv2(x)))

    class FastNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.whiten = nn.Conv2d(3, 24, 2)
            self.whiten.weight.requires_grad = False
            self.activation = nn.GELU()
            self.group1, self.group2, self.group3 = ConvGroup(24, 64), ConvGroup(64, 256), ConvGroup(256, 256)
            self.pool = nn.MaxPool2d(3)
            self.head = nn.Linear(256, 10, bias=False)

        def forward(self, x):
            x = self.group3(self.group2(self.group1(self.activation(self.whiten(x)))))
            return self.head(self.pool(x).flatten(1)) / 9

    return FastNet()


def parameter_groups(model, recipe):
    """The groups nbcnn's param_groups rule {"select": "norm", …} makes: batch norm's trainable parameters at
    lr_scale × the rate and weight_decay_scale × the decay, every other trainable parameter at the recipe's."""
    rule, = recipe.param_groups
    assert rule["select"] == "norm", rule
    norm_params = {id(p) for m in model.modules() if isinstance(m, type(model.group1.norm1))
                   for p in m.parameters()}
    trainable = [p for p in model.parameters() if p.requires_grad]
    return [
        {"params": [p for p in trainable if id(p) not in norm_params], "lr": recipe.lr,
         "weight_decay": recipe.weight_decay},
        {"params": [p for p in trainable if id(p) in norm_params], "lr": recipe.lr * rule["lr_scale"],
         "weight_decay": recipe.weight_decay * rule["weight_decay_scale"]},
    ]


class Lookahead:
    """nbcnn.optim.Lookahead with make_lookahead's schedule: from `start` steps on, every `every` steps, the slow
    copy moves alpha(t) of the way to the trained weights (and batch norm's statistics), which restart from it."""

    def __init__(self, torch, tensors, every, start, alpha):
        self.torch, self.tensors, self.every, self.start, self.alpha = torch, tensors, every, start, alpha
        self.steps, self.slow = 0, None

    def after_step(self):
        self.steps += 1
        if self.steps < self.start or (self.steps - self.start) % self.every:
            return
        with self.torch.no_grad():
            if self.slow is None:
                self.slow = [t.detach().clone() for t in self.tensors]
                return
            alpha = self.alpha(self.steps)
            for t, slow in zip(self.tensors, self.slow):
                slow.add_(t - slow, alpha=alpha)
                t.copy_(slow)


def tta_logits(torch, model, x):
    """nbcnn.training.tta's "flip-translate": the image and its mirror at weight 1/2, the pairs shifted one pixel
    up-left and down-right (reflected edges) at 1/4 each."""
    def mirrored(v):
        return 0.5 * (model(v) + model(torch.flip(v, dims=(3,))))

    h, w = x.shape[2:]
    padded = torch.nn.functional.pad(x, (1, 1, 1, 1), mode="reflect")
    return 0.5 * mirrored(x) + 0.25 * (mirrored(padded[:, :, :h, :w]) + mirrored(padded[:, :, 2:, 2:]))


def evaluate(torch, model, loader, tta):
    """Test accuracy in eval mode without gradients, with or without test-time augmentation."""
    model.eval()
    right, n = 0, 0
    with torch.no_grad():
        for x, y in loader:
            x = torch.from_numpy(x)
            logits = tta_logits(torch, model, x) if tta else model(x)
            right += int((logits.argmax(1) == torch.from_numpy(y)).sum())
            n += len(y)
    model.train()
    return right / n


def main(argv=None):
    p = argparse.ArgumentParser(description="Train fastnet with PyTorch, with nbcnn's recipe, weights and batches.")
    p.add_argument("--data", required=True, help="CIFAR-10 as an image folder (or anything load_dataset reads)")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, help="instead of the recipe's 10 (the schedule follows)")
    p.add_argument("--out", help="append JSON lines here: the config, one per epoch, the final result")
    args = p.parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    recipe = Recipe(seed=args.seed, **({"epochs": args.epochs} if args.epochs else {}))

    d = load_dataset(args.data)
    mean, std = channel_stats(d.train_images)
    augment, alternate = make_augmentation(recipe)
    train_loader = DataLoader(d.train_images, d.train_labels, recipe.batch_size, shuffle=True, seed=args.seed,
                              augment=augment, mean=mean, std=std, alternate_flips=alternate)
    test_loader = DataLoader(d.test_images, d.test_labels, max(recipe.batch_size, 256), mean=mean, std=std)

    nbrandom.manual_seed(args.seed)  # nbcnn's initial weights, whitening included, as nbcnn train sets them
    start = build_model("fastnet")
    start.init_whitening(normalize(d.train_images[:5000], mean, std))
    model = torch_fastnet(torch)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in start.state_dict().items()}, strict=True)

    optimizer = torch.optim.SGD(parameter_groups(model, recipe), lr=recipe.lr, momentum=recipe.momentum,
                                nesterov=recipe.nesterov, weight_decay=0.0)  # decay decoupled, below
    steps = len(train_loader)
    total = recipe.epochs * steps
    start_frac, end_frac = recipe.onecycle_start, recipe.onecycle_end
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, [g["lr"] for g in optimizer.param_groups], total_steps=total, pct_start=recipe.onecycle_peak,
        anneal_strategy="linear", cycle_momentum=False, div_factor=1 / start_frac,
        final_div_factor=start_frac / end_frac)
    la = recipe.lookahead
    rho = la["decay"] ** la["every"]
    lookahead = Lookahead(torch, [p for p in model.parameters() if p.requires_grad]
                          + [b for b in model.buffers() if b.dtype.is_floating_point],
                          every=la["every"], start=round(la["start"] * steps),
                          alpha=lambda t: 1 - rho * (t / total) ** la["power"])

    print(f"fastnet, torch {torch.__version__}, {args.threads} thread(s), seed {args.seed}: {recipe.epochs} epochs "
          f"of {steps} batches of {recipe.batch_size}; ready after {time.perf_counter() - STARTED:.1f} s",
          flush=True)
    out = open(args.out, "a") if args.out else None
    if out:
        out.write(json.dumps({"config": {**vars(recipe), "torch": torch.__version__, "threads": args.threads,
                                         "malloc": os.environ.get("LD_PRELOAD", "glibc")}}) + "\n")
    for epoch in range(recipe.epochs):
        train_loader.set_epoch(epoch)
        t0, loss_sum, seen = time.perf_counter(), 0.0, 0
        for x, y in train_loader:
            loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y),
                                                     label_smoothing=recipe.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            with torch.no_grad():  # SGDW: p ← p·(1 − lr·wd) outside the momentum buffer, as nbcnn's sgd_rule
                for g in optimizer.param_groups:
                    for q in g["params"]:
                        q.mul_(1 - g["lr"] * g["weight_decay"])
            optimizer.step()
            schedule.step()
            lookahead.after_step()
            loss_sum += loss.item() * len(y)
            seen += len(y)
        seconds = time.perf_counter() - t0
        record = {"epoch": epoch + 1, "train_loss": loss_sum / seen, "seconds": seconds,
                  "images_per_second": seen / seconds, "test_accuracy": evaluate(torch, model, test_loader, False)}
        print(f"epoch {epoch + 1}/{recipe.epochs}  loss {record['train_loss']:.4f}  test "
              f"{100 * record['test_accuracy']:.2f} %  {record['images_per_second']:.0f} img/s  "
              f"{time.perf_counter() - STARTED:.0f} s", flush=True)
        if out:
            out.write(json.dumps(record) + "\n")
    accuracy = record["test_accuracy"]  # each epoch is evaluated, as nbcnn train does
    accuracy_tta = evaluate(torch, model, test_loader, tta=True)
    wall = time.perf_counter() - STARTED
    print(f"done in {wall:.1f} s from process start: test accuracy {100 * accuracy:.2f} %, with test-time "
          f"augmentation {100 * accuracy_tta:.2f} %", flush=True)
    if out:
        out.write(json.dumps({"final": True, "test_accuracy": accuracy, "test_accuracy_tta": accuracy_tta,
                              "seconds": wall}) + "\n")
        out.close()


if __name__ == "__main__":
    main()
