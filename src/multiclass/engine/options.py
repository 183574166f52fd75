"""The engine vocabulary, defined once and light to import: what may run the training steps, and how.

`TrainConfig` validates its fields against these, `resolve_engine` picks among them, and the command line offers
them as choices -- none of which needs torch, so this module imports nothing.
"""

from __future__ import annotations

__all__ = ["COMPILE_STEP", "ENGINES", "FUSED_IS_FLOAT32", "PRECISIONS"]

# What can run the steps of an epoch ("auto": cuda_graph on CUDA, fused on CPU; see `multiclass.engine`).
ENGINES = ("auto", "eager", "fused", "cuda_graph")
# Arithmetic of the training steps' matrix products (weights, Adam and the loss stay float32).
PRECISIONS = ("float32", "bfloat16")
# Whether the CUDA-graph engine passes its step through torch.compile ("auto": when the run is long enough).
COMPILE_STEP = ("auto", "always", "never")
FUSED_IS_FLOAT32 = ("`engine` 'fused' trains in float32; with `precision` 'bfloat16' use 'auto', 'eager' or "
                    "'cuda_graph'.")
