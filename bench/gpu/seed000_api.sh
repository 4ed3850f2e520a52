#!/usr/bin/env bash
# GPU evidence for seed 000's Python API (issue 19): the document's classes drive a real Unsloth
# GRPO run on a tiny local model (4-bit + LoRA). Run through the device tool from the repo root
# with carry=[".whl"] (wheels: ../shared/tools/gpu-wheels/fetch_wheels.sh -> .whl/base, .whl/uns;
# .whl/rk = RestrictedPython + orjson).
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
PIP="python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade"
$PIP --target /tmp/base .whl/base/*.whl
$PIP --target /tmp/uns .whl/uns/*.whl
$PIP --target /tmp/rk .whl/rk/*.whl .whl/uns/pydantic*.whl .whl/uns/annotated_types*.whl .whl/uns/typing_inspection*.whl
T=/tmp/tiny
PYTHONPATH=/tmp/base:/tmp/rk:$PWD python3 bench/gpu/recipes_tiny_prep.py --out $T --formats unsloth \
  --sft-steps 150 --target-acc 0.4 --max-sft-steps 3000 2>&1 | grep -E "accuracy|prepared|Error|Traceback"
PYTHONPATH=/tmp/uns:/tmp/rk:$PWD timeout ${T_RUN:-420} python3 bench/gpu/seed000_api.py \
  --model $T/unsloth --data $T/add.jsonl --steps ${STEPS:-20} 2>&1 \
  | grep -vE "it/s\]|s/it\]|Warning|warn" | tail -60
