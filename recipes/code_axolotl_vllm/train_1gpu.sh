#!/usr/bin/env bash
# Train with axolotl_1gpu.yaml once the vLLM server is up (./start_vllm_server.sh in another terminal).
# Layout: GPU 0 shared by vLLM (0.6 of memory) and training
#   ./train_1gpu.sh [data.jsonl]        (NUM_GPUS, TP for ngpu)
set -euo pipefail
cd "$(dirname "$0")"
[ -n "${1:-}" ] && cp "$1" data.jsonl
./wait_for_vllm.sh "${PORT:-8000}" "${WAIT_S:-600}"
export PYTHONPATH=".:${PYTHONPATH:-}" TOKENIZERS_PARALLELISM=false
export PYTORCH_CUDA_ALLOC_CONF=${PYTORCH_CUDA_ALLOC_CONF:-expandable_segments:True}
CUDA_VISIBLE_DEVICES=0 exec axolotl train axolotl_1gpu.yaml --num-processes 1
