#!/usr/bin/env bash
# GPU evidence for the trainer adapters (issue 6). Run through the device tool from the repo root
# with carry=[".whl"] (wheels: ../shared/tools/gpu-wheels/fetch_wheels.sh -> .whl/base, .whl/uns;
# .whl/rk = RestrictedPython + orjson; .whl/ax = axolotl 0.21.0, trl 1.14.1, transformers 5.20.1,
# datasets 5.0.1, addict, posthog, distro, backoff, fastcore, fire, termcolor, evaluate 0.4.1,
# axolotl-contribs-*; wandb is replaced by the import stub in bench/gpu/stubs: it does not fit).
#   1. TRL 1.16 GRPO: share of step time in rewards, rewardkit vs the notebook's plain functions
#   2. Axolotl 0.21: generated config + dotted paths through Axolotl's own loaders, then 2 train steps
#   3. Unsloth 2026.10.9: a real GRPO run of 3 steps with rewardkit rewards
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
REPO=$PWD
PARTS=${PARTS:-trl,axolotl,unsloth}  # a subset, e.g. PARTS=axolotl
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
export AXOLOTL_DO_NOT_TRACK=1 WANDB_DISABLED=true
PIP="python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade"
RKDEPS=".whl/rk/*.whl .whl/uns/pydantic*.whl .whl/uns/annotated_types*.whl .whl/uns/typing_inspection*.whl"
$PIP --target /tmp/base .whl/base/*.whl $RKDEPS
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 --version

if [[ $PARTS == *trl* ]]; then
echo "== 1. TRL GRPO reward share"
PYTHONPATH=/tmp/base:$REPO timeout ${T_TRL:-240} python3 bench/gpu/trainers_trl_share.py \
  --steps ${STEPS:-15} --batch 64 2>&1 | grep -vE "it/s\]|s/it\]|Warning|warn" | tail -20
fi

if [[ $PARTS == *axolotl* ]]; then
echo "== 2. Axolotl"
$PIP --target /tmp/ax .whl/ax/*.whl .whl/uns/bitsandbytes*.whl $RKDEPS .whl/base/dill*.whl \
  .whl/base/multiprocess*.whl
PYTHONPATH=/tmp/ax:$REPO timeout 150 python3 bench/gpu/trainers_axolotl_check.py > /tmp/ax.log 2>&1
echo "exit $?"; grep -vE "^\s*$" /tmp/ax.log | grep -vE "Warning|warn|^ {6,}" | tail -45 | cut -c1-400
echo "-- axolotl train (2 steps, no vLLM)"
(cd /tmp/ax_work && PYTHONPATH=/tmp/ax:/tmp/ax_work:$REPO:$REPO/bench/gpu/stubs timeout ${T_AXT:-150} python3 -m axolotl.cli.train \
  grpo.yaml > /tmp/axt.log 2>&1; echo "exit $?")
grep -E "Error|error:|rewards/|'reward'|train_runtime|Traceback|rewardkit/xml_format/ok" /tmp/axt.log \
  | grep -v "Warning" | tail -12 | cut -c1-600
cp /tmp/ax.log /tmp/axt.log "$OUT"/ 2>/dev/null
fi

if [[ $PARTS == *unsloth* ]]; then
echo "== 3. Unsloth GRPO"
$PIP --target /tmp/uns .whl/uns/*.whl .whl/rk/*.whl
PYTHONPATH=/tmp/uns:$REPO timeout ${T_UNS:-240} python3 bench/gpu/trainers_unsloth_step.py > /tmp/uns.log 2>&1
echo "exit $?"; grep -vE "it/s\]|s/it\]|^\s*$" /tmp/uns.log | grep -E "import unsloth|class|instance|steps logged|  rewards/|  rewardkit/|Error|Traceback|error" | tail -40 | cut -c1-300
cp /tmp/uns.log "$OUT"/ 2>/dev/null
fi
ls "$OUT"
