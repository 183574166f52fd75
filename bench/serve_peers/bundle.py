"""The benchmark model as the peers load it: the same weights (an .npz of torch's (out, in) matrices) and the same
preprocessing constants (spec.json), rebuilt as an idiomatic torch module. Runs in the peers' virtual environment
(torch, numpy), never imports multiclass."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)  # one worker, one core: the same as the multiclass server


def load(folder: str | os.PathLike | None = None):
    """(spec, model, preprocess): preprocess maps a float64 (N, D) array to the network's float32 input."""
    folder = Path(folder or os.environ["BENCH_BUNDLE"])
    spec = json.loads((folder / "spec.json").read_text())
    arrays = np.load(folder / "weights.npz")
    n = len(arrays.files) // 2
    layers: list[nn.Module] = []
    for i in range(n):
        weight, bias = torch.from_numpy(arrays[f"w{i}"]), torch.from_numpy(arrays[f"b{i}"])
        linear = nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            linear.weight.copy_(weight)
            linear.bias.copy_(bias)
        layers.append(linear)
        if i < n - 1:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers).eval()
    mean, scale = np.asarray(spec.get("mean", 0.0)), np.asarray(spec.get("scale", 1.0))

    def preprocess(X: np.ndarray) -> torch.Tensor:
        if spec["kind"] == "pixels":
            return torch.from_numpy(X.astype(np.float32) / np.float32(spec["divisor"]))
        return torch.from_numpy(((X - mean) / scale).astype(np.float32))

    return spec, model, preprocess


def predict(model, x: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return torch.softmax(model(x).double(), dim=1).numpy()
