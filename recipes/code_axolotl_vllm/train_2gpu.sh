#!/usr/bin/env bash
# Train with axolotl_2gpu.yaml once the vLLM server is up (./start_vllm_server.sh in another terminal).
# Layout: vLLM on GPU 0, training on GPU 1
#   ./train_2gpu.sh [data.jsonl]        (NUM_GPUS, TP for ngpu)
set -euo pipefail
cd "$(dirname "$0")"
[ -n "${1:-}" ] && cp "$1" data.jsonl
./wait_for_vllm.sh "${PORT:-8000}" "${WAIT_S:-600}"
export PYTHONPATH=".:${PYTHONPATH:-}" TOKENIZERS_PARALLELISM=false
export PYTORCH_CUDA_ALLOC_CONF=${PYTORCH_CUDA_ALLOC_CONF:-expandable_segments:True}
CUDA_VISIBLE_DEVICES=1 exec axolotl train axolotl_2gpu.yaml --num-processes 1
