#!/usr/bin/env bash
# Set up the environment and run the main job: train the default model on a built-in dataset, print the report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec "${VENV:-.venv}/bin/multiclass" demo "$@"
