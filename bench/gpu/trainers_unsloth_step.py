"""GPU machine: a real Unsloth (2026.10.9) GRPO run of a few steps with rewardkit rewards.

``rewardkit.trainers.unsloth``: import unsloth first, load the tiny local Qwen2
with ``FastLanguageModel.from_pretrained`` + ``get_peft_model``, look the
(patched) ``trl.GRPOTrainer`` up at call time, train with ``to_trl`` adapters.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rewardkit.trainers import unsloth as rku  # noqa: E402  (imports nothing heavy)

t0 = time.perf_counter()
unsloth = rku.import_unsloth()  # before trl / transformers / peft
print(f"import unsloth {unsloth.__version__}: {time.perf_counter() - t0:.1f}s")

import trainers_tiny as tiny  # noqa: E402

from rewardkit.trainers.trl import reward_weights, to_trl  # noqa: E402


def main() -> None:
    model_dir = tiny.build_tiny("/tmp/tiny_uns")
    model, tokenizer = rku.load_model(str(model_dir), max_seq_length=512, lora_rank=8)
    Trainer, Config = rku.grpo_trainer_class(), rku.grpo_config_class()
    print("trainer class:", Trainer.__name__, "config class:", Config.__name__)
    funcs = to_trl(
        ["0.5*xml_format(mode=strict)", "0.5*xml_count", "0.5*int_answer", "2*number_match"]
    )
    cfg = Config(
        output_dir="/tmp/uns_out",
        per_device_train_batch_size=8,
        num_generations=4,
        max_completion_length=64,
        max_steps=3,
        logging_steps=1,
        learning_rate=5e-6,
        bf16=True,
        report_to="none",
        save_strategy="no",
        reward_weights=reward_weights(funcs),
    )
    trainer = Trainer(
        model=model,
        processing_class=tokenizer,
        reward_funcs=funcs,
        args=cfg,
        train_dataset=tiny.conversational_dataset(64),
    )
    print("trainer instance:", type(trainer).__name__)
    trainer.train()
    hist = [h for h in trainer.state.log_history if "reward" in h]
    keys = sorted(k for k in hist[-1] if k.startswith(("rewards/", "rewardkit/")))
    print("steps logged:", len(hist))
    for k in keys:
        print(f"  {k} = {hist[-1][k]}")
    funcs[0].close()
    out = os.environ.get("OUT")
    if out:
        Path(out, "unsloth_step.json").write_text(json.dumps(hist, indent=2, default=str))


if __name__ == "__main__":
    main()
