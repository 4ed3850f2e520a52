"""The Ray backend: the same worker-process pools as ``backend="local"``, one per node.

Why actors that host the local pool, rather than one Ray task per row: the hard
limits (a deadline enforced by killing the worker, ``RLIMIT_AS``, crash
isolation) live in :class:`~rewardkit.engine.ProcessExecutor`, and a reward
stuck in a C loop would otherwise hold a Ray worker hostage. Each node runs one
long-lived actor that owns a :class:`ProcessExecutor` of ``share`` processes and
reserves ``share`` CPUs with Ray, so Ray never oversubscribes the node and a
respawned reward worker never pays Ray's start-up cost. The outcome for a row is
computed by exactly the code the local backend runs, so output is
byte-identical; caching, composites and stats stay in the caller's
:class:`~rewardkit.engine.Scorer`, which never sees this module.

Dispatch: one thread in the caller takes queued :class:`Task` objects and sends
several of them per actor call (so one RPC carries up to
``_TASKS_PER_PROCESS * share`` chunks), keeping at most ``_CALLS_IN_FLIGHT``
calls per actor. A call that fails because of Ray (actor or node death, lost
object, an error inside the actor) is put back at the front of the queue and
retried on whichever actor is ready; only after :data:`MAX_ATTEMPTS` such
failures does a row become an ``ERROR`` outcome that names Ray. Actors are
created with ``max_restarts=-1`` and a *soft* node affinity, so Ray restarts a
dead one (on another node if its own is gone); the dispatcher re-admits it once
it answers a ping.

Sharing: with ``REWARDKIT_RAY_POOL=<name>`` the actors are named (namespace
``rewardkit``) after the pool, the limits and the node, so every process that
uses the same name and limits on the same cluster (for example all ranks of a
GRPO run) shares one set of per-node pools, and the cluster's cores are one
budget. A shared pool is not killed by :meth:`RayExecutor.close`; it lives as
long as the process that created it.

``ray`` is imported only inside functions: ``import rewardkit`` never pays for it.

Where the parts live: the per-node actor and the share plan in
:mod:`._ray_actor`, the dispatch thread and its retries in
:mod:`._ray_dispatch`; this module is the executor that ties them together.
"""

from __future__ import annotations

import weakref
from concurrent.futures import Future

from ._executor import ExecutorConfig, Task, TaskResult

# The parts live in modules of their own; their names stay importable from here.
from ._ray_actor import EngineActor as EngineActor
from ._ray_actor import plan_shares as plan_shares
from ._ray_dispatch import _CALLS_IN_FLIGHT as _CALLS_IN_FLIGHT
from ._ray_dispatch import _DEFAULT_WAIT_S as _DEFAULT_WAIT_S
from ._ray_dispatch import _TASKS_PER_PROCESS as _TASKS_PER_PROCESS
from ._ray_dispatch import MAX_ATTEMPTS as MAX_ATTEMPTS
from ._ray_dispatch import NAMESPACE as NAMESPACE
from ._ray_dispatch import _Dispatcher as _Dispatcher
from ._ray_dispatch import _Item as _Item
from ._ray_dispatch import _Slot as _Slot
from ._ray_dispatch import _wait_limit as _wait_limit

__all__ = ["MAX_ATTEMPTS", "RayExecutor", "plan_shares"]


def _connect(address: str | None) -> None:
    """Join the cluster at ``address`` (``None``: ``RAY_ADDRESS`` or a local one), once."""
    import ray

    if ray.is_initialized():
        return
    ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)


class RayExecutor:
    """The ``backend="ray"`` :class:`~rewardkit.engine.Executor`: per-node pools on Ray actors.

    Args:
        config: ``workers`` is the total number of reward worker processes across
            the cluster (spread over nodes, at most a node's CPUs each); ``timeout``
            and ``memory_mb`` are enforced on each node exactly as locally;
            ``address`` is passed to ``ray.init`` (ignored when Ray is already
            initialised in this process).

    Raises:
        ImportError: ``ray`` is not installed (``pip install 'rewardkit[ray]'``).
        RuntimeError: the cluster has no node with a whole free CPU.

    .. versionadded:: 0.1
    """

    def __init__(self, config: ExecutorConfig) -> None:
        if config.workers < 1:
            raise ValueError(f"workers must be at least 1, got {config.workers}")
        _connect(config.address)
        self.config = config
        self._dispatch = _Dispatcher(config)
        self._finalizer = weakref.finalize(self, self._dispatch.close)

    @property
    def shares(self) -> dict[str, int]:
        """Worker processes per Ray node id (the plan this executor started with)."""
        return {s.node: s.share for s in self._dispatch.slots}

    @property
    def retried(self) -> int:
        """Tasks re-sent after a Ray failure (a dead actor or node) since start."""
        return self._dispatch.retried

    def submit(self, task: Task) -> Future[TaskResult]:
        return self._dispatch.submit(task)

    def close(self) -> None:
        self._finalizer()
