#!/usr/bin/env bash
# Single GPU shared: vLLM (0.6 of memory) and training both on GPU 0.
#   Terminal 1: ./start_vllm_server.sh single_gpu_config.yaml 0
#   Terminal 2: ./train_single_gpu_shared.sh [data.jsonl]
set -euo pipefail
cd "$(dirname "$0")"
echo "Single GPU Shared Memory Training"
echo "GPU 0: vLLM + Training (shared)"
[ -n "${1:-}" ] && cp "$1" data.jsonl
./wait_for_vllm.sh "${PORT:-8000}" "${WAIT_S:-600}"
export PYTHONPATH=".:${PYTHONPATH:-}"
export CUDA_VISIBLE_DEVICES=0
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
export TOKENIZERS_PARALLELISM=false
exec accelerate launch --config_file accelerate_config.yaml \
  --num_processes 1 --num_machines 1 --machine_rank 0 \
  -m axolotl.cli.train single_gpu_config.yaml
