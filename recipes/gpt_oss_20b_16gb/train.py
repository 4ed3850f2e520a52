"""gpt-oss-20b-16gb: GRPO on gpt-oss-20b within 16 GB with Unsloth 4-bit + LoRA (seed 000).

    python train.py --test-configs                 # VRAM estimate per preset, loads nothing
    python train.py --preset conservative --dataset /path/to/your/dataset.json
    rewardkit recipe run gpt-oss-20b-16gb --preset standard

``--test-configs`` reads the model's ``config.json`` (hub id or local directory;
the bundled ``model_card`` when offline) and adds up, per preset: 4-bit weights
(experts and attention; the 16-bit LM head; the embedding offloaded to CPU as
Unsloth's notebook does), LoRA weights with their gradients and 8-bit Adam
states, checkpointed activations plus one layer's working set, the LM-head
logits of one micro-batch, the generation KV cache, and a fixed CUDA overhead.
It is an estimate for choosing a preset, not a guarantee.
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
GIB = 2**30
#: bitsandbytes NF4 with double quantisation: 4 bits + ~0.127 bits of block scales.
NF4_BITS = 4.127
CUDA_OVERHEAD_GIB = 1.0


def model_shape(cfg: Mapping[str, Any], spec: rt.RecipeSpec) -> tuple[dict[str, Any], str]:
    """The architecture numbers the estimate needs, and where they came from."""
    card = dict(spec.data.get("model_card") or {})
    try:
        from transformers import AutoConfig

        mc = AutoConfig.from_pretrained(str(cfg["model"]))
        text = getattr(mc, "text_config", None) or mc
        keys = (*card.keys(), "num_experts_per_tok", "num_local_experts", "head_dim")
        got = {k: getattr(text, k) for k in keys if getattr(text, k, None) is not None}
        return {**card, **got}, f"config of {cfg['model']}"
    except Exception as exc:  # offline, no cache, or transformers missing
        return card, f"bundled model_card ({type(exc).__name__}: could not read {cfg['model']})"


def estimate(shape: Mapping[str, Any], cfg: Mapping[str, Any]) -> dict[str, float]:
    """Estimated GPU memory (GiB) by component for one resolved config."""
    h, layers = int(shape["hidden_size"]), int(shape["num_hidden_layers"])
    heads, kv = int(shape["num_attention_heads"]), int(shape["num_key_value_heads"])
    hd = int(shape.get("head_dim") or h // heads)
    inter, vocab = int(shape["intermediate_size"]), int(shape["vocab_size"])
    experts = int(shape.get("num_local_experts") or 0)
    active = int(shape.get("num_experts_per_tok") or 1)
    attn = h * heads * hd * 2 + h * kv * hd * 2
    mlp = (experts or 1) * 3 * h * inter + experts * h
    quantised = layers * (attn + mlp)
    lm_head = vocab * h
    load = cfg["unsloth_model"]
    bits = NF4_BITS if load.get("load_in_4bit", True) else 16
    embed_on_gpu = 0 if load.get("offload_embedding") else vocab * h
    weights = quantised * bits / 8 + (lm_head + embed_on_gpu) * 2
    r = int(cfg.get("lora_rank") or cfg["unsloth_peft"]["r"])
    targets = set(cfg["unsloth_peft"].get("target_modules") or [])
    dims = {
        "q_proj": (h, heads * hd),
        "k_proj": (h, kv * hd),
        "v_proj": (h, kv * hd),
        "o_proj": (heads * hd, h),
        "gate_proj": (h, inter),
        "up_proj": (h, inter),
        "down_proj": (inter, h),
    }
    lora_params = layers * sum(r * (i + o) for t, (i, o) in dims.items() if t in targets)
    lora = lora_params * (2 + 4 + 2)  # bf16 weight, fp32 grad, 8-bit Adam (two 1-byte states)
    grpo = cfg["grpo"]
    gens = int(grpo.get("num_generations", 2))
    micro = max(int(grpo.get("per_device_train_batch_size", 1)), gens)  # Unsloth: >= gens
    seq = int(load.get("max_seq_length", 1024))
    checkpoints = layers * micro * seq * h * 2
    working = micro * seq * (h * 6 + heads * hd * 2 + active * inter * 3) * 2 * 2
    logits = micro * seq * vocab * 2  # Unsloth chunks the LM head; one bf16 pass is the bound
    kv_cache = gens * seq * layers * 2 * kv * hd * 2
    parts = {
        "weights": weights,
        "lora+optimizer": lora,
        "activations": checkpoints + working,
        "logits": logits,
        "generation_kv": kv_cache,
        "cuda_overhead": CUDA_OVERHEAD_GIB * GIB,
    }
    out = {k: v / GIB for k, v in parts.items()}
    out["total"] = sum(out.values())
    out["lora_params_m"] = lora_params / 1e6
    out["model_params_b"] = (quantised + lm_head + vocab * h) / 1e9
    return out


def test_configs(spec: rt.RecipeSpec, base: Mapping[str, Any]) -> int:
    """Print the estimate for every preset; exit 0 if at least one fits the budget."""
    budget = float(base.get("gpu_memory_gb", 16))
    shape, source = model_shape(base, spec)
    print(f"model {base['model']} ({source})")
    cols = ["weights", "lora+optimizer", "activations", "logits", "generation_kv", "cuda_overhead"]
    print(
        f"{'preset':<13}{'seq':>6}{'bs':>4}{'GA':>4}{'r':>4}{'gen':>5}"
        + "".join(f"{c[:10]:>11}" for c in cols)
        + f"{'total':>9}  fits {budget:g} GB?"
    )
    fitting = 0
    for name in spec.presets:
        cfg = rt.resolve_config(spec, preset=name, sets=[f"model={base['model']}"])
        est = estimate(shape, cfg)
        g = cfg["grpo"]
        ok = est["total"] <= budget
        fitting += ok
        print(
            f"{name:<13}{cfg['unsloth_model']['max_seq_length']:>6}"
            f"{g['per_device_train_batch_size']:>4}{g['gradient_accumulation_steps']:>4}"
            f"{cfg['lora_rank']:>4}{g['num_generations']:>5}"
            + "".join(f"{est[c]:>11.2f}" for c in cols)
            + f"{est['total']:>9.2f}  {'yes' if ok else 'NO'}"
        )
    print(f"(GiB; ~{est['model_params_b']:.1f}B parameters; estimates, not guarantees)")
    return 0 if fitting else 1


def format_row(row: Mapping[str, Any], cfg: Mapping[str, Any]) -> dict[str, Any] | None:
    """The seed's JSON format (prompt/answer/instruction/input), or GSM8K-style question/answer."""
    prompt = row.get("prompt") or row.get("question")
    answer = row.get("answer")
    if not prompt or answer is None:
        return None
    parts = [str(row.get("instruction") or "").strip(), str(prompt).strip()]
    if str(row.get("input") or "").strip():
        parts.append(str(row["input"]).strip())
    gold = str(answer).split("####")[-1].strip()
    return {
        "prompt": [
            {"role": "system", "content": str(cfg.get("system_prompt", ""))},
            {"role": "user", "content": "\n\n".join(p for p in parts if p)},
        ],
        "answer": gold,
    }


