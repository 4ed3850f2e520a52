"""GRPOConfig arguments from the config, translated and validated.

Part of the recipes runtime (see ``_runtime.py``): importable as
``rewardkit.recipes._rt_grpo`` and, in an exported recipe folder, as a sibling module.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

if __package__:
    from ._rt_config import ConfigError
else:  # an exported recipe folder: the runtime modules are top-level siblings
    from _rt_config import ConfigError


def grpo_kwargs(
    cfg: Mapping[str, Any], *, known_fields: Iterable[str] | None = None
) -> dict[str, Any]:
    """``GRPOConfig`` keyword arguments from ``cfg['grpo']`` plus the recipe-wide switches.

    Applies ``output_dir``, ``report_to``, ``device: cpu`` (``use_cpu``, no fp16/bf16),
    ``precision: fp16|bf16|fp32``; translates the removed keys in
    :data:`REMOVED_GRPO_KEYS`; and, given ``known_fields``, rejects keys
    ``GRPOConfig`` does not have *before* a model is loaded.
    """
    kw = dict(cfg.get("grpo") or {})
    kw.setdefault("output_dir", str(cfg.get("output_dir", "outputs")))
    kw["output_dir"] = str(cfg.get("output_dir", kw["output_dir"]))
    if cfg.get("report_to") is not None:
        rep = cfg["report_to"]
        kw["report_to"] = rep.split(",") if isinstance(rep, str) and "," in rep else rep
    precision = str(cfg.get("precision", "auto"))
    if precision == "fp16":
        kw.update(fp16=True, bf16=False)
    elif precision == "bf16":
        kw.update(fp16=False, bf16=True)
    elif precision == "fp32":
        kw.update(fp16=False, bf16=False)
    if str(cfg.get("device", "cuda")) == "cpu":
        kw.update(use_cpu=True, fp16=False, bf16=False)
        kw.pop("deepspeed", None)
    if "warmup_ratio" in kw:
        ratio = kw.pop("warmup_ratio")
        kw.setdefault("warmup_steps", float(ratio) if ratio else 0)
    kw.pop("max_prompt_length", None)
    if kw.get("deepspeed") and not os.path.isabs(str(kw["deepspeed"])):
        kw["deepspeed"] = str(Path(str(cfg.get("_recipe_dir", "."))) / str(kw["deepspeed"]))
    if known_fields is not None:
        known = set(known_fields)
        unknown = sorted(k for k in kw if k not in known)
        if unknown:
            import difflib

            hints = [
                f"{k} (did you mean {', '.join(difflib.get_close_matches(k, known, n=2))}?)"
                if difflib.get_close_matches(k, known, n=2)
                else k
                for k in unknown
            ]
            raise ConfigError("GRPOConfig has no field(s): " + "; ".join(hints))
    return kw


def grpo_with_weights(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`grpo_kwargs` plus ``reward_weights`` from each ``cfg['rewards']`` entry."""
    grpo = grpo_kwargs(cfg)
    grpo["reward_weights"] = [float(r.get("weight", 1.0)) for r in cfg.get("rewards") or []]
    return grpo


def grpo_field_problems(cfg: Mapping[str, Any], extra: Iterable[str] = ()) -> list[str]:
    """The unknown-``GRPOConfig``-field problem, if any (none when TRL is not installed).

    ``extra`` names keys the recipe adds itself (``reward_weights``) that count as known.
    """
    fields = grpo_fields()
    if fields is None:
        return []
    try:
        grpo_kwargs(cfg, known_fields=[*fields, *extra])
    except ConfigError as exc:
        return [str(exc)]
    return []


def grpo_fields() -> list[str] | None:
    """Field names of the installed ``trl.GRPOConfig`` (None when TRL is not installed)."""
    import dataclasses

    try:
        from trl import GRPOConfig
    except Exception:
        return None
    return [f.name for f in dataclasses.fields(GRPOConfig)]


def validate_grpo(kw: Mapping[str, Any]) -> list[str]:
    """Cheap GRPO consistency checks TRL would otherwise raise after loading the model."""
    problems = []
    gens = int(kw.get("num_generations", 8))
    if gens < 2:
        problems.append(
            f"num_generations={gens}: GRPO needs >= 2 completions per prompt (the advantage is "
            "reward minus the group mean, always 0 for a group of one)"
        )
    steps = int(kw.get("steps_per_generation") or kw.get("gradient_accumulation_steps", 1))
    batch = int(kw.get("generation_batch_size") or kw.get("per_device_train_batch_size", 8) * steps)
    if gens >= 2 and batch % gens:
        problems.append(
            f"generation batch {batch} (per_device_train_batch_size x gradient_accumulation_steps "
            f"x GPUs) is not divisible by num_generations={gens}"
        )
    return problems
