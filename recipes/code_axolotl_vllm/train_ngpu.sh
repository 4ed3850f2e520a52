#!/usr/bin/env bash
# Train with axolotl_ngpu.yaml once the vLLM server is up (./start_vllm_server.sh in another terminal).
# Layout: vLLM tensor-parallel on the last TP GPUs, data-parallel training on the rest
#   ./train_ngpu.sh [data.jsonl]        (NUM_GPUS, TP for ngpu)
set -euo pipefail
cd "$(dirname "$0")"
[ -n "${1:-}" ] && cp "$1" data.jsonl
./wait_for_vllm.sh "${PORT:-8000}" "${WAIT_S:-600}"
export PYTHONPATH=".:${PYTHONPATH:-}" TOKENIZERS_PARALLELISM=false
export PYTORCH_CUDA_ALLOC_CONF=${PYTORCH_CUDA_ALLOC_CONF:-expandable_segments:True}
NUM_GPUS=${NUM_GPUS:-4}; TP=${TP:-2}; K=$((NUM_GPUS - TP))
(( K >= 1 )) || { echo "ERROR: NUM_GPUS=$NUM_GPUS leaves no GPU for training after TP=$TP" >&2; exit 2; }
CUDA_VISIBLE_DEVICES=$(seq -s, 0 $((K - 1))) exec axolotl train axolotl_ngpu.yaml --num-processes "$K"
