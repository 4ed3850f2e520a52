"""Axolotl GRPO: reward functions by dotted path, dataset transforms, and a config generator.

Axolotl resolves the YAML's ``trl.reward_funcs`` entries and each dataset's
``type:`` by import path, with two different rules (anchors-trainers §3.2/§3.3):

* a reward function is ``any.dotted.module.attribute`` (``import_module`` of
  everything but the last part, then ``getattr``), and must take at least two
  parameters. A ``ModuleNotFoundError`` raised *while importing* it is taken to
  mean "this is a reward model id", which turns a missing optional dependency
  into a misleading "Reward function ... not found";
* a dataset transform must be exactly ``top_level_module.factory``: a nested
  path silently fails ("Failed to load dataset transform function").

This module provides:

* :func:`for_axolotl`: rewardkit rewards as module attributes with identifier
  names (``globals().update(for_axolotl([...]))`` in your own module);
  built-ins need nothing at all: ``rewardkit.trainers.axolotl_rewards.<name>``;
* :class:`PromptTransform`: a dataset-transform factory (question/answer
  columns, optional system prompt, GSM8K-style ``####`` answers);
* :func:`write_axolotl_config`: writes a GRPO YAML (vLLM layouts for 1, 2 and
  N GPUs) plus, when needed, a small top-level module beside it holding the
  configured rewards and the transform, and returns the launch commands;
* :func:`resolve_reward_func`, :func:`resolve_transform`, :func:`check_config`:
  Axolotl's two resolution rules re-implemented, with precise errors, so a
  config can be checked without installing Axolotl;
* :func:`axolotl_config_command`: the ``rewardkit axolotl-config`` command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._axolotl_attrs import BUILTIN_PATH, PromptTransform, for_axolotl
from ._axolotl_config import AxolotlConfig, write_axolotl_config
from ._axolotl_paths import (
    AxolotlResolutionError,
    check_config,
    resolve_reward_func,
    resolve_transform,
)
from .axolotl_rewards import RewardDependencyError

__all__ = [
    "BUILTIN_PATH",
    "AxolotlConfig",
    "AxolotlResolutionError",
    "PromptTransform",
    "RewardDependencyError",
    "axolotl_config_command",
    "check_config",
    "for_axolotl",
    "resolve_reward_func",
    "resolve_transform",
    "write_axolotl_config",
]


def axolotl_config_command(
    base_model: Annotated[str, typer.Option("--model", "-m", help="Base model id or path.")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset id or path.")],
    reward: Annotated[
        list[str],
        typer.Option(
            "--reward", "-r", help="Reward name, reference or formula (repeat for several)."
        ),
    ],
    weight: Annotated[
        list[float] | None,
        typer.Option("--weight", "-w", help="Weight per --reward, in order (default 1.0)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="YAML file to write.")] = Path(
        "grpo.yaml"
    ),
    gpus: Annotated[int, typer.Option(help="GPUs on the machine (vLLM + training).")] = 1,
    vllm_gpus: Annotated[
        int | None, typer.Option(help="GPUs for the vLLM server (default max(1, gpus // 4)).")
    ] = None,
    no_vllm: Annotated[bool, typer.Option("--no-vllm", help="Generate without vLLM.")] = False,
    dataset_name: Annotated[str | None, typer.Option(help="Dataset config name.")] = None,
    split: Annotated[str, typer.Option(help="Dataset split.")] = "train",
    question: Annotated[str, typer.Option(help="Question column.")] = "question",
    answer: Annotated[str, typer.Option(help="Gold-answer column.")] = "answer",
    answer_after: Annotated[
        str | None, typer.Option(help="Keep the answer after this marker (GSM8K: '####').")
    ] = None,
    system_prompt: Annotated[str | None, typer.Option(help="System prompt.")] = None,
    module: Annotated[str, typer.Option(help="Name of the generated module.")] = "rk_grpo",
    num_generations: Annotated[int, typer.Option(help="Completions per prompt.")] = 8,
    max_completion_length: Annotated[int, typer.Option(help="Max completion tokens.")] = 512,
    max_steps: Annotated[int, typer.Option(help="Training steps.")] = 200,
    no_lora: Annotated[bool, typer.Option("--no-lora", help="Full fine-tuning.")] = False,
) -> None:
    """Write an Axolotl GRPO config using rewardkit rewards, and print how to launch it."""
    written = write_axolotl_config(
        out,
        base_model=base_model,
        rewards=reward,
        weights=weight or None,
        dataset=dataset,
        dataset_name=dataset_name,
        split=split,
        question=question,
        answer=answer,
        answer_after=answer_after,
        system_prompt=system_prompt,
        gpus=gpus,
        vllm_gpus=vllm_gpus,
        use_vllm=not no_vllm,
        module=module,
        num_generations=num_generations,
        max_completion_length=max_completion_length,
        max_steps=max_steps,
        lora=not no_lora,
    )
    typer.echo(f"wrote {written.config_path}")
    if written.module_path is not None:
        typer.echo(f"wrote {written.module_path}")
    typer.echo("launch:")
    for c in written.commands:
        typer.echo(f"  {c}")


if __name__ == "__main__":  # pragma: no cover
    typer.run(axolotl_config_command)
