"""Weights from and to other frameworks' files."""
from .torch_pth import TorchFileError, load_torch_state_dict
from .onnx_export import OnnxExportError, export_onnx

__all__ = ["TorchFileError", "load_torch_state_dict", "OnnxExportError", "export_onnx"]
