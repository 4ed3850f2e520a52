"""Unsloth: model loading, generation, accuracy and the GRPO run.

Part of the recipes runtime (see ``_runtime.py``): importable as
``rewardkit.recipes._rt_unsloth`` and, in an exported recipe folder, as a sibling module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

if __package__:
    from ._rt_data import drop_long_prompts, to_dataset
    from ._rt_grpo import grpo_with_weights
    from ._rt_metrics import MetricsHistory, finish, log, metrics_callback
    from ._rt_rewards import (
        RewardClock,
        build_reward_objects,
        build_trl_rewards,
        instrument_reward_time,
    )
else:  # an exported recipe folder: the runtime modules are top-level siblings
    from _rt_data import drop_long_prompts, to_dataset
    from _rt_grpo import grpo_with_weights
    from _rt_metrics import MetricsHistory, finish, log, metrics_callback
    from _rt_rewards import (
        RewardClock,
        build_reward_objects,
        build_trl_rewards,
        instrument_reward_time,
    )


def import_unsloth_first() -> None:
    """``import unsloth`` before anything imports trl/transformers/peft (anchors §2.1).

    Unsloth patches those libraries at import; validating a config reads
    ``trl.GRPOConfig``'s fields, so Unsloth recipes call this before validating
    (a dry run skips it: it costs ~30 s and needs a GPU stack).
    """
    from rewardkit.trainers.unsloth import import_unsloth

    import_unsloth()  # warns (UnslothImportOrderWarning) if trl/transformers/peft came first


def unsloth_model(cfg: Mapping[str, Any]) -> tuple[Any, Any]:
    """Load ``cfg['model']`` with Unsloth and apply its LoRA; returns ``(model, tokenizer)``.

    ``import unsloth`` happens here, first: Unsloth patches ``trl``,
    ``transformers`` and ``peft`` at import and must precede them (anchors §2.1),
    so recipe ``train.py`` files import nothing heavy before calling this.
    """
    import_unsloth_first()
    from unsloth import FastLanguageModel

    load = dict(cfg.get("unsloth_model") or {})
    if not load.get("fast_inference"):
        for key in ("gpu_memory_utilization", "max_lora_rank"):
            load.pop(key, None)
    model, tokenizer = FastLanguageModel.from_pretrained(model_name=str(cfg["model"]), **load)
    peft = dict(cfg.get("unsloth_peft") or {})
    model = FastLanguageModel.get_peft_model(model, **peft)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def generate_texts(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Any],
    *,
    max_new_tokens: int = 256,
    lora_request: Any = None,
) -> list[str]:
    """Greedy completions; through Unsloth's colocated vLLM when the model has one.

    ``fast_generate`` (vLLM) is what the seed notebook uses before/after training;
    without it (no vLLM, or a CPU/HF model) ``model.generate`` gives the same
    greedy answer more slowly.
    """
    texts = [
        tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True)
        if isinstance(p, list)
        else str(p)
        for p in prompts
    ]
    if getattr(model, "vllm_engine", None) is not None and hasattr(model, "fast_generate"):
        from vllm import SamplingParams

        params = SamplingParams(temperature=0.0, max_tokens=max_new_tokens)
        outs = model.fast_generate(texts, sampling_params=params, lora_request=lora_request)
        return [o.outputs[0].text for o in outs]
    import torch

    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    device = next(model.parameters()).device
    enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
    with torch.no_grad():
        out = model.generate(
            **enc,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
        )
    tokenizer.padding_side = side
    return list(
        tokenizer.batch_decode(out[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    )


def accuracy(
    model: Any,
    tokenizer: Any,
    rows: Sequence[Mapping[str, Any]],
    scorer: Any,
    *,
    max_new_tokens: int = 256,
    batch_size: int = 64,
    lora_request: Any = None,
) -> dict[str, Any]:
    """Greedy accuracy of ``scorer`` over ``rows`` (vLLM or HF generation, see generate_texts).

    Each score is divided by the top of the reward's declared range, so a weighted
    correctness reward such as ``2*number_match`` still yields a fraction in [0, 1] (and
    ``f1`` its mean); a reward without a declared positive top contributes its raw score.
    """
    top = (getattr(scorer, "range", None) or (None, None))[1]
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    scores: list[float] = []
    examples: list[dict[str, Any]] = []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        outs = generate_texts(
            model,
            tokenizer,
            [r["prompt"] for r in chunk],
            max_new_tokens=max_new_tokens,
            lora_request=lora_request,
        )
        for row, completion in zip(chunk, outs, strict=True):
            outcome = scorer.score({**row, "completion": completion})
            score = float(outcome.score or 0.0)
            scores.append(min(1.0, max(0.0, score / top)) if top and top > 0 else score)
            if len(examples) < 3:
                examples.append(
                    {"prompt": str(row["prompt"])[-160:], "completion": completion[:240]}
                )
    if was_training:
        model.train()
    n = len(scores)
    return {
        "n": n,
        "accuracy": round(sum(scores) / n, 4) if n else None,
        "examples": examples,
        # per held-out row, in order: paired tests (McNemar) compare before and after
        "scores": [round(x, 4) for x in scores],
    }


def run_unsloth_grpo(
    cfg: Mapping[str, Any],
    train_rows: list[dict[str, Any]],
    eval_rows: list[dict[str, Any]],
    *,
    samples: Sequence[Any] = (),
    tokenizer_filter: bool = True,
    loaded: tuple[Any, Any] | None = None,
) -> dict[str, Any]:
    """The Unsloth GRPO loop shared by the Unsloth recipes.

    Load with Unsloth (LoRA applied there, so ``peft_config=None`` goes to the
    trainer), build rewardkit rewards for TRL, train with the (Unsloth-patched)
    ``trl.GRPOTrainer`` looked up *after* ``import unsloth``, save the LoRA,
    reload it from disk and evaluate the reloaded adapter — so "after" measures
    what was saved, not what happens to be in memory.
    """
    # ``loaded``: a (model, tokenizer) the caller already loaded with unsloth_model(cfg)
    model, tokenizer = loaded if loaded is not None else unsloth_model(cfg)
    from rewardkit.trainers.unsloth import grpo_config_class, grpo_trainer_class

    grpo = grpo_with_weights(cfg)
    if tokenizer_filter:
        train_rows = drop_long_prompts(
            train_rows, tokenizer, (cfg.get("grpo") or {}).get("max_prompt_length")
        )
    train_ds = to_dataset(train_rows)
    reward_funcs, _ = build_trl_rewards(cfg, dataset=train_ds)
    scorers = {name: rw for name, rw, _ in build_reward_objects(cfg)}
    scorer = scorers.get(str(cfg.get("eval_reward", "correctness")))
    eval_kw = {"max_new_tokens": int(cfg.get("eval_max_new_tokens", 256))}
    before = (
        accuracy(model, tokenizer, eval_rows, scorer, **eval_kw) if eval_rows and scorer else None
    )
    if before:
        log(f"before training: accuracy {before['accuracy']} on {before['n']} held-out prompts")
    gen_kw = {"max_new_tokens": int(cfg.get("sample_max_new_tokens", 256))}
    samples_before = generate_texts(model, tokenizer, samples, **gen_kw) if samples else []
    for text in samples_before:
        log(f"sample before training: {text[:300]!r}")

    history, clock = MetricsHistory(), RewardClock()
    trainer = grpo_trainer_class()(
        model=model,
        processing_class=tokenizer,
        reward_funcs=reward_funcs,
        args=grpo_config_class()(**grpo),
        train_dataset=train_ds,
        peft_config=None,
        callbacks=[metrics_callback(history, clock)],
    )
    instrument_reward_time(trainer, clock)
    result = trainer.train()
    out = Path(str(cfg.get("output_dir", "outputs")))
    lora_dir = out / str(cfg.get("lora_dir", "grpo_saved_lora"))
    if hasattr(model, "save_lora"):
        model.save_lora(str(lora_dir))
    else:
        model.save_pretrained(str(lora_dir))
    tokenizer.save_pretrained(str(lora_dir))
    log(f"saved LoRA to {lora_dir}")

    after, samples_after = None, []
    if (eval_rows and scorer) or samples:
        lora_request = None
        if getattr(model, "vllm_engine", None) is not None and hasattr(model, "load_lora"):
            lora_request = model.load_lora(str(lora_dir))
        else:  # reload the adapter from disk into the PEFT model and evaluate that copy
            model.load_adapter(str(lora_dir), adapter_name="reloaded")
            model.set_adapter("reloaded")
        if samples:
            samples_after = generate_texts(
                model, tokenizer, samples, lora_request=lora_request, **gen_kw
            )
            for text in samples_after:
                log(f"sample after training (reloaded LoRA): {text[:300]!r}")
        if eval_rows and scorer:
            after = accuracy(
                model, tokenizer, eval_rows, scorer, lora_request=lora_request, **eval_kw
            )
            log(f"after training (LoRA reloaded from disk): accuracy {after['accuracy']}")
    return finish(
        cfg,
        history,
        clock,
        result.metrics,
        extra={
            "eval_before": before,
            "eval_after": after,
            "samples_before": samples_before,
            "samples_after": samples_after,
            "lora_dir": str(lora_dir),
        },
    )
