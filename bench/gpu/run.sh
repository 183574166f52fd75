#!/usr/bin/env bash
# Run ON THE GPU MACHINE, from the repository root, with .device-carry carried (bench/gpu/prepare.sh made it):
#   bash bench/gpu/run.sh tests    the whole test suite on a machine with a GPU (CUDA tests no longer skip)
#   bash bench/gpu/run.sh epoch    bench/epoch_speed.py --device cuda: our engines against every peer, and
#                                  cuda_graph vs cuda_graph@bfloat16
#   bash bench/gpu/run.sh sweep    bench/sweep_speed.py --device cuda --models 1,16,64,256 (the 1/200 goal)
#   bash bench/gpu/run.sh profile  bench/gpu/profile_step.py: torch.profiler over one epoch of cuda_graph and eager
#   bash bench/gpu/run.sh probe    bench/gpu/graph_probe.py: the CUDA-graph engine by steps per graph, and compiled
#   bash bench/gpu/run.sh same-init  epoch_speed.py with the PyTorch peers started from our initial weights
#   bash bench/gpu/run.sh all      the four, in that order (about 8-10 minutes: fits one call)
# Logs and the benchmarks' JSON go to $OUT (the device tool brings them back). For a dry run anywhere:
#   DEVICE=cpu QUICK=1 PYTHON=.venv/bin/python NO_WHEELS=1 bash bench/gpu/run.sh epoch
set -uo pipefail
cd "$(dirname "$0")/../.."
what="${1:-all}"
OUT="${OUT:-/tmp/gpu-out}"
DEVICE="${DEVICE:-cuda}"
PY="${PYTHON:-python3}"
quick=()
[ "${QUICK:-0}" = 1 ] && quick=(--quick)
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 KERAS_BACKEND=torch
if [ "${NO_WHEELS:-0}" != 1 ] && ls .device-carry/wheels/*.whl >/dev/null 2>&1; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
    .device-carry/wheels/*.whl || exit 1
  export PYTHONPATH="/tmp/site:${PYTHONPATH:-}"
fi
export PYTHONPATH="$PWD/src:${PYTHONPATH:-}"  # the package itself, without installing it
[ -d .device-carry/mnist ] && export MULTICLASS_MNIST_DIR="$PWD/.device-carry/mnist"
{ nvidia-smi || true; "$PY" -c "import torch, sys; print(sys.version); print('torch', torch.__version__, 'cuda',
torch.cuda.is_available())"; } 2>&1 | tee "$OUT/machine.log"

run_tests() {
  "$PY" -m pytest -q -p no:cacheprovider -n 8 --dist loadfile -o addopts="-ra" tests/ 2>&1 | tee "$OUT/tests.log"
}
run_epoch() {
  "$PY" bench/epoch_speed.py --device "$DEVICE" --engines auto,eager,fused,cuda_graph,cuda_graph+compile \
    "${quick[@]}" 2>&1 | tee "$OUT/epoch_speed.log"
  "$PY" bench/epoch_speed.py --device "$DEVICE" --peers multiclass "${quick[@]}" \
    --engines cuda_graph,cuda_graph@bfloat16,eager,eager@bfloat16 --no-json 2>&1 | tee "$OUT/epoch_speed_bf16.log"
}
run_same_init() {  # accuracy check: the PyTorch peers start from our initial weights, 6 epochs
  "$PY" bench/epoch_speed.py --device "$DEVICE" --peers multiclass,dataloader,skorch \
    --engines cuda_graph,cuda_graph+compile --peer-init ours --epochs 6 "${quick[@]}" 2>&1 | tee "$OUT/epoch_speed_same_init.log"
}
run_profile() {
  "$PY" bench/gpu/profile_step.py --engines cuda_graph,eager 2>&1 | tee "$OUT/profile.log"
}
run_probe() {
  "$PY" bench/gpu/graph_probe.py 2>&1 | tee "$OUT/graph_probe.log"
}
run_sweep() {
  "$PY" bench/sweep_speed.py --device "$DEVICE" --models 1,16,64,256 "${quick[@]}" 2>&1 | tee "$OUT/sweep_speed.log"
}
case "$what" in
  tests) run_tests ;;
  epoch) run_epoch ;;
  sweep) run_sweep ;;
  profile) run_profile ;;
  probe) run_probe ;;
  same-init) run_same_init ;;
  all) run_tests; run_epoch; run_sweep; run_profile ;;
  *) echo "usage: bash bench/gpu/run.sh tests|epoch|sweep|profile|all" >&2; exit 2 ;;
esac
cp bench/results/*-"${DEVICE}".json "$OUT"/ 2>/dev/null || true
ls -la "$OUT"
