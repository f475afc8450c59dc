"""`nbcnn models`, and the arguments that pick and build a model, shared by `summary` and `profile`."""
import click

from nbcnn.models import MODELS, build_model, count_parameters


class InputShape(click.ParamType):
    """C×H×W of one image, written 3x224x224."""

    name = "CxHxW"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            dims = tuple(int(part) for part in str(value).lower().split("x"))
        except ValueError:
            dims = ()
        if len(dims) != 3 or min(dims) < 1:
            self.fail(f"expected CxHxW with positive sizes, such as 3x224x224 or 1x28x28, got {value!r}", param,
                      ctx)
        return dims


model_argument = click.argument("model", type=click.Choice(list(MODELS)), metavar="MODEL")
input_option = click.option("--input", "input_shape", type=InputShape(), default=None,
                            help="One image, CxHxW (e.g. 3x32x32). Default: the model's usual dataset.")
classes_option = click.option("--classes", type=click.IntRange(min=1), default=None,
                              help="Number of classes. Default: the model's usual dataset.")


def build(name, input_shape, classes):
    """The model, its (C, H, W) and class count; an input it cannot take is a click error naming the layer."""
    spec = MODELS[name]
    c, h, w = input_shape or (spec.in_channels, spec.input_size, spec.input_size)
    classes = classes or spec.num_classes
    try:
        model = build_model(name, c, (h, w), classes)
    except ValueError as error:
        raise click.BadParameter(f"{c}x{h}x{w} does not fit {name}: {error}", param_hint="'--input'") from None
    return model, (c, h, w), classes


@click.command()
@input_option
@classes_option
def models(input_shape, classes):
    """List the model zoo with parameter counts and options (pass them as `nbcnn train --option KEY=VALUE`).

    Each model is built to be counted: a few seconds for VGG-16's 138 M weights.
    """
    rows = []
    for name, spec in MODELS.items():
        model, (c, h, w), k = build(name, input_shape, classes)
        rows.append((name, f"{count_parameters(model):,}", f"{c}x{h}x{w}, {k} classes", spec))
    header = ("Model", "Parameters", "Counted at")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(3)]

    def line(name, count, size, text):
        return f"{name.ljust(widths[0])}  {count.rjust(widths[1])}  {size.ljust(widths[2])}  {text}"

    click.echo(line(*header, "Description, then options"))
    for name, count, size, spec in rows:
        click.echo(line(name, count, size, spec.description))
        for option, values in spec.options.items():
            click.echo(line("", "", "", f"{option}={values}"))
