#!/usr/bin/env bash
# GPU evidence for judge rewards (issue 17): a tiny instruct judge fine-tuned on the GPU,
# served by transformers behind /v1/chat/completions, scoring held-out completions through
# rewardkit's judge (Python and the real CLI). Run through the device tool from the repo root
# with carry=[".whl"] (.whl/rk = RestrictedPython + orjson; pydantic from .whl/uns).
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
PIP="python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade"
$PIP --target /tmp/base .whl/rk/*.whl .whl/uns/pydantic*.whl .whl/uns/annotated_types*.whl \
  .whl/uns/typing_inspection*.whl
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
PYTHONPATH=/tmp/base:$PWD timeout ${T_JUDGE:-500} python3 bench/gpu/judge_gpu.py "$@" 2>&1 \
  | grep -vE "it/s\]|s/it\]|Warning|warn" | tail -80
