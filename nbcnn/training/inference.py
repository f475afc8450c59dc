"""Rebuilding a trained model from its checkpoint or from a PyTorch state_dict, and classifying images with it."""
from pathlib import Path

import numpy as np

from ..models import build_model
from ..data import normalize
from ..data.imagenet import CROP, IMAGENET_MEAN, IMAGENET_STD, imagenet_classes
from ..interop import TorchFileError, load_torch_state_dict
from . import checkpoint
from .evaluation import predict_logits


def resolve_checkpoint(path):
    """A checkpoint file, or a run folder's best.npz (else last.npz)."""
    path = Path(path)
    if path.is_dir():
        for name in ("best.npz", "last.npz"):
            if (path / name).is_file():
                return path / name
        raise checkpoint.CheckpointError(f"{path} holds no best.npz or last.npz checkpoint")
    return path


def load_model(path, device="cpu"):
    """(model in eval mode, checkpoint metadata)."""
    path = resolve_checkpoint(path)
    arrays, meta = checkpoint.load(path)
    model = build_model(meta["model"], in_channels=meta["in_channels"], input_size=tuple(meta["input_size"]),
                        num_classes=meta["num_classes"], **meta.get("model_options", {}))
    model.load_state_dict(checkpoint.split_prefixed(arrays, "model"))
    return model.to(device).eval(), meta


def load_torch_model(path, name, device="cpu"):
    """(model in eval mode, metadata as a checkpoint's) for a torchvision-layout ImageNet state_dict (.pth) of
    registry model `name`: 3×224×224 inputs, 1000 classes, ImageNet's mean/std and class names."""
    state = load_torch_state_dict(path)
    model = build_model(name, in_channels=3, input_size=CROP, num_classes=1000)
    try:
        model.load_state_dict(state)
    except ValueError as error:
        raise TorchFileError(f"{path} does not hold {name}'s weights: {error}") from None
    meta = {"model": name, "in_channels": 3, "input_size": [CROP, CROP], "num_classes": 1000,
            "mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD), "classes": list(imagenet_classes())}
    return model.to(device).eval(), meta


def classify(model, meta, images_uint8, top_k=3, device="cpu"):
    """[(class index, class name, probability)] × top_k for each image of uint8 (N, C, H, W)."""
    x = normalize(images_uint8, np.asarray(meta["mean"], np.float32), np.asarray(meta["std"], np.float32))
    logits = predict_logits(model, x, device).astype(np.float64)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    names = meta.get("classes") or [str(i) for i in range(meta["num_classes"])]
    best = np.argsort(-probs, axis=1)[:, :top_k]
    return [[(int(k), names[k], float(p[k])) for k in row] for p, row in zip(probs, best)]
