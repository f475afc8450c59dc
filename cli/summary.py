"""`nbcnn summary`: the torchinfo-style table of a model, from a shape-only pass (no kernel runs); and the number
formats `profile` shares."""
import json
import textwrap

import click

from nbcnn.summary import MULT_ADDS_NOTE, summarize

from .models import build, classes_option, input_option, model_argument

HEADER = ("Layer (type)", "Output Shape", "Activations", "Act. bytes", "Param #", "Mult-Adds")


@click.command()
@model_argument
@input_option
@classes_option
@click.option("--batch-size", "-b", type=click.IntRange(min=1), default=1, show_default=True,
              help="Batch size shown in the output shapes and the activation total.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of the table.")
def summary(model, input_shape, classes, batch_size, as_json):
    """Per layer: output shape, activations and their bytes, parameters and multiply-adds (per image)."""
    net, (c, h, w), classes = build(model, input_shape, classes)
    result = summarize(net, (batch_size, c, h, w))
    if as_json:
        click.echo(json.dumps({"model": model, "num_classes": classes, **result.to_dict()}, indent=2))
    else:
        click.echo(table(model, classes, result))


def table(model, classes, result):
    rows = [(f"{r.name} ({r.type})", str(list(r.output_shape)), f"{r.activations:,}",
             bytes_text(r.activation_bytes), f"{r.params:,}" if r.params else "--",
             f"{r.mult_adds:,}" if r.mult_adds else "--") for r in result.layers]
    widths = [max(len(row[i]) for row in rows + [HEADER]) for i in range(len(HEADER))]
    rule = "=" * (sum(widths) + 2 * (len(widths) - 1))

    def line(row):
        return "  ".join([row[0].ljust(widths[0]), row[1].ljust(widths[1])] +
                         [cell.rjust(width) for cell, width in zip(row[2:], widths[2:])])

    n = result.input_shape[0]
    return "\n".join(
        [f"{model}: input {'x'.join(map(str, result.input_shape))}, {classes} classes; activations, their bytes "
         "and mult-adds are per image", rule, line(HEADER), rule] + [line(row) for row in rows] + [rule] + [
            f"Total params: {result.total_params:,}",
            f"Trainable params: {result.trainable_params:,}",
            f"Non-trainable params: {result.non_trainable_params:,}",
            f"Buffers (batch-norm running statistics): {result.buffer_values:,} values, "
            f"{bytes_text(result.buffer_bytes)}",
            f"Parameter size: {bytes_text(result.param_bytes)}",
            f"Forward activations: {bytes_text(result.activation_bytes)} per image, "
            f"{bytes_text(result.activation_bytes * n)} for a batch of {n}",
            f"Mult-adds: {result.total_mult_adds:,} ({count_text(result.total_mult_adds)}) per image",
            rule] + textwrap.wrap(MULT_ADDS_NOTE, max(len(rule), 60)))


def bytes_text(n):
    """Decimal units, as torchinfo prints sizes."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n} B"


def count_text(n):
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return str(n)
