#!/usr/bin/env bash
# Start Axolotl's vLLM server (it execs vLLM's own server with TRL's weight-sync flags).
#   ./start_vllm_server.sh                                   # GPU 0, custom_dataset_config.yaml
#   ./start_vllm_server.sh single_gpu_config.yaml 0          # one shared GPU
#   ./start_vllm_server.sh multi_gpu_config.yaml 0,1         # tensor-parallel on GPUs 0-1
#   ./start_vllm_server.sh config_gpu1.yaml 1                # second server (port 8001)
set -euo pipefail
cd "$(dirname "$0")"
CONFIG=${1:-custom_dataset_config.yaml}; GPUS=${2:-0}
export PYTHONPATH=".:${PYTHONPATH:-}"
CUDA_VISIBLE_DEVICES="$GPUS" exec axolotl vllm-serve "$CONFIG"
