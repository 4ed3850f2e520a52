"""The scoring engine: hard timeouts, crash isolation, caching and stats for any reward.

Public names: :class:`Scorer`, :func:`score`, :class:`RewardStats`, and the
executor seam (:class:`Executor`, :class:`Task`, :class:`TaskResult`,
:class:`ExecutorConfig`, :class:`InlineExecutor`, :class:`ProcessExecutor`) for
backends such as Ray.
"""

from __future__ import annotations

from ._executor import Executor, ExecutorConfig, Task, TaskResult
from ._inline import InlineExecutor
from ._pool import ProcessExecutor
from ._scorer import IsolationWarning, Scorer, score
from ._stats import RewardStats

__all__ = [
    "Executor",
    "ExecutorConfig",
    "InlineExecutor",
    "IsolationWarning",
    "ProcessExecutor",
    "RewardStats",
    "Scorer",
    "Task",
    "TaskResult",
    "score",
]
