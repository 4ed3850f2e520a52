"""The public surface: __all__ pinned, exports importable, docstring examples executed."""

from __future__ import annotations

import doctest
import importlib
import inspect
from types import ModuleType

import pytest

import rewardkit
from rewardkit import Reward

PUBLIC = [
    "Completion",
    "Composite",
    "DuplicateRewardError",
    "FormulaError",
    "MissingColumnError",
    "Outcome",
    "OutcomePolicy",
    "Reward",
    "ResolvedReward",
    "RewardDefinitionError",
    "RewardStats",
    "RewardSpecError",
    "RewardkitError",
    "Scorer",
    "Status",
    "UnknownRewardError",
    "audit",
    "available",
    "clip",
    "from_trl",
    "gate",
    "judge",
    "get",
    "maximum",
    "minimum",
    "parse_formula",
    "pass_at_k",
    "provenance",
    "register",
    "resolve",
    "resolve_reference",
    "reward",
    "reward_model",
    "route",
    "scale",
    "score",
    "stamp",
    "threshold",
    "weighted",
    "when",
]


def test_all_is_pinned() -> None:
    # changing the public API is a decision: update this list deliberately
    assert rewardkit.__all__ == PUBLIC


@pytest.mark.parametrize("name", PUBLIC)
def test_every_export_exists(name: str) -> None:
    assert getattr(rewardkit, name) is not None
    exec(f"from rewardkit import {name}", {})


def test_hookspecs_public() -> None:
    from rewardkit import hookspecs

    assert set(hookspecs.__all__) == {"PROJECT", "hookimpl", "hookspec", "rewardkit_rewards"}
    assert hookspecs.PROJECT == "rewardkit"


def test_errors_subclass_builtins() -> None:
    assert issubclass(rewardkit.MissingColumnError, KeyError)
    assert issubclass(rewardkit.UnknownRewardError, LookupError)
    assert issubclass(rewardkit.DuplicateRewardError, ValueError)
    assert issubclass(rewardkit.FormulaError, ValueError)
    assert issubclass(rewardkit.RewardSpecError, ValueError)
    assert issubclass(rewardkit.RewardDefinitionError, TypeError)
    for name in PUBLIC:
        obj = getattr(rewardkit, name)
        if inspect.isclass(obj) and issubclass(obj, Exception):
            assert issubclass(obj, rewardkit.RewardkitError)


def test_version() -> None:
    assert rewardkit.__version__ == "0.1.0"


CORE_MODULES = [
    "rewardkit",
    "rewardkit.contract._outcome",
    "rewardkit.contract._errors",
    "rewardkit.contract._completion",
    "rewardkit.contract._reward",
    "rewardkit.contract._validate",
    "rewardkit.references._refs",
    "rewardkit.registry._registry",
    "rewardkit.compose._compose",
    "rewardkit.compose._formula",
    "rewardkit.hookspecs",
    "rewardkit.parsers._xml",
    "rewardkit.parsers._answers",
]
REWARD_MODULES = [
    "rewardkit.rewards.format",
    "rewardkit.rewards.text",
    "rewardkit.rewards.length",
]


def _run_doctests(module: ModuleType) -> doctest.TestResults:
    """doctest.testmod, plus the docstrings of @reward objects (which doctest skips:
    a Reward instance is neither a function nor a class)."""
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs = dict(vars(module))
    tests = finder.find(module, module.__name__, globs=globs)
    for name, value in vars(module).items():
        if isinstance(value, Reward) and getattr(value.fn, "__module__", None) == module.__name__:
            tests += finder.find(value.fn, f"{module.__name__}.{name}", globs=globs)
    for test in tests:
        runner.run(test)
    return runner.summarize(verbose=False)


@pytest.mark.parametrize("module_name", CORE_MODULES)
def test_core_doctests(module_name: str) -> None:
    result = _run_doctests(importlib.import_module(module_name))
    assert result.failed == 0


@pytest.mark.parametrize("module_name", REWARD_MODULES)
def test_reward_docstring_examples_run(module_name: str) -> None:
    module = importlib.import_module(module_name)
    result = _run_doctests(module)
    assert result.failed == 0
    # every built-in here has at least one example, and it ran
    rewards = [v for v in vars(module).values() if isinstance(v, Reward)]
    assert result.attempted >= len(rewards) > 0
