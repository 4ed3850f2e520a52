"""Rewards used only by bench/engine.py (importable, so workers can rebuild them)."""

from __future__ import annotations

import logging

from rewardkit import reward

# math-verify logs a warning on every call made with its own timeouts switched off
logging.getLogger("math_verify").setLevel(logging.ERROR)


@reward(range=(0, 1))
def mv_equal(completion: str, answer: str) -> float:
    """math-verify called the way TRL's accuracy_reward does, minus its SIGALRM timeouts.

    Its own timeouts only work on a main thread; the engine bounds it from outside.
    """
    from math_verify import parse, verify

    gold = parse(f"${answer}$", parsing_timeout=None)
    pred = parse(str(completion), parsing_timeout=None)
    return 1.0 if verify(gold, pred, timeout_seconds=None) else 0.0
