#!/usr/bin/env bash
# Run musique-unsloth with the seed's flags, e.g.
#   ./launch.sh train --model Qwen/Qwen2.5-7B-Instruct --batch-size 8 --num-generations 8 \
#       --learning-rate 1e-5 --max-steps 100
set -euo pipefail
cd "$(dirname "$0")"
export TOKENIZERS_PARALLELISM=false
exec python train.py "$@"
