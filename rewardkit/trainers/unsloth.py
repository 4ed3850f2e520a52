"""Unsloth helpers: the same rewards in an Unsloth GRPO run.

Unsloth keeps TRL's reward contract, so the callables of
:func:`rewardkit.trainers.trl.to_trl` work unchanged. What differs is setup:

* ``import unsloth`` must come **before** ``trl``, ``transformers`` and
  ``peft``: at import it rewrites ``trl.GRPOTrainer`` into ``UnslothGRPOTrainer``
  and patches the model classes. Code that ran ``from trl import GRPOTrainer``
  earlier keeps the unpatched class. :func:`import_unsloth` imports it and
  warns (:class:`UnslothImportOrderWarning`) when those libraries came first;
* so the trainer class is looked up **at call time**
  (:func:`grpo_trainer_class`, :func:`grpo_config_class`), never at import;
* models load through ``FastLanguageModel.from_pretrained`` and
  ``get_peft_model`` (:func:`load_model`).

Example::

    from rewardkit.trainers import unsloth as rku     # imports nothing heavy
    model, tokenizer = rku.load_model("Qwen/Qwen2.5-0.5B-Instruct", lora_rank=16)
    GRPOTrainer, GRPOConfig = rku.grpo_trainer_class(), rku.grpo_config_class()
    trainer = GRPOTrainer(model=model, processing_class=tokenizer,
                          reward_funcs=to_trl(["xml_format", "exact_match"]), ...)
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import Any

__all__ = [
    "UnslothImportOrderWarning",
    "grpo_config_class",
    "grpo_trainer_class",
    "import_unsloth",
    "load_model",
]

#: Libraries Unsloth must be imported before.
PATCHED_LIBRARIES = ("trl", "transformers", "peft")
#: Default LoRA targets (the Unsloth GRPO notebooks').
DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class UnslothImportOrderWarning(UserWarning):
    """``trl``/``transformers``/``peft`` were imported before ``unsloth``."""


def imported_too_early() -> list[str]:
    """Which of trl, transformers, peft are imported while unsloth is not (yet)."""
    if "unsloth" in sys.modules:
        return []
    return [name for name in PATCHED_LIBRARIES if name in sys.modules]


def import_unsloth() -> ModuleType:
    """Import ``unsloth`` (once), warning if trl/transformers/peft were imported first.

    Raises:
        ImportError: unsloth is not installed (with the install hint).
    """
    early = imported_too_early()
    if early:
        warnings.warn(
            f"{', '.join(early)} imported before unsloth: Unsloth patches them at import, so "
            "a GRPOTrainer fetched earlier stays unpatched and some optimisations are lost. "
            "Import unsloth (or rewardkit.trainers.unsloth.import_unsloth()) first, before "
            "trl, transformers and peft.",
            UnslothImportOrderWarning,
            stacklevel=2,
        )
    try:
        return importlib.import_module("unsloth")
    except ModuleNotFoundError as exc:
        if exc.name != "unsloth":
            raise
        raise ImportError(
            "rewardkit.trainers.unsloth needs Unsloth: pip install unsloth "
            "(it pins its own trl/transformers; use a separate environment)"
        ) from exc


def grpo_trainer_class() -> type[Any]:
    """``trl.GRPOTrainer`` as it is now, i.e. Unsloth's patched class once unsloth is imported."""
    import_unsloth()
    trl = importlib.import_module("trl")
    cls: type[Any] = trl.GRPOTrainer
    return cls


def grpo_config_class() -> type[Any]:
    """``trl.GRPOConfig`` as it is now (Unsloth's subclass accepts ``vllm_sampling_params``)."""
    import_unsloth()
    trl = importlib.import_module("trl")
    cls: type[Any] = trl.GRPOConfig
    return cls


def load_model(
    model_name: str,
    *,
    max_seq_length: int = 1024,
    load_in_4bit: bool = False,
    fast_inference: bool = False,
    lora_rank: int | None = 16,
    lora_alpha: int | None = None,
    target_modules: Sequence[str] = DEFAULT_TARGETS,
    gpu_memory_utilization: float = 0.5,
    use_gradient_checkpointing: bool | str = "unsloth",
    random_state: int = 3407,
    **from_pretrained: Any,
) -> tuple[Any, Any]:
    """Load ``(model, tokenizer)`` with ``FastLanguageModel`` and add LoRA adapters.

    Args:
        model_name: hub id or local directory.
        max_seq_length / load_in_4bit / fast_inference / gpu_memory_utilization:
            passed to ``FastLanguageModel.from_pretrained`` (``fast_inference=True``
            needs vLLM; ``gpu_memory_utilization`` and ``max_lora_rank`` only apply then).
        lora_rank: LoRA rank for ``get_peft_model``; ``None`` for no adapters.
        lora_alpha: default ``lora_rank``.
        target_modules: LoRA target modules.
        from_pretrained: further ``from_pretrained`` keywords (``dtype``, ``token`` ...).
    """
    unsloth = import_unsloth()
    fast = unsloth.FastLanguageModel
    kwargs: dict[str, Any] = {
        "model_name": model_name,
        "max_seq_length": max_seq_length,
        "load_in_4bit": load_in_4bit,
        "fast_inference": fast_inference,
        **from_pretrained,
    }
    if fast_inference:
        kwargs.setdefault("gpu_memory_utilization", gpu_memory_utilization)
        if lora_rank is not None:
            kwargs.setdefault("max_lora_rank", lora_rank)
    model, tokenizer = fast.from_pretrained(**kwargs)
    if lora_rank is not None:
        model = fast.get_peft_model(
            model,
            r=lora_rank,
            target_modules=list(target_modules),
            lora_alpha=lora_alpha if lora_alpha is not None else lora_rank,
            use_gradient_checkpointing=use_gradient_checkpointing,
            random_state=random_state,
        )
    return model, tokenizer
