"""Check the dataset transforms on sample rows before training (the seed's
``python simple_test_transforms.py``), and optionally validate a dataset file.

    python simple_test_transforms.py                   # every format on a built-in sample
    python simple_test_transforms.py my_data.jsonl     # + that file: JSON, fields, syntax

Exit status 0 when every check passes, 1 otherwise (so it can gate a launch script).
Runs next to ``grpo_code.py``/``rk_code_axolotl.py`` (a recipe folder, an export or a run
directory); needs rewardkit, not Axolotl.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import grpo_code  # noqa: E402  (the folder above is on sys.path first)

SAMPLES: dict[str, dict[str, Any]] = {
    "instruction_response_transform": {
        "instruction": "Write a function to sort a list",
        "response": "def sort_list(lst):\n    return sorted(lst)",
    },
    "instruction_response_with_tests_transform": {
        "instruction": "Write a function to calculate the area of a circle",
        "response": "import math\n\ndef circle_area(radius):\n    return math.pi * radius ** 2",
        "test_cases": ["assert circle_area(0) == 0", "assert circle_area(2) > circle_area(1)"],
    },
    "input_output_transform": {
        "input": "Write a function to reverse a string",
        "output": "def reverse_string(s):\n    return s[::-1]",
    },
    "problem_solution_transform": {
        "problem": "Find the maximum in a list",
        "solution": "def find_max(lst):\n    return max(lst)",
        "difficulty": "easy",
    },
    "multi_turn_transform": {
        "instruction": "Create a class for managing a bank account",
        "response": "class BankAccount:\n    def __init__(self, balance=0):\n        self.balance = balance",
        "follow_up": "Add a withdraw method",
        "follow_up_response": "def withdraw(self, amount):\n    self.balance -= amount",
    },
}

#: which transform reads a file row, by the fields it has
FORMAT_FIELDS = [
    ({"follow_up"}, "multi_turn_transform"),
    ({"problem"}, "problem_solution_transform"),
    ({"input", "output"}, "input_output_transform"),
    ({"instruction", "test_cases"}, "instruction_response_with_tests_transform"),
    ({"instruction"}, "instruction_response_transform"),
]


def check_row(name: str, row: dict[str, Any]) -> list[str]:
    """Problems with one transformed row (empty when it is what GRPO training needs)."""
    transform, kwargs = getattr(grpo_code, name)(None)
    out = transform(dict(row))
    problems = []
    if kwargs.get("remove_columns") != "__all__":
        problems.append("factory must drop the source columns")
    prompt = out.get("prompt")
    if not (isinstance(prompt, list) and prompt and prompt[-1].get("role") == "user"):
        problems.append("prompt must be chat messages ending with the user's turn")
    elif not str(prompt[-1].get("content", "")).strip():
        problems.append("the user's turn is empty")
    try:
        ast.parse(str(out.get("reference") or ""))
    except SyntaxError as exc:
        problems.append(f"reference solution has a syntax error: {exc.msg} (line {exc.lineno})")
    if out.get("tests") is not None and not all(isinstance(t, str) for t in out["tests"]):
        problems.append("test_cases must be strings")
    return problems


def _format_of(row: dict[str, Any]) -> str | None:
    return next((name for fields, name in FORMAT_FIELDS if fields <= row.keys()), None)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    failures = 0
    for name, row in SAMPLES.items():
        problems = check_row(name, row)
        failures += bool(problems)
        print(f"{'✓' if not problems else '✗'} {name}: {'; '.join(problems) or 'ok'}")
    for path in args:
        for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                problems, name = [f"not JSON: {exc}"], "-"
            else:
                found = _format_of(row) if isinstance(row, dict) else None
                name = found or "-"
                problems = (
                    check_row(found, row)
                    if found
                    else ["no known format (instruction/response, input/output, problem/solution)"]
                )
            failures += bool(problems)
            print(
                f"{'✓' if not problems else '✗'} {path}:{i} {name}: {'; '.join(problems) or 'ok'}"
            )
    print("all transforms ok" if not failures else f"{failures} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
