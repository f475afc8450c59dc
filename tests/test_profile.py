"""nbcnn.profile and `nbcnn profile`: layer times that add up, a trace Perfetto can read, errors on bad
arguments, and an engine left unobserved afterwards. Tiny models, batch 2, two repeats."""
import json

import numba
import pytest
from click.testing import CliRunner

import nbcnn.nn as nn
from nbcnn import backend, function
from nbcnn.models import BasicBlock
from nbcnn.profile import OTHER, profile_model
from nbcnn_cli.main import main

QUICK = ["--batch-size", "2", "--warmup", "0", "--repeat", "2"]


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_json_layer_times_add_up_to_the_total():
    result = run("profile", "lenet", *QUICK, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    layers = data["layers"]
    assert [layer["name"] for layer in layers][:2] == ["features.0", "features.1"]
    assert [layer["name"] for layer in layers][-2:] == ["loss", OTHER]
    total = sum(layer["forward_ms"]["median"] + layer["backward_ms"]["median"] for layer in layers)
    assert total == pytest.approx(data["total_ms"], rel=1e-9)
    assert sum(layer["share"] for layer in layers) == pytest.approx(1.0)
    for layer in layers:
        for t in (layer["forward_ms"], layer["backward_ms"]):
            assert 0 <= t["min"] <= t["median"] <= t["max"]
    conv = layers[0]
    assert conv["flops"] == 2 * 2 * 28 * 28 * 6 * 25 and conv["activation_bytes"] == 2 * 6 * 28 * 28 * 4
    assert data["jit_s"] >= 0 and data["first_pass_s"] >= data["jit_s"]
    assert data["inference_images_per_s"] > 0 and data["training_images_per_s"] > 0
    assert data["peak_rss_bytes"] > 10 * 2 ** 20


def test_table_and_no_backward():
    result = run("profile", "lenet", *QUICK, "--no-backward")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].startswith("JIT compilation: ")
    assert any(line.startswith("features.3 (Conv2d)") for line in lines)
    assert any(line.startswith("Inference (eval forward): ") for line in lines)
    assert not any(line.startswith("Training step") for line in lines)
    assert lines[-1].startswith("Peak resident memory: ")


def test_trace_is_chrome_trace_event_json(tmp_path):
    path = tmp_path / "trace.json"
    result = run("profile", "lenet", *QUICK, "--trace", str(path))
    assert result.exit_code == 0, result.output
    events = json.loads(path.read_text())["traceEvents"]
    spans = [e for e in events if e["ph"] == "X"]
    for e in spans:
        assert isinstance(e["name"], str) and isinstance(e["pid"], int) and isinstance(e["tid"], int)
        assert e["ts"] >= 0 and e["dur"] >= 0

    def count(name, category):
        return sum(e["name"] == name and e["cat"] == category for e in spans)

    # one span per layer and pass in each timed iteration, none from compilation
    assert count("features.0", "inference") == count("features.0", "forward") == 2
    assert count("features.0", "backward") == 2
    assert count("backward", "pass") == 2


def test_every_layer_of_a_residual_block_gets_backward_time():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), BasicBlock(4, 8, stride=2), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(8, 10))
    profile = profile_model(model, (2, 3, 8, 8), 10, warmup=0, repeat=1)
    rows = {row["name"]: row for row in profile.layers}
    convs = ["0", "1.conv1", "1.conv2", "1.downsample.0"]
    assert all(rows[name]["backward_ms"]["median"] > 0 for name in convs + ["1.bn1", "1.relu", "4"])
    assert rows["1.downsample.0"]["flops"] == 2 * 2 * 4 * 4 * 8 * 4
    assert rows["1.relu"]["activation_bytes"] == 2 * (2 * 8 * 4 * 4 * 4)  # called twice per forward
    assert function._observer is None


def test_threads_option():
    before = numba.get_num_threads()
    try:
        result = run("profile", "lenet", *QUICK, "--no-backward", "--threads", "1", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["threads"] == 1
    finally:
        numba.set_num_threads(before)


@pytest.mark.parametrize("args, message", [
    (["profile", "lenett"], "'lenett' is not one of 'lenet', 'alexnet'"),
    (["profile", "lenet", "--input", "1x28"], "expected CxHxW"),
    (["profile", "lenet", "--input", "1x8x8"], "1x8x8 does not fit lenet"),
    (["profile", "lenet", "--threads", "100000"], "Numba can use here; choose 1 to that"),
    (["profile", "lenet", "--device", "tpu"], "'tpu' is not one of 'cpu', 'cuda'"),
    (["profile", "lenet", "--repeat", "0"], "--repeat"),
])
def test_bad_arguments_give_one_error_line(args, message):
    result = run(*args)
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and message in errors[0], result.output


def test_missing_cuda_is_a_one_line_error():
    try:
        backend.get("cuda")
        pytest.skip("CUDA kernels can run here")
    except RuntimeError:
        pass
    result = run("profile", "lenet", "--device", "cuda")
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "no CUDA GPU/driver is available" in errors[0] and "--device cpu" in errors[0]
