"""WEIGHTS as the commands that run a trained model take it: a run folder, an nbcnn checkpoint (.npz), or a PyTorch
state_dict (.pth/.pt) of the registry model that --model names."""
from pathlib import Path

import click

TORCH_SUFFIXES = (".pth", ".pt")
MODEL_HELP = ("Registry model a .pth state_dict holds (torchvision layout; 3x224x224 input, 1000 ImageNet classes, "
              "ImageNet preprocessing).")


def is_torch_file(weights):
    return Path(weights).suffix.lower() in TORCH_SUFFIXES


def load_weights(weights, model_name, device="cpu"):
    """(model in eval mode, metadata: model, in_channels, input_size, num_classes, mean, std, classes)."""
    from nbcnn.training import load_model, load_torch_model

    if is_torch_file(weights):
        if model_name is None:
            raise click.UsageError(f"{weights} is a PyTorch state_dict: name its model with --model (nbcnn models)")
        return load_torch_model(weights, model_name, device)
    if model_name is not None:
        raise click.UsageError("--model is for .pth state_dicts; an nbcnn checkpoint names its own model")
    return load_model(weights, device)