def _resolved(cfg: Mapping[str, Any]) -> dict[str, Any]:
    peft = dict(cfg["unsloth_peft"])
    peft["r"] = int(cfg.get("lora_rank") or peft["r"])
    peft["lora_alpha"] = 2 * peft["r"]
    return {**cfg, "unsloth_peft": peft}


def trainer_config(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Model loading, LoRA and GRPOConfig arguments as the run will use them."""
    run = _resolved(cfg)
    grpo = rt.grpo_with_weights(cfg)
    return {
        "FastLanguageModel.from_pretrained": {"model_name": cfg["model"], **cfg["unsloth_model"]},
        "FastLanguageModel.get_peft_model": run["unsloth_peft"],
        "GRPOConfig": grpo,
        "rewards": {r["name"]: r["formula"] for r in cfg["rewards"]},
    }


def validate(cfg: Mapping[str, Any], tc: Mapping[str, Any]) -> list[str]:
    """GRPOConfig fields and batch shapes (Unsloth raises the batch to num_generations)."""
    grpo = dict(tc["GRPOConfig"])
    gens = int(grpo.get("num_generations", 2))
    if int(grpo.get("per_device_train_batch_size", 1)) % max(gens, 1):
        grpo["per_device_train_batch_size"] = gens
    problems = rt.validate_grpo(grpo)
    problems += rt.grpo_field_problems(cfg, extra=["reward_weights"])
    return problems


def _flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--test-configs", action="store_true", help="estimate VRAM per preset and exit"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args, cfg = rt.parse_train_args(
        HERE, argv, description=__doc__.splitlines()[0], add_arguments=_flags
    )
    spec = rt.load_spec(cfg.get("_recipe_dir") or HERE)
    if args.test_configs:
        return test_configs(spec, cfg)
    if not args.dry_run:
        rt.import_unsloth_first()
    tc = trainer_config(cfg)
    problems = validate(cfg, tc)
    code = rt.plan_exit(args, spec, cfg, tc, problems)
    if code is not None:
        return code
    dataset = str(cfg["dataset"])
    if not Path(dataset).is_absolute() and (spec.dir / dataset).exists():
        dataset = str(spec.dir / dataset)
    eval_rows, train_rows = rt.load_split(cfg, format_row, dataset)
    rt.run_unsloth_grpo(_resolved(cfg), train_rows, eval_rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
