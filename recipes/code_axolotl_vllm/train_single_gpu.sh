#!/usr/bin/env bash
# Dual GPU (the seed's recommended layout): vLLM on GPU 0 (./start_vllm_server.sh), training on GPU 1.
#   ./train_single_gpu.sh [data.jsonl]
set -euo pipefail
cd "$(dirname "$0")"
echo "Dual GPU: GPU 0 vLLM server, GPU 1 training"
[ -n "${1:-}" ] && cp "$1" data.jsonl
./wait_for_vllm.sh "${PORT:-8000}" "${WAIT_S:-600}"
export PYTHONPATH=".:${PYTHONPATH:-}"
export CUDA_VISIBLE_DEVICES=1
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
export TOKENIZERS_PARALLELISM=false
exec accelerate launch --config_file accelerate_config.yaml \
  --num_processes 1 --num_machines 1 --machine_rank 0 \
  -m axolotl.cli.train custom_dataset_config.yaml
