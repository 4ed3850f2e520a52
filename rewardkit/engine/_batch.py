"""One batch in flight inside a :class:`~rewardkit.engine.Scorer`: its rows, tasks and verdicts.

A batch is planned (:mod:`._plan`), run and combined (:mod:`._gather`); these are
the records both phases share.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from ..contract._call import CompletionViews
from ..contract._outcome import Outcome
from ..contract._reward import Reward
from ._executor import Task, TaskResult


@dataclass(slots=True)
class _Part:
    """One task of a batch: its leaf, where its rows go, and how it is being run."""

    leaf: Reward
    task: Task
    # per task row: every batch row with the same inputs; None: just task.indices
    groups: list[list[int]] | None
    keys: list[bytes | None] | None  # per task row: cache key or None; None: no caching
    future: Future[TaskResult] | None = None  # None: run inline at collection time


@dataclass(slots=True)
class _Batch:
    rows: list[Mapping[str, Any]]
    leaf_out: dict[str, dict[int, Outcome]] = field(default_factory=dict)
    parts: list[_Part] = field(default_factory=list)
    top_errors: dict[tuple[int, int], Outcome] = field(default_factory=dict)
    # Completion views of ``rows``, shared by the leaves that run inline
    views: CompletionViews = field(default_factory=dict)
    # (top index, row) of staged composites whose last needed() added leaves: asked again
    pending: list[tuple[int, int]] = field(default_factory=list)
    state: Mapping[str, Any] | None = None


class _Known(Mapping[str, Outcome]):
    """The leaf outcomes known so far for one row of a batch, as ``{leaf key: Outcome}``."""

    __slots__ = ("_i", "_out")

    def __init__(self, out: dict[str, dict[int, Outcome]], i: int) -> None:
        self._out, self._i = out, i

    def __getitem__(self, key: str) -> Outcome:
        return self._out[key][self._i]

    def __contains__(self, key: object) -> bool:
        got = self._out.get(key)  # type: ignore[call-overload]
        return got is not None and self._i in got

    def __iter__(self) -> Iterator[str]:
        return (k for k, v in self._out.items() if self._i in v)

    def __len__(self) -> int:
        return sum(1 for _ in self)
