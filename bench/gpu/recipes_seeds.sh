#!/usr/bin/env bash
# GPU evidence for the recipes with fixed seeds (issue 19). Run through the device tool from the
# repo root with carry=[".whl"]; wheels come from bench/gpu/build_wheels.sh (run here first).
#   PART=trl     bash bench/gpu/recipes_seeds.sh   # TRL recipe, seeds $SEEDS
#   PART=unsloth bash bench/gpu/recipes_seeds.sh   # Unsloth recipe, seeds $SEEDS
# The tiny models are prepared once per call with a FIXED SFT budget (no "until accuracy X" loop),
# so the start accuracy is the same on every re-run; each seed then runs the recipe exactly as a
# user would (`rewardkit recipe run ... --set grpo.seed=S`). Accuracy before and after is measured
# by the same evaluator (the recipe's greedy accuracy on the same 256 held-out rows, per-row scores
# kept for a paired test); bench/gpu/recipes_stats.py turns $OUT/*.json into the table.
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
PART=${PART:-trl}; SEEDS=${SEEDS:-"1 2 3"}; SFT=${SFT:-600}; MAXSFT=${MAXSFT:-$SFT}; TARGET=${TARGET:-0}
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
PIP="python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade"
$PIP --target /tmp/rk .whl/rk/*.whl .whl/uns/pydantic*.whl .whl/uns/annotated_types*.whl .whl/uns/typing_inspection*.whl
if [ "$PART" = trl ]; then $PIP --target /tmp/base .whl/base/*.whl; SITE=/tmp/base
else $PIP --target /tmp/uns .whl/uns/*.whl; SITE=/tmp/uns; fi
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
export PYTHONPATH=$SITE:/tmp/rk:$PWD
T=/tmp/tiny
python3 bench/gpu/recipes_tiny_prep.py --out $T --formats $PART --sft-steps $SFT --max-sft-steps $MAXSFT \
  --target-acc $TARGET 2>&1 | grep -E "accuracy|prepared|Error|Traceback"
if [ "$PART" = trl ]; then RECIPE=gsm8k-trl-deepspeed-lora; MODEL=$T/trl; STEPS=${STEPS:-80}
else RECIPE=gsm8k-unsloth-vllm; MODEL=$T/unsloth; STEPS=${STEPS:-120}; fi
for S in $SEEDS; do
  echo "== $RECIPE seed $S"; rm -rf /tmp/run_$S  # never report an earlier run
  python3 -m rewardkit.recipes_cli run $RECIPE --preset tiny-gpu --model $MODEL --dataset $T/add.jsonl \
    --output-dir /tmp/run_$S --set grpo.max_steps=$STEPS --set grpo.seed=$S > /tmp/log_$S.txt 2>&1
  grep -E "\[recipe\].*(accuracy|reward|peak|steps)|Error|Traceback" /tmp/log_$S.txt | cut -c1-300 | tail -8
  cp /tmp/run_$S/summary.json "$OUT/${PART}_seed$S.json" 2>/dev/null || tail -30 /tmp/log_$S.txt
done
ls -la "$OUT"
