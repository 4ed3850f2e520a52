"""musique-unsloth: multi-hop QA GRPO with Unsloth (seed 004).

    python train.py train --model Qwen/Qwen2.5-7B-Instruct --batch-size 8 \\
        --num-generations 8 --learning-rate 1e-5 --max-steps 100
    rewardkit recipe run musique-unsloth --dataset musique_ans_v1.0_train.jsonl

LoRA is applied by ``FastLanguageModel.get_peft_model`` (alpha = 2 x rank,
``use_gradient_checkpointing="unsloth"``) and the trainer gets ``peft_config=None``
so it does not wrap the model twice. Rewards are SQuAD-style ``exact_match`` and
token ``f1`` against the answer and its aliases, plus a ``<think>/<answer>`` format
term (``tag_count``).
"""

from __future__ import annotations

import argparse
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


def _seed_flags(parser: argparse.ArgumentParser) -> None:
    """The seed script's command line (``train`` is accepted and ignored)."""
    parser.add_argument("command", nargs="?", choices=["train"], default="train")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--num-generations", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--max-steps", type=int)
    parser.add_argument("--lora-rank", type=int)
    # The seed's documented flags: alpha (the seed doubles it internally: the value given
    # is the alpha before doubling, i.e. the effective alpha is 2x), bf16, Unsloth's
    # gradient checkpointing, and the prompt-length cap (prompts over it are dropped).
    parser.add_argument("--lora-alpha", type=int)
    parser.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument(
        "--gradient-checkpointing", action=argparse.BooleanOptionalAction, default=None
    )
    parser.add_argument("--max-prompt-length", type=int)
    parser.add_argument("--max-completion-length", type=int)


def _seed_sets(args: argparse.Namespace) -> list[str]:
    pairs = {
        "grpo.per_device_train_batch_size": args.batch_size,
        "grpo.num_generations": args.num_generations,
        "grpo.learning_rate": args.learning_rate,
        "grpo.max_steps": args.max_steps,
        "lora_rank": args.lora_rank,
        "unsloth_peft.lora_alpha": None if args.lora_alpha is None else 2 * args.lora_alpha,
        "grpo.bf16": None if args.bf16 is None else str(args.bf16).lower(),
        "unsloth_peft.use_gradient_checkpointing": (
            None
            if args.gradient_checkpointing is None
            else ("unsloth" if args.gradient_checkpointing else "false")
        ),
        "grpo.max_prompt_length": args.max_prompt_length,
        "grpo.max_completion_length": args.max_completion_length,
    }
    return [f"{k}={v}" for k, v in pairs.items() if v is not None]


def format_row(row: Mapping[str, Any], cfg: Mapping[str, Any]) -> dict[str, Any] | None:
    """MuSiQue row → chat prompt with the paragraphs, plus ``answer``/``answer_aliases``."""
    if cfg.get("answerable_only", True) and row.get("answerable") is False:
        return None
    question, answer = row.get("question"), row.get("answer")
    if not question or not answer:
        return None
    paras = list(row.get("paragraphs") or [])[: int(cfg.get("max_paragraphs", 20))]
    context = "\n\n".join(
        f"[{p.get('idx', i)}] {p.get('title', '')}\n{p.get('paragraph_text', '')}"
        for i, p in enumerate(paras)
    )
    user = f"{context}\n\nQuestion: {question}" if context else f"Question: {question}"
    return {
        "prompt": [
            {"role": "system", "content": str(cfg.get("system_prompt", ""))},
            {"role": "user", "content": user},
        ],
        "answer": str(answer),
        "answer_aliases": [str(a) for a in row.get("answer_aliases") or []],
    }


def _resolved_peft(cfg: Mapping[str, Any]) -> dict[str, Any]:
    peft = dict(cfg["unsloth_peft"])
    peft["r"] = int(cfg.get("lora_rank") or peft.get("r", 16))
    if not peft.get("lora_alpha"):
        peft["lora_alpha"] = 2 * peft["r"]  # the seed: "LoRA alpha automatically doubled"
    return peft


def trainer_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Model loading, LoRA and GRPOConfig arguments as the run will use them."""
    grpo = rt.grpo_with_weights(cfg)
    load = dict(cfg["unsloth_model"])
    load["max_lora_rank"] = max(int(load.get("max_lora_rank", 0)), _resolved_peft(cfg)["r"])
    return {
        "FastLanguageModel.from_pretrained": {"model_name": cfg["model"], **load},
        "FastLanguageModel.get_peft_model": _resolved_peft(cfg),
        "GRPOTrainer": {"peft_config": None},
        "GRPOConfig": grpo,
        "rewards": {r["name"]: r["formula"] for r in cfg["rewards"]},
    }


def validate(cfg: Mapping[str, Any], tc: Mapping[str, Any]) -> list[str]:
    """GRPOConfig fields and batch shapes."""
    problems = rt.validate_grpo(tc["GRPOConfig"])
    problems += rt.grpo_field_problems(cfg, extra=["reward_weights"])
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    args, cfg = rt.parse_train_args(
        HERE,
        argv,
        description=__doc__.splitlines()[0],
        add_arguments=_seed_flags,
        to_sets=_seed_sets,
    )
    if not args.dry_run:
        rt.import_unsloth_first()
    spec = rt.load_spec(cfg.get("_recipe_dir") or HERE)
    tc = trainer_config(cfg)
    problems = validate(cfg, tc)
    code = rt.plan_exit(args, spec, cfg, tc, problems)
    if code is not None:
        return code
    eval_rows, train_rows = rt.load_split(cfg, format_row)
    run_cfg = {
        **cfg,
        "unsloth_peft": tc["FastLanguageModel.get_peft_model"],
        "unsloth_model": {
            k: v for k, v in tc["FastLanguageModel.from_pretrained"].items() if k != "model_name"
        },
    }
    rt.run_unsloth_grpo(run_cfg, train_rows, eval_rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
