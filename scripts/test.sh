#!/usr/bin/env bash
# Set up the environment and run the whole test suite (the slow MNIST quality tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
sh scripts/install-browser.sh  # Chromium for the HTML report's browser tests (root + apt-get only)
# Two workers (pytest-xdist, grouped by file): the suite is CPU-bound and the machines have 2 cores.
exec "${VENV:-.venv}/bin/python" -m pytest -n 2 --dist loadfile "$@"
