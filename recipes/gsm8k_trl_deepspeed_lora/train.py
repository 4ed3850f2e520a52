"""gsm8k-trl-deepspeed-lora: TRL GRPOTrainer + peft LoRA + DeepSpeed ZeRO-2 (seed 001).

Run it through ``rewardkit recipe run gsm8k-trl-deepspeed-lora`` or directly::

    deepspeed --num_gpus=2 train.py --preset zero2-offload
    python train.py --preset cpu-smoke --model ./tiny --dataset data/sample.jsonl

The seed's two hand-written rewards become one formula over built-ins,
``0.7*think_format + 0.3*unique_chars``, and a correctness reward
(``number_match`` against the GSM8K ``#### N`` answer) is added because a model
paid only for tags and character variety learns tags and variety. DeepSpeed is
configured by ``GRPOConfig(deepspeed=...)`` (``GRPOTrainer`` has no such argument:
the seed's TypeError).
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


def gold_answer(text: Any) -> str:
    """The final answer of a GSM8K solution (after ``####``), else the text itself."""
    s = str(text)
    return s.split("####")[-1].strip().replace(",", "") if "####" in s else s.strip()


def format_row(row: Mapping[str, Any], cfg: Mapping[str, Any]) -> dict[str, Any] | None:
    """A dataset row → ``prompt`` (+ ``answer``) in the seed's ``Question: ...`` format."""
    question = row.get(cfg.get("question_field", "question")) or row.get("prompt")
    answer = row.get(cfg.get("answer_field", "answer"))
    if not question or answer is None:
        return None
    text = str(cfg.get("prompt_template", "Question: {question}\n")).format(question=question)
    prompt: Any = [{"role": "user", "content": text}] if cfg.get("chat") else text
    return {"prompt": prompt, "answer": gold_answer(answer)}


def trainer_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the trainer will be built with, resolved without importing torch."""
    grpo = rt.grpo_with_weights(cfg)
    lora = dict(cfg.get("lora") or {})
    enabled = lora.pop("enabled", True)
    return {
        "model": cfg["model"],
        "model_dtype": cfg.get("model_dtype", "auto"),
        "dataset": cfg["dataset"],
        "grpo": grpo,
        "lora": lora if enabled else None,
        "rewards": {r["name"]: r["formula"] for r in cfg.get("rewards") or []},
    }


def validate(cfg: Mapping[str, Any], tc: Mapping[str, Any]) -> list[str]:
    """Problems TRL or DeepSpeed would otherwise report after the model is loaded."""
    problems = rt.validate_grpo(tc["grpo"])
    problems += rt.grpo_field_problems(cfg)
    ds = tc["grpo"].get("deepspeed")
    if ds and not Path(ds).is_file():
        problems.append(f"DeepSpeed config {ds} does not exist")
    if cfg.get("launcher") == "deepspeed" and cfg.get("device") == "cpu":
        problems.append("launcher deepspeed needs GPUs; use --set launcher=python with device=cpu")
    if ds and cfg.get("device") == "cpu":
        problems.append("DeepSpeed is set but device is cpu")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    args, cfg = rt.parse_train_args(HERE, argv, description=__doc__.splitlines()[0])
    spec = rt.load_spec(cfg.get("_recipe_dir") or HERE)
    tc = trainer_config(cfg)
    problems = validate(cfg, tc)
    code = rt.plan_exit(args, spec, cfg, tc, problems)
    if code is not None:
        return code

    import torch
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    rt.log(f"model {cfg['model']}  dataset {cfg['dataset']}")
    tokenizer = AutoTokenizer.from_pretrained(cfg["model"])
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    eval_rows, train_rows = rt.load_split(cfg, format_row)
    rt.log(f"{len(train_rows)} training prompts, {len(eval_rows)} held out for evaluation")

    dtype = tc["model_dtype"]
    model = AutoModelForCausalLM.from_pretrained(
        cfg["model"], dtype=dtype if dtype == "auto" else getattr(torch, dtype)
    )
    train_ds = rt.to_dataset(train_rows)
    reward_funcs, _weights = rt.build_trl_rewards(cfg, dataset=train_ds)
    scorers = {name: rw for name, rw, _ in rt.build_reward_objects(cfg)}
    scorer = scorers.get(str(cfg.get("eval_reward", "correctness")))
    eval_kw = {"max_new_tokens": int(cfg.get("eval_max_new_tokens", 256))}

    before = None
    if eval_rows and scorer is not None:
        if torch.cuda.is_available() and cfg.get("device") != "cpu":
            model.to("cuda")
        before = rt.accuracy(model, tokenizer, eval_rows, scorer, **eval_kw)
        rt.log(f"before training: accuracy {before['accuracy']} on {before['n']} held-out prompts")

    history, clock = rt.MetricsHistory(), rt.RewardClock()
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=reward_funcs,
        args=GRPOConfig(**tc["grpo"]),
        train_dataset=train_ds,
        processing_class=tokenizer,
        peft_config=LoraConfig(**tc["lora"]) if tc["lora"] else None,
        callbacks=[rt.metrics_callback(history, clock)],
    )
    rt.instrument_reward_time(trainer, clock)
    result = trainer.train()
    out = Path(str(cfg["output_dir"]))
    trainer.save_model(str(out))
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(str(out))
    after = None
    if eval_rows and scorer is not None and trainer.is_world_process_zero():
        after = rt.accuracy(trainer.model, tokenizer, eval_rows, scorer, **eval_kw)
        rt.log(f"after training: accuracy {after['accuracy']} on {after['n']} held-out prompts")
    rt.finish(
        cfg,
        history,
        clock,
        result.metrics,
        extra={"eval_before": before, "eval_after": after, "saved_to": str(out)},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
