"""What runs on each Ray node: the plan of worker processes per node, and the actor.

Why actors that host the local pool, rather than one Ray task per row: the hard
limits (a deadline enforced by killing the worker, ``RLIMIT_AS``, crash
isolation) live in :class:`~rewardkit.engine.ProcessExecutor`, and a reward
stuck in a C loop would otherwise hold a Ray worker hostage. Each node runs one
long-lived :class:`EngineActor` that owns a :class:`ProcessExecutor` of
``share`` processes (:func:`plan_shares` decides the shares), so the outcome for
a row is computed by exactly the code the local backend runs.

Nothing here imports ``ray``: the actor class is handed to ``ray.remote`` by the
dispatcher (:mod:`._ray_dispatch`).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from ..contract._outcome import Outcome
from ..contract._reward import Reward
from ._executor import ExecutorConfig, Task, TaskResult

__all__ = ["EngineActor", "plan_shares"]


def plan_shares(workers: int, node_cpus: Mapping[str, float]) -> dict[str, int]:
    """Spread ``workers`` processes over nodes, round robin, at most a node's CPUs each.

    Deterministic (nodes are taken in sorted id order) so that every rank of a
    training run computes the same plan and therefore the same actor names.

    Example:
        >>> plan_shares(5, {"b": 2.0, "a": 8.0})
        {'a': 3, 'b': 2}
        >>> plan_shares(4, {"a": 0.5})
        {}
    """
    caps = {n: int(c) for n, c in sorted(node_cpus.items()) if int(c) >= 1}
    shares = dict.fromkeys(caps, 0)
    left = workers
    while left > 0 and any(shares[n] < caps[n] for n in caps):
        for n in caps:
            if left and shares[n] < caps[n]:
                shares[n] += 1
                left -= 1
    return {n: s for n, s in shares.items() if s}


class EngineActor:
    """Hosts a local :class:`~rewardkit.engine.ProcessExecutor` on one node.

    Rewards arrive as the same by-reference blobs the local pool sends its workers
    and are rebuilt with the worker's unpickler, so a reward from the caller's
    ``__main__`` script is loaded from its file here too (same path on every node).
    """

    def __init__(
        self,
        workers: int,
        timeout: float | None,
        memory_mb: int | None,
        warm: list[bytes],
        sys_path: list[str],
    ) -> None:
        for p in reversed(sys_path):
            if p not in sys.path and os.path.exists(p):
                sys.path.insert(0, p)
        from ._pool import ProcessExecutor

        self._lock = threading.Lock()
        self._rewards: dict[bytes, Reward] = {}
        rewards = [r for r in (self._load(b) for b in warm) if r is not None]
        config = ExecutorConfig(workers=workers, timeout=timeout, memory_mb=memory_mb, warm=rewards)
        self._pool = ProcessExecutor(config)

    def _load(self, blob: bytes) -> Reward | None:
        with self._lock:
            hit = self._rewards.get(blob)
        if hit is not None:
            return hit
        from ._worker import load_reward

        try:
            rw = load_reward(blob)
        except Exception:  # the local pool reports it per row, with the reason
            return None
        with self._lock:
            self._rewards[blob] = rw
        return rw

    def ping(self) -> str:
        """Answered once the pool is up; the caller admits the actor only then."""
        return os.uname().nodename

    def run(
        self, jobs: list[tuple[bytes, list[dict[str, Any]], list[int], dict[str, Any] | None]]
    ) -> list[tuple[list[Outcome], list[float | None]]]:
        """Score several tasks in this node's pool; one (outcomes, latencies) per task."""
        futures: list[Future[TaskResult] | TaskResult] = []
        for blob, rows, indices, state in jobs:
            rw = self._load(blob)
            if rw is None:
                from ._worker import load_reward

                try:
                    load_reward(blob)
                    why = "unknown error"
                except Exception as exc:
                    why = f"{type(exc).__name__}: {exc}"
                err = Outcome.error(f"could not rebuild the reward on a Ray node ({why})")
                futures.append(TaskResult([err] * len(rows), [None] * len(rows)))
                continue
            futures.append(self._pool.submit(Task(rw, rows, indices, state)))
        out: list[tuple[list[Outcome], list[float | None]]] = []
        for f in futures:
            res = f if isinstance(f, TaskResult) else f.result()
            out.append((res.outcomes, res.latencies))
        return out

    def shutdown(self) -> None:
        self._pool.close()
