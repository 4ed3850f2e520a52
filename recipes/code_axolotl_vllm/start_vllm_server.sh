#!/usr/bin/env bash
# Start Axolotl's vLLM server (it execs vLLM's own server with TRL's weight-sync flags).
#   ./start_vllm_server.sh axolotl_2gpu.yaml 0        # GPU 0
#   ./start_vllm_server.sh axolotl_ngpu.yaml 2,3      # tensor-parallel on the LAST GPUs
set -euo pipefail
cd "$(dirname "$0")"
CONFIG=${1:-axolotl_2gpu.yaml}; GPUS=${2:-0}
export PYTHONPATH=".:${PYTHONPATH:-}"
CUDA_VISIBLE_DEVICES="$GPUS" exec axolotl vllm-serve "$CONFIG"
