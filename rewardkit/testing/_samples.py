"""A small, hand-checked set of rows for the ``reward_rows`` fixture.

Each row is a shape that has broken a real reward: the answer in ``\\boxed{}``
or as a fraction, chat-message completions, a ``<think>`` block opened by the
chat template (so the completion only closes it), numbers with thousands
separators, an empty completion. ``correct`` says whether the completion's
final answer matches ``answer``, so tests can check a reward against it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["SAMPLE_ROWS", "load_rows", "sample_rows"]

SAMPLE_ROWS: tuple[dict[str, Any], ...] = (
    {
        "id": "boxed-decimal",
        "prompt": "What is 1/2 as a decimal?",
        "completion": "<think>1 divided by 2 is 0.5</think>\nThe answer is \\boxed{0.5}",
        "answer": "0.5",
        "correct": True,
    },
    {
        "id": "boxed-latex-fraction",
        "prompt": "What is 1/2 as a decimal?",
        "completion": "Half of one is \\boxed{\\frac{1}{2}}",
        "answer": "0.5",
        "correct": True,
    },
    {
        "id": "plain-final-number",
        "prompt": "What is 2 + 2?",
        "completion": "2 + 2 = 4, so the answer is 4",
        "answer": "4",
        "correct": True,
    },
    {
        "id": "thousands-separator",
        "prompt": "What is 1000 + 234?",
        "completion": "Adding them gives \\boxed{1,234}",
        "answer": "1234",
        "correct": True,
    },
    {
        "id": "xml-strict-layout",
        "prompt": "What is 2 + 2?",
        "completion": "<reasoning>\n2 + 2 = 4\n</reasoning>\n<answer>\n4\n</answer>\n",
        "answer": "4",
        "correct": True,
    },
    {
        "id": "chat-messages",
        "prompt": [{"role": "user", "content": "What is 2 + 2?"}],
        "completion": [{"role": "assistant", "content": "<answer>4</answer>"}],
        "answer": "4",
        "correct": True,
    },
    {
        "id": "prefilled-think",
        "prompt": "<|im_start|>user\nWhat is 3 * 3?<|im_end|>\n<|im_start|>assistant\n<think>\n",
        "completion": "3 times 3 is 9</think>\nThe answer is \\boxed{9}",
        "answer": "9",
        "correct": True,
    },
    {
        "id": "wrong-answer",
        "prompt": "What is 2 + 2?",
        "completion": "<think>2 + 2 = 5</think>\nThe answer is \\boxed{5}",
        "answer": "4",
        "correct": False,
    },
    {
        "id": "no-final-answer",
        "prompt": "What is 2 + 2?",
        "completion": "I am not sure how to add these numbers.",
        "answer": "4",
        "correct": False,
    },
    {
        "id": "never-left-thinking",
        "prompt": "What is 2 + 2?",
        "completion": "<think>2 + 2 is 4, so the answer is \\boxed{4} but let me check",
        "answer": "4",
        "correct": False,
    },
    {
        "id": "empty",
        "prompt": "What is 2 + 2?",
        "completion": "",
        "answer": "4",
        "correct": False,
    },
)


def sample_rows() -> list[dict[str, Any]]:
    """Fresh copies of :data:`SAMPLE_ROWS` (tests may mutate what they get)."""
    return json.loads(json.dumps(list(SAMPLE_ROWS)))  # type: ignore[no-any-return]


def load_rows(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSONL file of rows; errors name the file and line."""
    rows: list[dict[str, Any]] = []
    p = Path(path)
    with p.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{p}:{n}: not valid JSON ({exc})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{p}:{n}: expected a JSON object, got {type(row).__name__}")
            rows.append(row)
    return rows
