"""Exporting a model directory to other runtimes: `export_onnx` writes one ONNX graph from raw columns to
probabilities and label, the preprocessing inside (`multiclass.export.onnx`); `onnx_inputs` makes its inputs
from raw columns (`multiclass.export.inputs`)."""

from multiclass.export.inputs import onnx_inputs
from multiclass.export.onnx import OPSET, build_onnx, export_onnx

__all__ = ["OPSET", "build_onnx", "export_onnx", "onnx_inputs"]
