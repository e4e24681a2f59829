#!/usr/bin/env bash
# One-GPU end to end: every figure of bench/README.md's "GPU end to end" tables in one go.
#
#   bash bench/gpu_e2e.sh            # on a machine with a CUDA GPU, from the repository root
#   INTENTS=200000 bash bench/gpu_e2e.sh   # a quicker look
#
# 1. pass-through, grump on the GPU (two drain processes sharing device 0 through the
#    multi-device path) and grump on the CPU, one replica each;
# 2. replica scaling of consume-only, pass-through and grump-gpu at 1, 2, 4 and 8 replicas.
# Each step starts its own local broker and produces INTENTS requests first; STEPS=1 or
# STEPS=2 runs one of them (a lent machine may cap the length of one command).
set -euo pipefail

INTENTS=${INTENTS:-2000000}
PARTITIONS=${PARTITIONS:-16}
DEVICES=${GRUMP_DEVICES:-0,0}
PYTHON=${PYTHON:-python3}
common=(--intents "$INTENTS" --partitions "$PARTITIONS" --devices "$DEVICES" --json)

# The CPU backend compiles once (minutes) before its drains start, so its row times parsing.
"$PYTHON" -c 'import kernels; b = kernels.make_batch(["warm"], ["w"]); kernels.encode_batch(b, "cpu")'

STEPS=${STEPS:-1,2}
if [[ $STEPS == *1* ]]; then
  "$PYTHON" -m bench.e2e "${common[@]}" --modes passthrough,grump-gpu,grump-cpu
fi
if [[ $STEPS == *2* ]]; then
  "$PYTHON" -m bench.e2e "${common[@]}" --modes consume,passthrough,grump-gpu \
    --replicas "${REPLICAS:-1,2,4,8}"
fi
