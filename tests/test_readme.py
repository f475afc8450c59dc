"""The README's Python example runs as written."""
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks, "the README lost its example"
    for block in blocks:
        namespace = {}
        exec(compile(block, str(README), "exec"), namespace)
        assert namespace["loss"].shape == ()
