"""Rewards and dataset transforms for the code-axolotl-vllm recipe, as Axolotl dotted paths.

This file is copied next to the generated Axolotl YAML and imported as a
*top-level* module because Axolotl resolves a dataset ``type:`` only as exactly
``module.factory`` (two parts; ``rewardkit.recipes....`` would silently fail with
"Failed to load dataset transform function"). The launch scripts run from that
folder with ``PYTHONPATH=.``.

    datasets: [{path: data.jsonl, type: rk_code_axolotl.instruction_response}]
    trl: {reward_funcs: [rk_code_axolotl.format, rk_code_axolotl.code_tests]}
"""

from __future__ import annotations

from typing import Any

from rewardkit.trainers.axolotl import for_axolotl

SYSTEM_PROMPT = (
    "Think inside <reasoning>...</reasoning>, then put the complete Python solution in a "
    "```python fenced block inside <answer>...</answer>."
)

# Lenient <reasoning>/<answer> format + the code run against the row's tests in rewardkit's
# sandbox (rows without tests are not applicable: None, left out of the mean).
globals().update(for_axolotl({"format": "xml_format", "code_tests": "code_tests"}))


def _prompt(text: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": text}]


def _factory(question: str, answer: str, tests: str | None) -> Any:
    def transform(example: dict[str, Any], tokenizer: Any = None) -> dict[str, Any]:
        out: dict[str, Any] = {"prompt": _prompt(str(example[question]))}
        out["reference"] = str(example.get(answer) or "")
        value = example.get(tests) if tests else None
        out["tests"] = list(value) if value else None
        return out

    def factory(cfg: Any = None, *args: Any, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        return transform, {"remove_columns": "__all__"}

    return factory


#: {"instruction": ..., "response": ...}
instruction_response = _factory("instruction", "response", None)
#: {"input": ..., "output": ...}
input_output = _factory("input", "output", None)
#: {"instruction": ..., "response": ..., "test_cases": ["assert ...", ...]}
instruction_response_with_tests = _factory("instruction", "response", "test_cases")
