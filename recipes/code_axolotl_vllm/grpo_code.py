"""The seed's ``grpo_code`` module names, so its Axolotl YAML works unchanged.

Seed 002's configs say::

    datasets: [{path: ./your_dataset.jsonl, type: grpo_code.instruction_response_transform}]
    trl:
      reward_funcs:
        - grpo_code.soft_format_reward_func      # syntax and format checking
        - grpo_code.code_execution_reward_func   # execution and correctness

This top-level module (copied next to the generated YAML, like ``rk_code_axolotl.py``)
provides exactly those paths: two-part names, which both Axolotl 0.8 (it imports the part
before the last dot as a top-level module) and current Axolotl resolve. The rewards are the
recipe's compat set (``rewardkit.recipes.code_axolotl_vllm.compat``: the seed package's
behaviour, run in rewardkit's sandbox), served through rewardkit's TRL adapter (timeouts,
typed outcomes). The transforms cover every dataset format the seed shows; a format of your
own is one line (``my_custom_transform = factory(my_record_fn)``), as the seed's
"Creating Custom Transforms" section describes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

import rk_code_axolotl as _rk

from rewardkit.trainers.axolotl import for_axolotl

#: The seed package's answer format: reasoning, then plain runnable code in <answer>
#: (``code_execution_reward_func`` runs the answer's text as it is, so no Markdown fences).
SYSTEM_PROMPT = (
    "Respond in the following format:\n<reasoning>\n...\n</reasoning>\n<answer>\n...\n"
    "</answer>\nInside <answer>, write only runnable Python code, without Markdown fences."
)

# a source checkout binds rewardkit.recipes on this import (an installed wheel has it anyway)
importlib.import_module("rewardkit.recipes_cli")
_COMPAT = "rewardkit.recipes.code_axolotl_vllm.compat"
globals().update(
    for_axolotl(
        {
            name: f"{_COMPAT}:{name}"
            for name in (
                "soft_format_reward_func",
                "code_execution_reward_func",
                "answer_execution_reward_func",
            )
        }
    )
)


def factory(
    record_fn: Callable[[Mapping[str, Any]], dict[str, Any]], system_prompt: str = SYSTEM_PROMPT
) -> Callable[..., tuple[Any, dict[str, Any]]]:
    """An Axolotl dataset type from a record function returning ``instruction``/``response``."""

    def transform(example: dict[str, Any], tokenizer: Any = None) -> dict[str, Any]:
        return _rk.to_grpo(record_fn(example), system_prompt)

    def make(cfg: Any = None, *args: Any, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        return transform, {"remove_columns": "__all__"}

    return make


instruction_response_transform = factory(_rk.instruction_response_record)
instruction_response_with_tests_transform = factory(_rk.instruction_response_record)
input_output_transform = factory(_rk.input_output_record)
problem_solution_transform = factory(_rk.problem_solution_record)
multi_turn_transform = factory(_rk.multi_turn_record)
