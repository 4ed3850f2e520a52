#!/usr/bin/env bash
# GPU evidence for the recipes (run through the device tool from the repo root, carry=[".whl/base",
# ".whl/uns", ".whl/rk"]; wheels from ../shared/tools/gpu-wheels/fetch_wheels.sh plus .whl/rk =
# RestrictedPython + orjson for python 3.12). Runs the recipes exactly as a user would:
#   rewardkit recipe run gsm8k-trl-deepspeed-lora --preset tiny-gpu --model DIR --dataset JSONL
#   rewardkit recipe run gsm8k-unsloth-vllm        --preset tiny-gpu --model DIR --dataset JSONL
# on ~3M-parameter Qwen2 models pre-trained briefly on 2-digit addition (bench/gpu/recipes_tiny_prep.py).
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
PIP="python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade"
$PIP --target /tmp/base .whl/base/*.whl
$PIP --target /tmp/uns .whl/uns/*.whl
$PIP --target /tmp/rk .whl/rk/*.whl .whl/uns/pydantic*.whl .whl/uns/annotated_types*.whl .whl/uns/typing_inspection*.whl
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
RK="python3 -m rewardkit.recipes_cli"
T=/tmp/tiny
STEPS_TRL=${STEPS_TRL:-80}; STEPS_UNS=${STEPS_UNS:-60}

echo "== prep"
PYTHONPATH=/tmp/base:/tmp/rk:$PWD python3 bench/gpu/recipes_tiny_prep.py --out $T --sft-steps 150 \
  --target-acc 0.4 --max-sft-steps 3000 2>&1 | grep -E "accuracy|prepared|Error|Traceback"

echo "== TRL recipe"
PYTHONPATH=/tmp/base:/tmp/rk:$PWD $RK run gsm8k-trl-deepspeed-lora --preset tiny-gpu \
  --model $T/trl --dataset $T/add.jsonl --output-dir /tmp/run_trl --set grpo.max_steps=$STEPS_TRL \
  > /tmp/trl_full.log 2>&1; grep -E "\[recipe\]|Error|Traceback|launch" /tmp/trl_full.log | sed 's/.*\[recipe\]/[recipe]/' | cut -c1-600 | tee $OUT/trl_log.txt
cp /tmp/run_trl/summary.json $OUT/trl_summary.json; cp /tmp/run_trl/metrics.csv $OUT/trl_metrics.csv
cp /tmp/run_trl/reward_curve.png $OUT/trl_reward_curve.png

echo "== Unsloth recipe"
PYTHONPATH=/tmp/uns:/tmp/rk:$PWD $RK run gsm8k-unsloth-vllm --preset tiny-gpu \
  --model $T/unsloth --dataset $T/add.jsonl --output-dir /tmp/run_uns --set grpo.max_steps=$STEPS_UNS \
  > /tmp/uns_full.log 2>&1; grep -E "\[recipe\]|Error|Traceback|launch|Unsloth" /tmp/uns_full.log | sed 's/.*\[recipe\]/[recipe]/' | cut -c1-600 | tee $OUT/uns_log.txt
cp /tmp/run_uns/summary.json $OUT/uns_summary.json; cp /tmp/run_uns/metrics.csv $OUT/uns_metrics.csv
cp /tmp/run_uns/reward_curve.png $OUT/uns_reward_curve.png
ls -la $OUT
