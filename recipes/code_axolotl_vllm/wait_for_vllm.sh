#!/usr/bin/env bash
# Wait until the vLLM server answers /health, or fail with a clear message.
#   ./wait_for_vllm.sh [PORT] [TIMEOUT_S]
PORT=${1:-8000}; TIMEOUT=${2:-600}; URL="http://127.0.0.1:${PORT}/health"
start=$(date +%s)
until curl -sf "$URL" >/dev/null 2>&1; do
  if (( $(date +%s) - start > TIMEOUT )); then
    echo "ERROR: vLLM server not reachable at $URL after ${TIMEOUT}s." >&2
    echo "Start it first (another terminal):  ./start_vllm_server.sh <config.yaml> <gpus>" >&2
    echo "and check its log / that the port is free:  ss -ltnp | grep :$PORT" >&2
    exit 1
  fi
  sleep 5
done
echo "vLLM server is up at $URL"
