#!/usr/bin/env bash
# One pass over a GPU machine: compile, GPU parity on every device, kernel benches, and the
# multi-device bench. Writes each step's output under OUT (default ./gpu-check).
#
#   bash bench/gpu_check.sh            # from the repository root, on a machine with CUDA GPUs
#   SIZES=10000,1000000 MULTI_SIZES=1000000,4000000 bash bench/gpu_check.sh
set -uo pipefail
OUT=${OUT:-gpu-check}
PYTHON=${PYTHON:-python3}
SIZES=${SIZES:-10000,1000000}
MULTI_SIZES=${MULTI_SIZES:-1000000,4000000}
mkdir -p "$OUT"
devices=$("$PYTHON" -c 'import cupy; print(cupy.cuda.runtime.getDeviceCount())')
warm='import sys, kernels; b = kernels.make_batch(["Build a CLI"], ["1"]); kernels.encode_batch(b, sys.argv[1])'

# 1. compile both backends at once (numba compiles on one core per process)
"$PYTHON" -c "$warm" cpu >"$OUT/warm-cpu.txt" 2>&1 &
{ time "$PYTHON" -c "$warm" gpu; } >"$OUT/warm-gpu.txt" 2>&1
wait
# 2. the GPU parity suite on every device, in parallel (device 0 gets the full corpus)
for d in $(seq 0 $((devices - 1))); do
  intents=$([ "$d" = 0 ] && echo 100000 || echo 30000)
  CUDA_VISIBLE_DEVICES=$d GRUMP_REQUIRE_GPU=1 GRUMP_PARITY_INTENTS=$intents \
    "$PYTHON" -m pytest -q -p no:cacheprovider tests/kernels/test_parity.py \
    tests/kernels/test_gpu_times.py tests/kernels/story -k "gpu or story" >"$OUT/parity-gpu$d.txt" 2>&1 &
done
wait
tail -n 3 "$OUT"/parity-gpu*.txt
# 3. every backend on one corpus, all cores for the CPU, each row again without the story
"$PYTHON" -m bench.kernels --json --sizes "$SIZES" --story-cost | tee "$OUT/kernels.txt" | grep -v '^{'
# 4. one GPU against all of them through the multi-device path, utilisation sampled
nvidia-smi dmon -s u -d 1 >"$OUT/dmon.txt" 2>&1 &
dmon=$!
sets="0"; [ "$devices" -gt 1 ] && sets="0;$(seq -s, 0 $((devices - 1)))"
"$PYTHON" -m bench.kernels --json --backends none --sizes "$MULTI_SIZES" --device-sets "$sets" \
  | tee "$OUT/multi.txt" | grep -v '^{'
kill "$dmon" 2>/dev/null
