"""`nbcnn profile`: measured time per layer and pass, throughput and peak memory, with an optional Chrome trace."""
import json

import click
import numba

from nbcnn import backend as backends
from nbcnn.profile import profile_model

from .common import set_threads
from .models import build, classes_option, input_option, model_argument
from .summary import bytes_text, count_text

HEADER = ("Layer (type)", "Forward ms (min-max)", "Backward ms (min-max)", "Share", "FLOPs", "GFLOP/s",
          "Act. bytes")


@click.command()
@model_argument
@click.option("--batch-size", "-b", type=click.IntRange(min=1), default=8, show_default=True)
@input_option
@classes_option
@click.option("--device", type=click.Choice(backends.DEVICES), default="cpu", show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Threads for the CPU kernels, their BLAS products included (default: NUMBA_NUM_THREADS).")
@click.option("--no-backward", is_flag=True, help="Time inference only: no backward pass, no training step.")
@click.option("--warmup", type=click.IntRange(min=0), default=1, show_default=True,
              help="Untimed iterations after the first (compiling) one.")
@click.option("--repeat", type=click.IntRange(min=1), default=5, show_default=True, help="Timed iterations.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of the table.")
@click.option("--trace", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the timed iterations as Chrome trace-event JSON (open it in ui.perfetto.dev).")
def profile(model, batch_size, input_shape, classes, device, threads, no_backward, warmup, repeat, as_json,
            trace):
    """Time each layer's forward and backward; report throughput for inference and a training step."""
    set_threads(threads)
    _check_device(device)
    net, (c, h, w), classes = build(model, input_shape, classes)
    result = profile_model(net, (batch_size, c, h, w), classes, device, not no_backward, warmup, repeat,
                           trace=trace is not None)
    if trace is not None:
        with open(trace, "w") as f:
            json.dump({"traceEvents": result.trace_events, "displayTimeUnit": "ms"}, f)
    facts = {"model": model, "num_classes": classes, "threads": numba.get_num_threads()}
    if as_json:
        click.echo(json.dumps({**facts, **result.to_dict()}, indent=2))
    else:
        click.echo(report(facts, result))
    if trace is not None:
        click.echo(f"trace written to {trace}", err=True)


def _check_device(device):
    try:
        backends.get(device)
    except RuntimeError as error:  # the CUDA backend's CudaUnavailableError: one line, with the reason
        raise click.BadParameter(str(error), param_hint="'--device'") from None


def report(facts, result):
    rows = [_row(layer) for layer in result.layers]
    total_fwd = sum(layer["forward_ms"]["median"] for layer in result.layers)
    total_bwd = sum(layer["backward_ms"]["median"] for layer in result.layers) if result.backward else None
    rows.append(("Total (sum of medians)", f"{total_fwd:.3f}", f"{total_bwd:.3f}" if result.backward else "--",
                 "100.0%", "", "", ""))
    widths = [max(len(row[i]) for row in rows + [HEADER]) for i in range(len(HEADER))]
    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))

    def line(row):
        return "  ".join([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])])

    n = result.batch
    shape = "x".join(map(str, result.input_shape))
    lines = [
        f"{facts['model']}: input {shape}, {facts['num_classes']} classes, {result.device}, "
        f"{facts['threads']} threads, warm-up {result.warmup}, repeat {result.repeat}",
        f"JIT compilation: {result.jit_s:.2f} s (first pass {result.first_pass_s:.2f} s, a warm one "
        f"{(result.first_pass_s - result.jit_s) * 1e3:.1f} ms; kernels cached on disk load faster than they "
        "compile)",
        "Layer times: " + ("the training step's forward (train mode) and backward"
                           if result.backward else "eval-mode forward") +
        "; (other) is the time outside layers. FLOPs = 2 x mult-adds of the forward, whole batch.",
        rule, line(HEADER), rule] + [line(row) for row in rows[:-1]] + [rule, line(rows[-1]), rule,
        f"Inference (eval forward): {n / result.inference_ms * 1e3:,.1f} images/s "
        f"(median {result.inference_ms:.3f} ms per batch of {n})"]
    if result.backward:
        lines.append(f"Training step (forward + loss + backward + SGD step): {n / result.training_ms * 1e3:,.1f} "
                     f"images/s (median {result.training_ms:.3f} ms; optimizer step {result.optimizer_ms:.3f} ms)")
    lines.append(f"Peak resident memory: {bytes_text(result.peak_rss_bytes)}")
    return "\n".join(line.rstrip() for line in lines)


def _row(layer):
    def timing(t):
        return f"{t['median']:.3f} ({t['min']:.3f}-{t['max']:.3f})" if t else "--"

    name = f"{layer['name']} ({layer['type']})" if layer["type"] else layer["name"]
    speed = f"{layer['gflops_per_s']:.2f}" if layer["gflops_per_s"] else "--"
    flops = count_text(layer["flops"]) if layer["flops"] else "--"
    return (name, timing(layer["forward_ms"]), timing(layer["backward_ms"]), f"{layer['share']:.1%}", flops, speed,
            bytes_text(layer["activation_bytes"]) if layer["activation_bytes"] else "--")
