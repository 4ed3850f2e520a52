"""The caller side of the Ray backend: queueing tasks, sending them to actors, retrying.

Why a dispatcher thread and not one Ray call per task: one thread in the caller
takes queued :class:`~rewardkit.engine.Task` objects and sends several of them
per actor call (so one RPC carries up to ``_TASKS_PER_PROCESS * share``
chunks), keeping at most ``_CALLS_IN_FLIGHT`` calls per actor. A call that fails
because of Ray (actor or node death, lost object, an error inside the actor) is
put back at the front of the queue and retried on whichever actor is ready; only
after :data:`MAX_ATTEMPTS` such failures does a row become an ``ERROR`` outcome
that names Ray. Actors are created with ``max_restarts=-1`` and a *soft* node
affinity, so Ray restarts a dead one (on another node if its own is gone); the
dispatcher re-admits it once it answers a ping.

With ``REWARDKIT_RAY_POOL=<name>`` the actors are named (namespace
``rewardkit``) after the pool, the limits and the node, so every process that
uses the same name and limits shares one set of per-node pools.

``ray`` is imported only inside functions: ``import rewardkit`` never pays for it.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from ..contract._outcome import Outcome
from ..contract._reward import Reward
from ._executor import ExecutorConfig, Task, TaskResult, reward_blob
from ._ray_actor import EngineActor, plan_shares

__all__ = ["MAX_ATTEMPTS", "NAMESPACE"]

log = logging.getLogger("rewardkit.ray")

#: Ray-level failures (not reward failures) a task survives before its rows are errors.
MAX_ATTEMPTS = 5
#: Actor calls in flight per actor: one running, one queued behind it, so the pool never idles.
_CALLS_IN_FLIGHT = 2
#: Chunks per worker process carried by one actor call (RPC amortisation).
_TASKS_PER_PROCESS = 4
#: Namespace of shared (named) actors.
NAMESPACE = "rewardkit"
#: Seconds queued work may wait with no actor ready before its rows become errors.
_DEFAULT_WAIT_S = 300.0


def _wait_limit() -> float:
    raw = os.environ.get("REWARDKIT_RAY_WAIT_S")
    try:
        return float(raw) if raw else _DEFAULT_WAIT_S
    except ValueError:
        raise ValueError(f"REWARDKIT_RAY_WAIT_S must be a number of seconds, got {raw!r}") from None


@dataclass(slots=True)
class _Item:
    task: Task
    blob: bytes
    future: Future[TaskResult]
    attempts: int = 0
    last_error: str = ""


@dataclass(slots=True)
class _Slot:
    """One actor as the dispatcher sees it; ``generation`` changes when it is re-admitted."""

    node: str
    share: int
    handle: Any
    ready: bool = False
    in_flight: int = 0
    generation: int = 0
    failures: int = 0  # consecutive deaths before answering a ping: sets the back-off


def _is_ray_failure(exc: BaseException) -> bool:
    """Failures of Ray itself (as opposed to a bug in rewardkit's actor code)."""
    import ray.exceptions as rex

    kinds: tuple[type[BaseException], ...] = tuple(
        k
        for k in (
            getattr(rex, "RayActorError", None),
            getattr(rex, "WorkerCrashedError", None),
            getattr(rex, "ObjectLostError", None),
            getattr(rex, "OwnerDiedError", None),
            getattr(rex, "NodeDiedError", None),
            getattr(rex, "RaySystemError", None),
            getattr(rex, "GetTimeoutError", None),
        )
        if isinstance(k, type)
    )
    return isinstance(exc, kinds)


def _actor_gone(exc: BaseException) -> bool:
    import ray.exceptions as rex

    return isinstance(exc, rex.RayActorError)


class _Dispatcher:
    """State shared by the dispatch thread and Ray's callbacks (kept apart from
    :class:`RayExecutor` so the executor can be garbage-collected and closed)."""

    def __init__(self, config: ExecutorConfig) -> None:
        import ray

        self.cfg = config
        self.ray = ray
        self.cond = threading.Condition()
        self.queue: deque[_Item] = deque()
        self.closed = False
        self.wait_s = _wait_limit()
        self.shared = os.environ.get("REWARDKIT_RAY_POOL") or None
        self.blobs: dict[int, tuple[Reward, bytes]] = {}
        self.warm = [pickle.dumps(rw, protocol=pickle.HIGHEST_PROTOCOL) for rw in config.warm]
        self.idle_since: float | None = None
        self.in_flight: dict[int, list[_Item]] = {}
        self.retried = 0
        self.actor_error = ""
        nodes = {
            str(n["NodeID"]): float(n.get("Resources", {}).get("CPU", 0.0))
            for n in _alive_nodes(ray)
        }
        shares = plan_shares(config.workers, nodes)
        if not shares:
            raise RuntimeError(
                f"the Ray cluster has no node with a free CPU for reward workers (nodes: {nodes})"
            )
        self.slots = [self._create(node, share) for node, share in shares.items()]
        self.thread = threading.Thread(target=self.loop, name="rewardkit-ray-dispatch", daemon=True)
        self.thread.start()

    # -- actors -----------------------------------------------------------------------------
    def _name(self, node: str, share: int) -> str | None:
        if self.shared is None:
            return None
        limits = repr((self.cfg.timeout, self.cfg.memory_mb, share)).encode()
        digest = hashlib.blake2b(limits, digest_size=4).hexdigest()
        return f"engine/{self.shared}/{digest}/{node}"

    def _spawn(self, node: str, share: int) -> Any:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        opts: dict[str, Any] = {
            "num_cpus": share,
            "max_restarts": -1,
            "max_task_retries": 0,
            "max_concurrency": _CALLS_IN_FLIGHT * 4 + 1,
            "scheduling_strategy": NodeAffinitySchedulingStrategy(node, soft=True),
        }
        name = self._name(node, share)
        if name is not None:
            opts.update(name=name, namespace=NAMESPACE, get_if_exists=True)
        cls = self.ray.remote(EngineActor).options(**opts)
        return cls.remote(share, self.cfg.timeout, self.cfg.memory_mb, self.warm, list(sys.path))

    def _create(self, node: str, share: int) -> _Slot:
        slot = _Slot(node, share, self._spawn(node, share))
        self._ping(slot)
        return slot

    def _ping(self, slot: _Slot) -> None:
        """Admit ``slot`` once it answers; a restarting actor answers after Ray restarts it."""
        gen = slot.generation
        ref = slot.handle.ping.remote()
        ref.future().add_done_callback(functools.partial(self._pinged, slot, gen))

    def _pinged(self, slot: _Slot, gen: int, fut: Future[Any]) -> None:
        exc = fut.exception()
        with self.cond:
            if self.closed or gen != slot.generation:
                return
            if exc is None:
                slot.ready, slot.failures = True, 0
                self.cond.notify_all()
                return
            slot.failures += 1
            delay = min(30.0, 2.0 ** (slot.failures - 1))
            lines = str(exc).strip().splitlines() or [type(exc).__name__]
            self.actor_error = lines[-1]
        # Dead for good (killed, owner gone, restarts exhausted, or it cannot even start,
        # e.g. rewardkit missing on that node): start a new one later, off Ray's callback
        # thread, backing off so a node that can never host one does not spin.
        log.warning(
            "Ray reward actor on node %s is gone (%s); replacing it in %g s",
            slot.node,
            self.actor_error,
            delay,
        )
        timer = threading.Timer(delay, self._replace, (slot, gen))
        timer.daemon = True
        timer.start()

    def _replace(self, slot: _Slot, gen: int) -> None:
        if self.closed or gen != slot.generation:
            return
        handle = self._spawn(slot.node, slot.share)
        with self.cond:
            if self.closed or gen != slot.generation:
                return
            slot.handle, slot.generation, slot.ready, slot.in_flight = handle, gen + 1, False, 0
        self._ping(slot)

    # -- submission ---------------------------------------------------------------------------
    def blob(self, rw: Reward) -> bytes:
        return reward_blob(self.blobs, rw)

    def submit(self, task: Task) -> Future[TaskResult]:
        fut: Future[TaskResult] = Future()
        if not task.rows:
            fut.set_result(TaskResult([], []))
            return fut
        item = _Item(task, self.blob(task.reward), fut)
        with self.cond:
            if self.closed:
                raise RuntimeError("the scorer was closed")
            self.queue.append(item)
            self.cond.notify_all()
        return fut

    # -- dispatch thread ----------------------------------------------------------------------
    def _pick(self) -> _Slot | None:
        free = [s for s in self.slots if s.ready and s.in_flight < _CALLS_IN_FLIGHT]
        if not free:
            return None
        return min(free, key=lambda s: (s.in_flight / s.share, -s.share))

    def loop(self) -> None:
        while True:
            with self.cond:
                slot = None
                while not self.closed:
                    if self.queue:
                        slot = self._pick()
                        if slot is not None:
                            break
                        self._starving()
                    else:
                        self.idle_since = None
                    self.cond.wait(1.0)
                if self.closed:
                    return
                assert slot is not None
                self.idle_since = None
                items = [
                    self.queue.popleft()
                    for _ in range(min(len(self.queue), _TASKS_PER_PROCESS * slot.share))
                ]
                slot.in_flight += 1
                handle, gen = slot.handle, slot.generation
                self.in_flight[id(items)] = items
            payload = [
                (it.blob, list(it.task.rows), list(it.task.indices), it.task.state) for it in items
            ]
            try:
                ref = handle.run.remote(payload)
                fut = ref.future()
            except BaseException as exc:  # e.g. unpicklable state: a Ray-side refusal
                self._finished(slot, gen, items, None, exc)
                continue
            fut.add_done_callback(functools.partial(self._done, slot, gen, items))

    def _starving(self) -> None:
        """Fail queued rows when no actor has been ready for ``wait_s`` (caller holds cond)."""
        if any(s.ready for s in self.slots):
            self.idle_since = None
            return
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
            return
        if now - self.idle_since < self.wait_s:
            return
        while self.queue:
            it = self.queue.popleft()
            _fail(
                it,
                f"no Ray actor was ready for {self.wait_s:g} s (set REWARDKIT_RAY_WAIT_S); "
                f"last error: {it.last_error or self.actor_error or 'none'}",
            )

    def _done(self, slot: _Slot, gen: int, items: list[_Item], fut: Future[Any]) -> None:
        exc = fut.exception()
        self._finished(slot, gen, items, None if exc is not None else fut.result(), exc)

    def _finished(
        self,
        slot: _Slot,
        gen: int,
        items: list[_Item],
        results: list[tuple[list[Outcome], list[float | None]]] | None,
        exc: BaseException | None,
    ) -> None:
        if results is not None:
            for it, (outs, lats) in zip(items, results, strict=True):
                if not it.future.done():
                    it.future.set_result(TaskResult(list(outs), list(lats)))
        reping = False
        with self.cond:
            self.in_flight.pop(id(items), None)
            if gen == slot.generation:
                slot.in_flight -= 1
                if exc is not None and _actor_gone(exc):
                    # Calls still out on this actor fail on their own; start counting afresh.
                    slot.ready, slot.in_flight, slot.generation = False, 0, gen + 1
                    reping = True
            if exc is not None and not self.closed:
                why = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
                if not _is_ray_failure(exc):
                    log.error("rewardkit Ray actor call failed: %s", why)
                retry: list[_Item] = []
                for it in items:
                    it.attempts += 1
                    it.last_error = why
                    if it.attempts >= MAX_ATTEMPTS:
                        _fail(it, f"lost to Ray failures {MAX_ATTEMPTS} times (last: {why})")
                    else:
                        retry.append(it)
                self.retried += len(retry)
                self.queue.extendleft(reversed(retry))
            self.cond.notify_all()
        if reping and not self.closed:
            self._ping(slot)  # waits for Ray's restart; replaces the actor if it is dead for good

    # -- shutdown -----------------------------------------------------------------------------
    def close(self) -> None:
        with self.cond:
            if self.closed:
                return
            self.closed = True
            pending = list(self.queue)
            self.queue.clear()
            for items in self.in_flight.values():
                pending.extend(items)
            self.in_flight.clear()
            self.cond.notify_all()
        for it in pending:
            if not it.future.done():
                try:
                    it.future.set_exception(
                        RuntimeError("the scorer was closed before this task finished")
                    )
                except Exception:  # resolved concurrently by a callback
                    pass
        if self.shared is None and self.ray.is_initialized():
            for s in self.slots:
                try:
                    self.ray.kill(s.handle, no_restart=True)
                except Exception:  # already dead, or Ray is shutting down
                    pass
        if self.thread is not threading.current_thread():
            self.thread.join(5)


def _alive_nodes(ray: Any) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = ray.nodes()
    return [n for n in nodes if n.get("Alive")]


def _fail(item: _Item, reason: str) -> None:
    n = len(item.task.rows)
    if not item.future.done():
        item.future.set_result(TaskResult([Outcome.error(reason)] * n, [None] * n))
