"""Weights from and to other frameworks' files."""
from .torch_pth import TorchFileError, load_torch_state_dict

__all__ = ["TorchFileError", "load_torch_state_dict"]
