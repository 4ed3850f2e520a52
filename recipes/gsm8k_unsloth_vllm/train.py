"""gsm8k-unsloth-vllm: Unsloth + colocated vLLM GRPO on GSM8K (seed 003, Unsloth's notebook).

    python train.py                       # the notebook: Llama-3.1-8B 4-bit, vLLM, 250 steps
    python train.py --preset no-vllm      # same without vLLM (HF generation; slower)
    rewardkit recipe run gsm8k-unsloth-vllm --dataset my.jsonl --model ./my-model

The notebook's rewards map one to one onto built-ins: ``count_xml`` is
``0.5*xml_count``, the soft and strict format checks are ``xml_format`` in its two
modes, ``int_reward_func`` is ``int_answer`` and ``correctness_reward_func`` (exact
string match of the ``<answer>`` block) is ``number_match`` on the ``<answer>``
block, which also accepts ``1,000`` for ``1000``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

if __package__:
    from .. import _runtime as rt
else:  # run as a file: an exported folder (sibling _runtime.py) or the source tree
    _here = Path(__file__).resolve().parent
    sys.path[:0] = [str(p) for p in (_here, _here.parent) if (p / "_runtime.py").is_file()][:1]
    import _runtime as rt

HERE = Path(__file__).resolve().parent


def format_row(row: Mapping[str, Any], cfg: Mapping[str, Any]) -> dict[str, Any] | None:
    """GSM8K row → conversational prompt (system + user) and the ``#### N`` final answer."""
    question, answer = row.get("question") or row.get("prompt"), row.get("answer")
    if not question or answer is None:
        return None
    text = str(answer)
    gold = text.split("####")[-1].strip() if "####" in text else text.strip()
    prompt = [
        {"role": "system", "content": str(cfg.get("system_prompt", ""))},
        {"role": "user", "content": str(question)},
    ]
    return {"prompt": prompt, "answer": gold}


def trainer_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Model loading, LoRA and GRPOConfig arguments as the run will use them."""
    grpo = rt.grpo_with_weights(cfg)
    return {
        "FastLanguageModel.from_pretrained": {"model_name": cfg["model"], **cfg["unsloth_model"]},
        "FastLanguageModel.get_peft_model": dict(cfg["unsloth_peft"]),
        "GRPOConfig": grpo,
        "dropped_by_data_step": {"max_prompt_length": cfg["grpo"].get("max_prompt_length")},
        "rewards": {r["name"]: r["formula"] for r in cfg["rewards"]},
    }


def validate(cfg: Mapping[str, Any], tc: Mapping[str, Any]) -> list[str]:
    """GRPOConfig fields and shapes; Unsloth raises the batch to num_generations itself."""
    grpo = dict(tc["GRPOConfig"])
    gens = int(grpo.get("num_generations", 8))
    if int(grpo.get("per_device_train_batch_size", 1)) % gens:
        grpo["per_device_train_batch_size"] = gens  # what Unsloth's patched trainer does
    problems = rt.validate_grpo(grpo)
    problems += rt.grpo_field_problems(cfg, extra=["reward_weights"])
    um = cfg["unsloth_model"]
    if um.get("fast_inference") and int(um.get("max_lora_rank", 0)) < int(cfg["unsloth_peft"]["r"]):
        problems.append("unsloth_model.max_lora_rank must be >= unsloth_peft.r for vLLM LoRA")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    args, cfg = rt.parse_train_args(HERE, argv, description=__doc__.splitlines()[0])
    if not args.dry_run:
        rt.import_unsloth_first()
    spec = rt.load_spec(cfg.get("_recipe_dir") or HERE)
    tc = trainer_config(cfg)
    problems = validate(cfg, tc)
    code = rt.plan_exit(args, spec, cfg, tc, problems)
    if code is not None:
        return code
    eval_rows, train_rows = rt.load_split(cfg, format_row)
    rt.log(f"model {cfg['model']}: {len(train_rows)} training prompts, {len(eval_rows)} held out")
    samples = [
        [{"role": "system", "content": cfg["system_prompt"]}, {"role": "user", "content": q}]
        for q in cfg.get("sample_prompts") or []
    ]
    summary = rt.run_unsloth_grpo(cfg, train_rows, eval_rows, samples=samples)
    return 0 if summary is not None else 1


if __name__ == "__main__":
    raise SystemExit(main())
