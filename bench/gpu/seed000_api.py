"""GPU: seed 000's Python API end to end — ``GPT20BGRPOConfig``, ``UnslothGRPODataset``,
``UnslothGRPOTrainer(config).train(dataset)`` — on a tiny local Qwen2 with the seed's 4-bit
weights + LoRA (bitsandbytes), as the document's "Example Usage" writes it.

The offline machine cannot download gpt-oss-20b, so the model is the tiny addition model
``bench/gpu/recipes_tiny_prep.py`` builds; the point is that the document's classes drive
a real Unsloth GRPO run (steps, rewardkit rewards, LoRA saved, reloaded from disk and
evaluated), not the 20B's accuracy. If 4-bit loading fails on this model the run is
repeated in 16-bit and both outcomes are reported.

    OUT=/tmp/out python3 bench/gpu/seed000_api.py --model /tmp/tiny/unsloth --data /tmp/tiny/add.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def run(model: str, data: str, steps: int, four_bit: bool) -> dict[str, Any]:
    from recipes.gpt_oss_20b_16gb.config_20b import GPT20BGRPOConfig
    from recipes.gpt_oss_20b_16gb.grpo_unsloth_trainer import (
        UnslothGRPODataset,
        UnslothGRPOTrainer,
    )

    config = GPT20BGRPOConfig(
        preset="conservative",
        model=model,
        dataset=data,
        overrides={
            "unsloth_model.load_in_4bit": four_bit,
            "unsloth_model.offload_embedding": False,
            "unsloth_model.max_seq_length": 256,
            "grpo.max_steps": steps,
            "grpo.per_device_train_batch_size": 8,
            "grpo.gradient_accumulation_steps": 1,
            "grpo.num_generations": 8,
            "grpo.max_completion_length": 48,
            "grpo.learning_rate": 3e-4,
            "grpo.optim": "adamw_torch",
            "grpo.save_steps": 1000,
            "report_to": "none",
            "output_dir": f"/tmp/run000_{'4bit' if four_bit else '16bit'}",
            "eval_max_new_tokens": 32,
        },
    )
    t = time.perf_counter()
    trainer = UnslothGRPOTrainer(config)
    rows = [json.loads(line) for line in Path(data).read_text().splitlines() if line.strip()]
    Path("/tmp/train000.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:-128]))
    Path("/tmp/eval000.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[-128:]))
    train = UnslothGRPODataset("/tmp/train000.jsonl", trainer.tokenizer, config)
    held = UnslothGRPODataset("/tmp/eval000.jsonl", trainer.tokenizer, config)
    summary = trainer.train(train, eval_dataset=held)
    keep = (
        "eval_before",
        "eval_after",
        "lora_dir",
        "steps",
        "reward_mean_first",
        "reward_mean_last",
    )
    out = {k: summary.get(k) for k in keep if k in summary}
    out.update(
        {
            "four_bit": four_bit,
            "seconds": round(time.perf_counter() - t, 1),
            "train_rows": len(train),
            "summary_keys": sorted(summary)[:40],
            "model_class": type(trainer.model).__name__,
        }
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--steps", type=int, default=20)
    a = ap.parse_args()
    results: dict[str, Any] = {}
    for four_bit in (True, False):
        try:
            results["4bit" if four_bit else "16bit"] = run(a.model, a.data, a.steps, four_bit)
            if four_bit:
                break  # the seed's setting worked; no need for the fallback
        except Exception as exc:
            results["4bit" if four_bit else "16bit"] = {
                "error": f"{type(exc).__name__}: {exc}"[:800],
                "traceback": traceback.format_exc()[-2000:],
            }
    out = Path(os.environ.get("OUT", "/tmp/out"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "seed000_api.json").write_text(json.dumps(results, indent=1, default=str))
    print(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
