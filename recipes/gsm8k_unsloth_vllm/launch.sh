#!/usr/bin/env bash
# Run gsm8k-unsloth-vllm (single GPU; vLLM is colocated inside the training process).
#   ./launch.sh [--preset no-vllm] [--set grpo.max_steps=50] [--dataset my.jsonl] [--model DIR]
set -euo pipefail
cd "$(dirname "$0")"
export TOKENIZERS_PARALLELISM=false
exec python train.py "$@"
