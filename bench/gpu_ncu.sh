#!/usr/bin/env bash
# Nsight Compute on the GPU backend's kernels: what bounds the parse (rules and story side
# by side, then size) and the write.
#
#   bash bench/gpu_ncu.sh                 # on a machine with a CUDA GPU, from the repository root
#   SIZE=100000 bash bench/gpu_ncu.sh
#
# One batch of SIZE intents (kernels.corpus, seed 1) is encoded twice (the first compiles);
# ncu profiles the second launch of each kernel with the sections that say whether it is
# bound by memory, by issue (divergence, dependencies) or by occupancy (registers).
set -euo pipefail
SIZE=${SIZE:-100000}
PYTHON=${PYTHON:-python3}
SECTIONS=(--section SpeedOfLight --section Occupancy --section LaunchStats
          --section WarpStateStats --section MemoryWorkloadAnalysis --section SchedulerStats)
for kernel in _rules_body _story_body _size_body _write_kernel; do
  ncu --clock-control none -k "regex:${kernel}" --launch-skip 1 --launch-count 1 "${SECTIONS[@]}" \
    "$PYTHON" -c "
import kernels
from kernels.corpus import generate_intents
texts = generate_intents($SIZE, seed=1)
batch = kernels.make_batch(texts, [str(i) for i in range(len(texts))])
for _ in range(2):
    kernels.encode_batch(batch, 'gpu')
"
done
