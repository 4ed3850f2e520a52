#!/usr/bin/env bash
# Launch gsm8k-trl-deepspeed-lora from an exported folder (or the recipe folder).
#   NUM_GPUS=2 ./launch.sh [--preset bf16] [--set grpo.max_steps=100] [--dataset data.jsonl]
# DeepSpeed ZeRO-2 + CPU optimizer offload comes from ds_config_zero2.json via GRPOConfig(deepspeed=...).
# Use LAUNCHER=accelerate for `accelerate launch` (same DeepSpeed config, still through GRPOConfig).
set -euo pipefail
cd "$(dirname "$0")"
NUM_GPUS=${NUM_GPUS:-2}
export TOKENIZERS_PARALLELISM=false
export PYTORCH_CUDA_ALLOC_CONF=${PYTORCH_CUDA_ALLOC_CONF:-expandable_segments:True}
case "${LAUNCHER:-deepspeed}" in
  deepspeed)  exec deepspeed --num_gpus="$NUM_GPUS" train.py "$@" ;;
  accelerate) exec accelerate launch --num_processes "$NUM_GPUS" --num_machines 1 train.py "$@" ;;
  python)     exec python train.py "$@" ;;
  *) echo "LAUNCHER must be deepspeed, accelerate or python" >&2; exit 2 ;;
esac
