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


@reward(range=(0, 10**6))
def gated_length(completion: str, ctl: str) -> float:
    """Length of the completion, once the test opens the gate (the file ``ctl/open``).

    Each call first leaves a marker in ``ctl``, so the test can wait until every node
    holds work in flight before it removes one: the node loss then always hits a
    running chunk, whatever the machine's load.
    """
    import os

    with open(os.path.join(ctl, f"started-{os.getpid()}-{time.monotonic_ns()}"), "w"):
        pass
    deadline = time.monotonic() + 120
    while not os.path.exists(os.path.join(ctl, "open")) and time.monotonic() < deadline:
        time.sleep(0.01)
    return float(len(str(completion)))
