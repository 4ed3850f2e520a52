"""Rewards for the Ray tests: importable, so Ray nodes rebuild them by reference."""

from __future__ import annotations

import ctypes
import time

from rewardkit import reward


@reward(range=(0, 10**6))
def slow_length(completion: str) -> float:
    """Length of the completion, after 50 ms: long enough to kill a node mid-run."""
    time.sleep(0.05)
    return float(len(str(completion)))


@reward(range=(0, 1))
def hostile(completion: str) -> float:
    """1.0 for ordinary rows; hangs, segfaults or raises when the completion says so."""
    text = str(completion)
    if text == "sleep":
        time.sleep(3600)
    elif text == "segfault":
        ctypes.string_at(0)
    elif text == "raise":
        raise ValueError("bad row")
    return 1.0
