"""Option types the training command shares: finite numbers (NaN and infinity are refused at the option, issue
15) and comma-separated milestones."""
import math

import click


class FiniteFloat(click.FloatRange):
    """A float in a range that must also be finite: a range alone lets NaN through, since every comparison with
    NaN is false, and lets `inf` through where the range has no upper end."""
    name = "finite float"

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


class Milestones(click.ParamType):
    """'32000,48000' → [32000, 48000]: positive integers, ascending."""
    name = "N,N,..."

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        try:
            milestones = [int(part) for part in str(value).split(",")]
        except ValueError:
            self.fail(f"{value!r} is not a comma-separated list of whole numbers.", param, ctx)
        if any(m < 1 for m in milestones) or milestones != sorted(milestones):
            self.fail(f"{value!r}: milestones must be positive and ascending.", param, ctx)
        return milestones
