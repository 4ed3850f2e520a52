#!/usr/bin/env bash
# Multi-GPU: vLLM on GPUs 0-1, data-parallel training on GPUs 2-3 (TRAIN_GPUS).
#   Two servers (the seed's script):  ./start_vllm_server.sh config_gpu0.yaml 0
#                                     ./start_vllm_server.sh config_gpu1.yaml 1
#   One tensor-parallel server:       ./start_vllm_server.sh multi_gpu_config.yaml 0,1
#                                     then PORTS=8000 ./train_multi_gpu.sh
#   ./train_multi_gpu.sh [data.jsonl]
set -euo pipefail
cd "$(dirname "$0")"
echo "Multi-GPU GRPO Training Setup"
echo "GPUs 0-1: vLLM Servers"
echo "GPUs ${TRAIN_GPUS:-2,3}: Training Process"
[ -n "${1:-}" ] && cp "$1" data.jsonl
for port in ${PORTS:-8000 8001}; do
  ./wait_for_vllm.sh "$port" "${WAIT_S:-600}"
done
export PYTHONPATH=".:${PYTHONPATH:-}"
export CUDA_VISIBLE_DEVICES=${TRAIN_GPUS:-2,3}
export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
export TOKENIZERS_PARALLELISM=false
NPROC=$(( $(tr -cd ',' <<<"$CUDA_VISIBLE_DEVICES" | wc -c) + 1 ))
exec accelerate launch --config_file accelerate_multi_gpu.yaml \
  --num_processes "$NPROC" --num_machines 1 --machine_rank 0 \
  -m axolotl.cli.train multi_gpu_config.yaml
