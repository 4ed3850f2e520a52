"""Module-level rewards for test_reward_contract (importable by spawned workers)."""

from __future__ import annotations

from typing import Any

from rewardkit import Outcome, Reward, reward


@reward(range=(0, 1), version="3", description="contract: says four")
def contract_says_four(completion: str, *, needle: str = "4") -> bool:
    return needle in completion


@reward(name="contract_renamed", range=(0, 1))
def _contract_private_fn(completion: str) -> float:
    return float(len(completion) > 3)


def _plain(completion: str) -> float:
    return 0.5


# Reward(fn) kept beside a module-level function: pickled by attribute with its metadata
contract_wrapped = Reward(_plain, name="contract_wrapped", range=(0, 1), version="7")


def score_in_child(rw: Any, row: dict[str, Any]) -> tuple[str, str, str, Outcome]:
    """Run in a spawned process: what the worker rebuilt, and its verdict."""
    return rw.name, rw.key, rw.version, rw.score(row)
