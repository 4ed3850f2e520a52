"""Test your rewards before they steer a week of GPU time.

* :func:`expect`: one-line assertions about a reward on one sample, with failure
  messages that show the reward, the inputs, the outcome, its reason and extras.
* :func:`snapshot`: golden-file snapshots of a reward's outcomes over a dataset
  (the ``reward_snapshot`` fixture wraps it).
* :mod:`rewardkit.testing.strategies`: hypothesis strategies for completions,
  numbers in many notations and hostile text (imported on first use, so
  hypothesis is needed only if you use them).
* The pytest plugin (fixtures ``reward_rows``, ``rewardkit_scorer``,
  ``reward_snapshot``, ``rewardkit_audit`` and ``--rewardkit-update``) is active
  as soon as rewardkit is installed.

Example:
    >>> from rewardkit.testing import expect
    >>> expect("xml_format(mode=strict)").given(
    ...     completion="<reasoning>2+2</reasoning> <answer>4</answer>").scores(0.0)
    <Check xml_format(mode='strict'): score=0.0 status=ok>
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._expect import Check, Expectation, RewardAssertionError, expect
from ._samples import SAMPLE_ROWS, sample_rows
from ._snapshot import SnapshotMismatchError, SnapshotResult, snapshot

# Show the public path in tracebacks and reprs, not the private module.
for _cls in (Check, Expectation, RewardAssertionError, SnapshotMismatchError, SnapshotResult):
    _cls.__module__ = __name__
del _cls

if TYPE_CHECKING:
    from . import strategies as strategies

__all__ = [
    "SAMPLE_ROWS",
    "Check",
    "Expectation",
    "RewardAssertionError",
    "SnapshotMismatchError",
    "SnapshotResult",
    "expect",
    "sample_rows",
    "snapshot",
    "strategies",
]


def __getattr__(name: str) -> Any:
    # hypothesis is a dev dependency: import the strategies only when asked for.
    if name == "strategies":
        import importlib

        return importlib.import_module(f"{__name__}.strategies")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
