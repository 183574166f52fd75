#!/usr/bin/env bash
# Create .venv (if needed) and install multiclass with its test extras, offline-friendly.
# PyTorch: on the project's machines `torch==2.13.0` is a local CPU wheel; a looser pin would pull a
# multi-GB CUDA build. Set TORCH_SPEC to choose another (e.g. TORCH_SPEC="torch>=2.4" with a CUDA index).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
    "$VENV/bin/pip" install --quiet "${TORCH_SPEC:-torch==2.13.0}"
fi
"$VENV/bin/pip" install --quiet -e ".[test]"
