"""Measured cost of a model, layer by layer: forward and backward time, FLOPs, throughput, peak memory.

A `_LayerTimer` is installed as the observer of nbcnn.function while timed passes run: it times each leaf
module's forward, tags every tape node made inside it with the layer's name, and times each node's backward under
that name. Work outside leaf layers (residual additions, concatenation, gradient accumulation, Python glue) is
the "(other)" row: the pass's wall time less its layers'. With no observer installed, the engine pays one
`is None` test per module call, per recorded node and per backward node.

The first pass compiles (or loads from Numba's cache) every kernel the model needs; it is timed on its own and
never enters the layer times.
"""
import os
import resource
import statistics
import sys
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from time import perf_counter

import numpy as np

from . import nn, optim
from .function import no_grad, observed_by
from .summary import summarize
from .tensor import Tensor

OTHER = "(other)"
LOSS = "loss"


@dataclass
class Profile:
    """What `profile_model` measured: times in milliseconds (seconds where named _s), FLOPs and bytes for the
    whole batch."""
    input_shape: tuple
    device: str
    backward: bool
    warmup: int
    repeat: int
    first_pass_s: float  # JIT compilation (or cache loading) plus one ordinary pass
    jit_s: float  # first_pass_s less a warm pass
    layers: list  # dicts: name, type, forward_ms, backward_ms, share, flops, gflops_per_s, activation_bytes
    total_ms: float  # the layers' medians summed, (other) included
    inference_ms: float  # median eval-mode forward of one batch
    training_ms: float | None  # median forward + loss + backward + optimizer step
    optimizer_ms: float | None
    peak_rss_bytes: int
    trace_events: list = field(default_factory=list, repr=False)

    @property
    def batch(self):
        return self.input_shape[0]

    def to_dict(self):
        out = {k: v for k, v in self.__dict__.items() if k != "trace_events"}
        out["inference_images_per_s"] = self.batch / (self.inference_ms / 1e3)
        out["training_images_per_s"] = self.batch / (self.training_ms / 1e3) if self.training_ms else None
        return out


def profile_model(model, input_shape, num_classes, device="cpu", backward=True, warmup=1, repeat=5,
                  trace=False):
    """Time `model` on random inputs of `input_shape` (N, C, H, W) with random labels below `num_classes`.

    The model is moved to `device` and trained by the timed SGD steps (lr 1e-3): profile a copy whose weights
    do not matter."""
    counts = defaultdict(lambda: [0, 0])  # name -> [mult-adds, activation bytes] for the batch
    for row in summarize(model, input_shape).layers:
        counts[row.name][0] += row.mult_adds * input_shape[0]
        counts[row.name][1] += row.activation_bytes * input_shape[0]
    model.to(device)
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal(input_shape).astype(np.float32), device=device)
    y = Tensor(rng.integers(0, num_classes, input_shape[0]), device=device)
    loss_fn = nn.CrossEntropyLoss()
    sgd = optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    timer = _LayerTimer(model, loss_fn, _synchronizer(device))

    start = perf_counter()
    _iteration(model, loss_fn, sgd, x, y, timer, backward, observe=False)
    first_pass_s = perf_counter() - start
    for _ in range(warmup):
        _iteration(model, loss_fn, sgd, x, y, timer, backward, observe=False)
    timer.origin, timer.events = perf_counter(), [] if trace else None
    runs = [_iteration(model, loss_fn, sgd, x, y, timer, backward, observe=True) for _ in range(repeat)]

    layers, total_ms = _layer_rows(model, loss_fn, runs, counts, backward)
    inference_ms = statistics.median(r.inference_s for r in runs) * 1e3
    training_ms = statistics.median(r.training_s for r in runs) * 1e3 if backward else None
    warm_s = (inference_ms + (training_ms or 0)) / 1e3
    return Profile(
        input_shape=tuple(input_shape), device=device, backward=backward, warmup=warmup, repeat=repeat,
        first_pass_s=first_pass_s, jit_s=max(first_pass_s - warm_s, 0.0), layers=layers, total_ms=total_ms,
        inference_ms=inference_ms, training_ms=training_ms,
        optimizer_ms=statistics.median(r.optimizer_s for r in runs) * 1e3 if backward else None,
        peak_rss_bytes=peak_rss_bytes(), trace_events=_trace_metadata(timer.events))


