#!/usr/bin/env bash
# gpt-oss-20b on 16 GB: check the budget first, then train.
#   ./launch.sh --test-configs
#   ./launch.sh --preset conservative --dataset /path/to/your/dataset.json
set -euo pipefail
cd "$(dirname "$0")"
export PYTORCH_CUDA_ALLOC_CONF=${PYTORCH_CUDA_ALLOC_CONF:-expandable_segments:True}
exec python train.py "$@"
