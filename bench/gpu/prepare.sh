#!/usr/bin/env bash
# Run HERE (the machine without a GPU), once, before a device call: gathers what the GPU machine lacks into
# .device-carry/ (ignored by git; name it in the device tool's `carry`):
#   .device-carry/wheels  keras, namex, optree and skorch for Python 3.12 (the GPU image has torch, sklearn,
#                         pandas, pyarrow, rich, jinja2, matplotlib, safetensors, hypothesis, pytest-xdist)
#   .device-carry/mnist   the MNIST IDX files from ../shared (the device call sends the repository only)
# Then: device run `bash bench/gpu/run.sh all` with carry [".device-carry"]  (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.device-carry/' .git/info/exclude 2>/dev/null || echo '/.device-carry/' >> .git/info/exclude
mkdir -p .device-carry/wheels .device-carry/mnist
cp ../shared/datasets/mnist/*-ubyte.gz .device-carry/mnist/
PY="${PYTHON:-python3}"
platforms=()
for n in 2_28 2_27 2_17 2014; do
  if [ "$n" = 2014 ]; then platforms+=(--platform manylinux2014_x86_64); else platforms+=(--platform "manylinux_${n}_x86_64"); fi
done
for pkg in keras==3.15.1 namex optree skorch==1.4.0; do
  "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${platforms[@]}" -d .device-carry/wheels "$pkg"
done
du -sh .device-carry/*
