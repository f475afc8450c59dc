"""ImageNet models from PyTorch files: the class names shipped as package data, the evaluation crop, and
`nbcnn predict WEIGHTS.pth IMAGE --model NAME` against the same network run by torch on the same pixels."""
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from nbcnn.data.imagenet import IMAGENET_MEAN, IMAGENET_STD, imagenet_classes, resize_and_crop
from nbcnn_cli.main import main

ROOT = Path(__file__).resolve().parents[1]
Image = pytest.importorskip("PIL.Image")


def test_the_thousand_class_names_are_package_data():
    names = imagenet_classes()
    assert len(names) == 1000 and all(n.strip() == n and n for n in names)
    assert names[0] == "tench, Tinca tinca" and names[281] == "tabby, tabby cat"
    assert names[207] == "golden retriever" and names[999] == "toilet tissue, toilet paper, bathroom tissue"
    assert len(set(names)) == 999  # 'crane' is a bird (134) and a machine (517)
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "imagenet_classes.txt" in package_data["nbcnn.data"]


def test_the_crop_is_the_centre_of_the_resized_image():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (256, 301, 3), dtype=np.uint8)  # shorter side 256 already: no resampling
    crop = resize_and_crop(Image.fromarray(pixels))
    np.testing.assert_array_equal(crop, pixels[16:240, 38:262].transpose(2, 0, 1))  # left: round(38.5) = 38
    tall = Image.fromarray(rng.integers(0, 256, (700, 300, 3), dtype=np.uint8))
    assert resize_and_crop(tall).shape == (3, 224, 224)
    flat = Image.fromarray(np.full((40, 512, 3), 77, np.uint8))  # upscaled 6.4 times: still one colour
    assert np.all(resize_and_crop(flat) == 77)


@pytest.fixture(scope="module")
def resnet18_pth(tmp_path_factory):
    torch = pytest.importorskip("torch")
    from test_torch_models import ResNet, _perturb_batch_norms
    torch.manual_seed(0)
    net = ResNet((2, 2, 2, 2), 1000).eval()
    _perturb_batch_norms(net, torch.Generator().manual_seed(1))
    path = tmp_path_factory.mktemp("pth") / "resnet18.pth"
    torch.save(net.state_dict(), path)
    return net, path


def test_predict_a_pth_file_gives_torchs_probabilities(resnet18_pth, tmp_path):
    import torch
    net, path = resnet18_pth
    rng = np.random.default_rng(3)
    photo = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)).save(photo)
    result = CliRunner().invoke(main, ["predict", str(path), str(photo), "--model", "resnet18", "--top-k", "5",
                                       "--json"])
    assert result.exit_code == 0, result.output
    line = json.loads(result.output)
    assert line["image"] == str(photo) and len(line["top"]) == 5

    with Image.open(photo) as image:  # torch's side: the same crop, normalised by torch
        crop = torch.tensor(resize_and_crop(image)).float() / 255
    x = (crop - torch.tensor(IMAGENET_MEAN)[:, None, None]) / torch.tensor(IMAGENET_STD)[:, None, None]
    with torch.no_grad():
        probs = torch.softmax(net(x[None]).double(), 1)[0].numpy()
    best = np.argsort(-probs)[:5]
    assert [t["index"] for t in line["top"]] == list(best)
    assert [t["name"] for t in line["top"]] == [imagenet_classes()[k] for k in best]
    np.testing.assert_allclose([t["probability"] for t in line["top"]], probs[best], rtol=1e-4)

    text = CliRunner().invoke(main, ["predict", str(path), str(photo), "--model", "resnet18", "-k", "1"])
    assert text.exit_code == 0 and text.output == f"{photo}: {imagenet_classes()[best[0]]} {probs[best[0]]:.1%}\n"


@pytest.mark.parametrize("args, message", [
    ([], "name its model with --model"),
    (["--model", "resnet34"], "does not hold resnet34's weights: load_state_dict into ResNet: missing keys: "
                              "layer1.2.conv1.weight"),
    (["--model", "resnet19"], "unknown model 'resnet19'"),
])
def test_predict_pth_errors_are_one_line(resnet18_pth, tmp_path, args, message):
    image = tmp_path / "x.npy"
    np.save(image, np.zeros((3, 224, 224), np.uint8))
    result = CliRunner().invoke(main, ["predict", str(resnet18_pth[1]), str(image), *args])
    assert result.exit_code == 2 if not args else result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and message in errors[0], result.output
