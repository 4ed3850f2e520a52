"""Dataset transforms and improved rewards for the code-axolotl-vllm recipe (Axolotl paths).

This file is copied next to the generated Axolotl YAML and imported as a
*top-level* module because Axolotl resolves a dataset ``type:`` only as exactly
``module.factory`` (two parts; ``rewardkit.recipes....`` would silently fail with
"Failed to load dataset transform function"). The launch scripts run from that
folder with ``PYTHONPATH=.``. ``grpo_code.py`` (the seed's names and reward functions)
builds on the record transforms here.

    datasets: [{path: data.jsonl, type: rk_code_axolotl.instruction_response}]
    trl: {reward_funcs: [rk_code_axolotl.format, rk_code_axolotl.code_tests]}

Record transforms map each of the seed's dataset formats to ``instruction``/``response``
(plus ``test_cases``, ``difficulty`` and a conversation ``history`` where the format has them),
the shape the seed's "transform your custom format to GRPO format" step produces:

* ``instruction_response``: ``{"instruction", "response"}`` (optional ``test_cases``);
* ``input_output``: ``{"input", "output"}``;
* ``problem_solution``: ``{"problem", "solution", "difficulty"}``;
* ``multi_turn``: ``{"instruction", "response", "follow_up", "follow_up_response"}`` — the
  prompt is the first exchange plus the follow-up; the reference is the follow-up's response.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rewardkit.trainers.axolotl import for_axolotl

#: The improved set's prompt: code in a fenced block (what ``code_tests`` extracts).
SYSTEM_PROMPT = (
    "Think inside <reasoning>...</reasoning>, then put the complete Python solution in a "
    "```python fenced block inside <answer>...</answer>."
)

# Lenient <reasoning>/<answer> format + the code run against the row's tests in rewardkit's
# sandbox (rows without tests are not applicable: None, left out of the mean).
globals().update(for_axolotl({"format": "xml_format", "code_tests": "code_tests"}))

Record = dict[str, Any]


def _tests(sample: Mapping[str, Any]) -> list[str] | None:
    value = sample.get("test_cases")
    return [str(t) for t in value] if value else None


def instruction_response_record(sample: Mapping[str, Any]) -> Record:
    """``{"instruction", "response"[, "test_cases"]}`` → itself, normalised."""
    return {
        "instruction": str(sample["instruction"]),
        "response": str(sample.get("response") or ""),
        "test_cases": _tests(sample),
    }


def input_output_record(sample: Mapping[str, Any]) -> Record:
    """``{"input", "output"}`` → instruction/response."""
    return {
        "instruction": str(sample["input"]),
        "response": str(sample.get("output") or ""),
        "test_cases": _tests(sample),
    }


def problem_solution_record(sample: Mapping[str, Any]) -> Record:
    """``{"problem", "solution", "difficulty"}`` → instruction/response, difficulty kept."""
    return {
        "instruction": str(sample["problem"]),
        "response": str(sample.get("solution") or ""),
        "test_cases": _tests(sample),
        "difficulty": None if sample.get("difficulty") is None else str(sample["difficulty"]),
    }


def multi_turn_record(sample: Mapping[str, Any]) -> Record:
    """The first exchange becomes history; the follow-up is the turn to answer."""
    out = instruction_response_record(sample)
    follow = sample.get("follow_up")
    if follow:
        out["history"] = [
            {"role": "user", "content": out["instruction"]},
            {"role": "assistant", "content": out["response"]},
        ]
        out["instruction"] = str(follow)
        out["response"] = str(sample.get("follow_up_response") or "")
    else:
        out["history"] = []
    return out


RECORDS: dict[str, Callable[[Mapping[str, Any]], Record]] = {
    "instruction_response": instruction_response_record,
    "instruction_response_with_tests": instruction_response_record,
    "input_output": input_output_record,
    "problem_solution": problem_solution_record,
    "multi_turn": multi_turn_record,
}


def to_grpo(record: Mapping[str, Any], system_prompt: str) -> Record:
    """A normalised record → the columns the GRPO trainer and the rewards read.

    ``prompt`` (chat messages), ``reference`` (the dataset's solution), ``tests`` (the
    row's asserts, for ``code_tests``; ``None`` when there are none) and ``answers`` (the
    same asserts under the seed package's column name, ``[]`` when none).
    """
    messages = [{"role": "system", "content": system_prompt}]
    messages += list(record.get("history") or [])
    messages.append({"role": "user", "content": str(record["instruction"])})
    tests = record.get("test_cases")
    out: Record = {
        "prompt": messages,
        "reference": str(record.get("response") or ""),
        "tests": list(tests) if tests else None,
        "answers": list(tests) if tests else [],
    }
    if "difficulty" in record:
        out["difficulty"] = record["difficulty"]
    return out


def factory_for(fmt: str, system_prompt: str) -> Callable[..., tuple[Any, dict[str, Any]]]:
    """An Axolotl dataset-transform factory: ``factory(cfg) -> (transform, kwargs)``."""
    record_of = RECORDS[fmt]

    def transform(example: dict[str, Any], tokenizer: Any = None) -> dict[str, Any]:
        return to_grpo(record_of(example), system_prompt)

    def factory(cfg: Any = None, *args: Any, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        return transform, {"remove_columns": "__all__"}

    factory.__name__ = fmt
    return factory


instruction_response = factory_for("instruction_response", SYSTEM_PROMPT)
input_output = factory_for("input_output", SYSTEM_PROMPT)
instruction_response_with_tests = factory_for("instruction_response_with_tests", SYSTEM_PROMPT)
problem_solution = factory_for("problem_solution", SYSTEM_PROMPT)
multi_turn = factory_for("multi_turn", SYSTEM_PROMPT)
