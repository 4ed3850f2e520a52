"""Rewards for the trainer-adapter tests, one behaviour each, keyed by the ``task`` column.

They live in an importable module because the engine's worker processes rebuild
rewards by reference (module + name). Each misbehaves only on the rows whose
``task`` says so, so the tests can check that a hang or a crash costs exactly
those samples.
"""

from __future__ import annotations

import asyncio
import time

from rewardkit import Completion, Outcome, reward


@reward(range=(0, 1))
def slow_on_task(completion: Completion, task: str) -> float:
    """0.5 everywhere, except that it hangs (and must time out) on ``task == "slow"``."""
    if task == "slow":
        time.sleep(3600)
    return 0.5


@reward(range=(0, 1), cheap=True)
def raises_on_task(completion: Completion, task: str) -> float:
    """0.25 everywhere, except that it raises on ``task == "boom"``."""
    if task == "boom":
        raise RuntimeError("verifier exploded")
    return 0.25


@reward(range=(0, 1), cheap=True)
def na_on_task(completion: Completion, task: str) -> Outcome:
    """Not applicable on ``task == "na"``, else the completion's length parity."""
    if task == "na":
        return Outcome.not_applicable("no reference for this row")
    return Outcome.ok(float(len(completion) % 2), "parity")


@reward(range=(0, 1))
async def async_len(completion: Completion) -> float:
    """An async verifier: a short await, then a length-based score in [0, 1]."""
    await asyncio.sleep(0.001)
    return min(1.0, len(completion) / 64)