def peak_rss_bytes():
    """The process's peak resident set size so far (Linux reports kilobytes, macOS bytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


@dataclass
class _Run:
    """One timed iteration: per-layer seconds of the profiled pass and the walls of each phase."""
    forward: dict
    backward: dict
    inference_s: float
    training_s: float = 0.0
    optimizer_s: float = 0.0


def _iteration(model, loss_fn, sgd, x, y, timer, backward, observe):
    """An eval-mode forward, then (with `backward`) a training step. Layer times come from the step's forward
    and backward when there is one, from the eval forward otherwise; the eval forward always gives inference
    throughput."""
    model.eval()
    with no_grad():
        inference_s, forward, _ = timer.pass_("inference", lambda: model(x), observe)
    run = _Run(forward, {}, inference_s)
    if not backward:
        return run
    model.train()
    sgd.zero_grad()
    forward_s, run.forward, loss = timer.pass_("forward", lambda: loss_fn(model(x), y), observe)
    backward_s, run.backward, _ = timer.pass_("backward", loss.backward, observe)
    optimizer_s, _, _ = timer.pass_("optimizer step", sgd.step, False)
    run.training_s, run.optimizer_s = forward_s + backward_s + optimizer_s, optimizer_s
    return run


class _LayerTimer:
    def __init__(self, model, loss_fn, sync):
        self.names = {id(m): name for name, m in model.named_modules()}
        self.names[id(loss_fn)] = LOSS
        self.sync = sync
        self.current = None  # the leaf layer whose forward is running
        self.phase = None  # "inference", "forward" or "backward": the trace's category for layer spans
        self.layer_of = {}  # tape node -> layer that made it
        self.times = None  # layer -> seconds, for the pass being observed
        self.origin, self.events = perf_counter(), None
        self.tid = threading.get_native_id()

    def pass_(self, phase, work, observe):
        """Runs `work` as one phase: its wall seconds, seconds per layer when observed, and its result."""
        self.times, self.phase = defaultdict(float), phase
        start = perf_counter()
        if observe:
            with observed_by(self):
                result = work()
        else:
            result = work()
        self.sync()
        wall = perf_counter() - start
        self._event(phase, "pass", start, wall)
        times, self.times = self.times, None
        if observe:
            times[OTHER] = max(wall - sum(times.values()), 0.0)
        return wall, times, result

    def call(self, module, args):
        if module._modules:
            return module.forward(*args)
        name = self.names.get(id(module), type(module).__name__)
        self.current, start = name, perf_counter()
        try:
            out = module.forward(*args)
            self.sync()
        finally:
            self.current = None
        self._add(name, start)
        return out

    def recorded(self, node, inputs, options, result):
        if self.current is not None:
            self.layer_of[node] = self.current

    def backward(self, node, grad):
        start = perf_counter()
        grads = node.backward(grad)
        self.sync()
        name = self.layer_of.pop(node, None)
        if name is not None:
            self._add(name, start)
        return grads

    def _add(self, name, start):
        seconds = perf_counter() - start
        self.times[name] += seconds
        self._event(name, self.phase, start, seconds)

    def _event(self, name, category, start, seconds):
        if self.events is not None:
            self.events.append({"name": name, "cat": category, "ph": "X", "pid": os.getpid(), "tid": self.tid,
                                "ts": (start - self.origin) * 1e6, "dur": seconds * 1e6})


def _layer_rows(model, loss_fn, runs, counts, backward):
    modules = {name: m for name, m in model.named_modules()}
    modules[LOSS] = loss_fn
    names = [n for n in list(modules) + [OTHER] if any(n in r.forward for r in runs)]
    rows = []
    for name in names:
        forward = _stats([r.forward.get(name, 0.0) for r in runs])
        back = _stats([r.backward.get(name, 0.0) for r in runs]) if backward else None
        mult_adds, activation_bytes = counts.get(name, (0, 0))
        flops = 2 * mult_adds
        rows.append({"name": name, "type": type(modules[name]).__name__ if name in modules else "",
                     "forward_ms": forward, "backward_ms": back, "flops": flops,
                     "gflops_per_s": flops / forward["median"] / 1e6 if flops and forward["median"] else None,
                     "activation_bytes": activation_bytes})
    total = sum(_median_ms(r) for r in rows)
    for r in rows:
        r["share"] = _median_ms(r) / total
    return rows, total


def _median_ms(row):
    return row["forward_ms"]["median"] + (row["backward_ms"]["median"] if row["backward_ms"] else 0.0)


def _stats(seconds):
    ms = [s * 1e3 for s in seconds]
    return {"median": statistics.median(ms), "min": min(ms), "max": max(ms)}


def _synchronizer(device):
    """What makes a timestamp mean "the kernels have finished": CPU kernels return when done, CUDA's do not."""
    if device == "cuda":
        from numba import cuda
        return cuda.synchronize
    return lambda: None


def _trace_metadata(events):
    if events is None:
        return []
    name = {"name": "process_name", "ph": "M", "pid": os.getpid(), "args": {"name": "nbcnn profile"}}
    return [name] + events
