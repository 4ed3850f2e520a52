"""The executor seam: how the :class:`~rewardkit.engine.Scorer` hands work to a backend.

A backend runs one :class:`Task` (one leaf reward over a chunk of rows) and
resolves a future with one :class:`~rewardkit.Outcome` per row, in order. That is
the whole contract, so a new backend (Ray, a remote service, a fake in tests)
is one class with two methods and never sees caching, composites or stats.

Contract every executor must keep, because the scorer relies on it:

* ``submit`` never raises for anything a reward does: a raise, a crash, a hang or
  a memory blow-up becomes an ``ERROR``/``TIMEOUT`` outcome for that row only;
* a timed-out row gets ``Status.TIMEOUT`` with the limit in the reason;
* ``submit`` may block while the executor's queue is full (back-pressure), but
  the returned future is resolved from another thread, so it can be awaited
  with :func:`asyncio.wrap_future`;
* results are deterministic: the outcome for a row depends only on the reward
  and the row, never on which worker ran it.

The Ray backend lives in ``rewardkit/engine/_ray.py`` and must define
``RayExecutor(config: ExecutorConfig)`` implementing :class:`Executor`.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..contract._outcome import Outcome
from ..contract._reward import Reward

__all__ = ["Executor", "ExecutorConfig", "Task", "TaskResult"]


@dataclass(frozen=True, slots=True)
class Task:
    """One leaf reward over a chunk of rows.

    Args:
        reward: the leaf :class:`~rewardkit.Reward` (workers rebuild it by reference).
        rows: the rows, already projected to the columns the reward reads.
        indices: each row's position in the caller's batch, used only in messages
            ("... while scoring row 17").
        state: trainer state, or ``None`` when the reward does not read it.
    """

    reward: Reward
    rows: Sequence[Mapping[str, Any]]
    indices: Sequence[int]
    state: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if len(self.rows) != len(self.indices):
            raise ValueError(f"Task has {len(self.rows)} rows but {len(self.indices)} indices")


@dataclass(frozen=True, slots=True)
class TaskResult:
    """Outcomes for a :class:`Task`, in row order.

    ``latencies`` holds seconds per row as measured where the reward ran (``None``
    when nothing was measured, e.g. a row lost to a crash); the scorer turns them
    into p50/p99 stats. They never enter an :class:`Outcome`, which keeps output
    byte-identical between runs.
    """

    outcomes: list[Outcome]
    latencies: list[float | None]


@dataclass(frozen=True, slots=True)
class ExecutorConfig:
    """Everything a backend needs to start; built by the scorer from its arguments.

    Args:
        workers: number of worker processes (or remote actors).
        timeout: hard limit in seconds per reward call, ``None`` for no limit.
        memory_mb: address-space limit per worker, ``None`` for no limit.
        warm: leaf rewards to rebuild in every worker at start-up, so a
            respawned worker pays its import cost before it takes a sample.
        address: backend address (Ray cluster), ignored by the local pool.
        options: backend-specific extras.
    """

    workers: int
    timeout: float | None
    memory_mb: int | None
    warm: Sequence[Reward] = ()
    address: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Executor(Protocol):
    """Runs tasks somewhere under the limits in its :class:`ExecutorConfig`."""

    def submit(self, task: Task) -> Future[TaskResult]:
        """Queue ``task``; the future resolves with one outcome per row, in order."""
        ...

    def close(self) -> None:
        """Stop every worker; pending futures fail with ``RuntimeError``. Idempotent."""
        ...


def reward_blob(blobs: dict[int, tuple[Reward, bytes]], rw: Reward) -> bytes:
    """``rw`` pickled once per reward object: ``blobs`` maps ``id(rw)`` to ``(rw, bytes)``.

    The reward is kept in the entry so its id cannot be reused while cached.
    """
    hit = blobs.get(id(rw))
    if hit is not None and hit[0] is rw:
        return hit[1]
    data = pickle.dumps(rw, protocol=pickle.HIGHEST_PROTOCOL)
    blobs[id(rw)] = (rw, data)
    return data
