"""What a user causes ends a command with one line; a bug keeps its traceback. Before, every ValueError became
one line and Module.__call__ dropped the kernel's traceback (`from None`)."""
import click
import numpy as np
import pytest
from click.testing import CliRunner

import nbcnn
import nbcnn.nn as nn
from cli.common import one_line_errors
from nbcnn.errors import ConfigError, ShapeError
from nbcnn.models import build_model
from nbcnn.training import TrainConfig


class Buggy(nn.Module):
    def forward(self, x):
        return np.zeros(x.shape).reshape(7)  # a bug: NumPy's ValueError


def _run(action):
    @click.command()
    def command():
        with one_line_errors():
            action()

    return CliRunner().invoke(command, [])


def test_a_shape_error_names_the_layer_and_keeps_the_kernel_traceback():
    layer = nn.Linear(4, 3)
    with pytest.raises(ShapeError, match=r"^Linear\(in_features=4, out_features=3\): linear: expected "
                                         r"input \(N, 4\)") as caught:
        layer(nbcnn.zeros(2, 5))
    assert isinstance(caught.value.__cause__, ShapeError) and caught.value.__cause__.__traceback__ is not None


def test_a_shape_error_is_one_line():
    result = _run(lambda: nn.Sequential(nn.Linear(4, 3))(nbcnn.zeros(2, 5)))
    assert result.exit_code == 1 and result.output.startswith("Error: Linear(") and result.output.count("\n") == 1


def test_a_bug_keeps_its_traceback():
    result = _run(lambda: nn.Sequential(Buggy())(nbcnn.zeros(2, 5)))
    assert "Error:" not in result.output
    assert isinstance(result.exception, ValueError) and isinstance(result.exception.__cause__, ValueError)


def test_labels_out_of_range_are_one_line():
    """The loss kernels still raise a plain ValueError for bad labels: a data error all the same."""
    result = _run(lambda: nn.CrossEntropyLoss()(nbcnn.zeros(2, 3), nbcnn.tensor([0, 5])))
    assert result.exit_code == 1 and "target labels must lie in [0, 2]" in result.output


def test_a_plain_value_error_from_elsewhere_is_a_bug():
    def raise_plain():
        raise ValueError("an internal inconsistency")

    result = _run(raise_plain)
    assert isinstance(result.exception, ValueError) and "Error:" not in result.output


@pytest.mark.parametrize("action", [
    lambda: build_model("resnet20", shortcut="C"),
    lambda: TrainConfig(model="lenet", data="mnist", optimizer="nadam").resolved(),
])
def test_an_unknown_option_is_a_config_error_in_one_line(action):
    with pytest.raises(ConfigError):
        action()
    result = _run(action)
    assert result.exit_code == 1 and result.output.startswith("Error: unknown") and result.output.count("\n") == 1
