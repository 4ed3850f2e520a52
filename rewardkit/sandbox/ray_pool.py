"""Sandboxes on a Ray cluster: one actor per node hosts a fork-server :class:`SandboxPool`.

Why an actor per node rather than a Ray task per job: a fork server pays its
interpreter start and its pre-imports once, then forks a jailed child per job in
about a millisecond; a Ray task per job would pay a process and an RPC per job
instead. Each actor reserves as many Ray CPUs as it has fork servers (by default
the node's CPU count, or ``cores_per_actor``), so concurrency per node is capped
at its cores and the cluster's cores are one budget for every caller.

Untrusted code never runs in a Ray worker process. The actor only supervises:
its fork servers are fresh ``python -I -S`` processes started with
``close_fds=True`` and an environment holding nothing of the caller's (no
``RAY_*``), and each job runs in a jailed child with an empty network namespace
(so the raylet and GCS ports are unreachable), a private ``/tmp`` (so Ray's
session sockets under ``/tmp/ray`` are not visible) and seccomp/Landlock on top.

Jobs are sent in batches (one RPC per ``batch_size`` jobs) to the least-loaded
actor. A sandbox fault is never scored: a job whose result is ``infra_error``,
or whose actor or node died, is retried on another actor up to ``retries``
times, and only then returned as ``infra_error`` (which ``code_tests`` turns
into an ``ERROR`` outcome, not a wrong answer). Actors are created with
``max_restarts=-1``, so Ray restarts a crashed one.

By default actors are *named* (``sandbox/<name>/<limits digest>/<node>`` in
namespace ``rewardkit``) so every process on the cluster that asks for the same
pool name and limits (for example all ranks of a GRPO run, or the engine's
reward workers) shares them. Pass ``name=None`` for a private pool that
:meth:`RaySandboxPool.close` kills.

This module imports only the standard library, ``ray`` (inside functions) and
this package: the sandbox never imports the rest of rewardkit.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ._errors import SandboxError, TestFormatError
from ._limits import Limits
from ._pool import DEFAULT_PREIMPORT, SandboxPool
from ._result import RunResult, Status

__all__ = ["RaySandboxPool", "SandboxActor", "default_ray_pool", "shutdown_default_ray_pool"]

#: Namespace of the named sandbox actors.
NAMESPACE = "rewardkit"


class SandboxActor:
    """Runs batches of test jobs in a local :class:`SandboxPool` on one Ray node."""

    def __init__(
        self,
        workers: int,
        limits: dict[str, Any],
        allow_unsafe: bool | None,
        preimport: list[str],
    ) -> None:
        self.pool = SandboxPool(
            workers=workers,
            limits=Limits(**limits),
            allow_unsafe=allow_unsafe,
            preimport=preimport,
        )
        # One thread per fork server: the pool's checkout caps concurrency at ``workers``
        # however many calls arrive at once.
        self.threads = ThreadPoolExecutor(workers, thread_name_prefix="rewardkit-sandbox")

    def ping(self) -> tuple[str, int, str]:
        """Node name, fork servers and isolation tier: answered once the pool is up."""
        return os.uname().nodename, self.pool.workers, self.pool.tier

    def run(self, jobs: list[dict[str, Any]]) -> list[RunResult | TestFormatError]:
        """Run each ``{"code", "tests", **run_tests options}`` job; results in order.

        A malformed ``tests`` value comes back as its :class:`TestFormatError` (a value,
        not a raise) so one bad row does not sink the rest of the batch.
        """
        futures = [self.threads.submit(self._one, job) for job in jobs]
        return [f.result() for f in futures]

    def _one(self, job: dict[str, Any]) -> RunResult | TestFormatError:
        kwargs = dict(job)
        code, tests = kwargs.pop("code"), kwargs.pop("tests")
        try:
            return self.pool.run_tests(code, tests, **kwargs)
        except TestFormatError as exc:
            return exc
        except Exception as exc:  # never scored: the caller retries elsewhere
            return _infra(f"sandbox actor: {type(exc).__name__}: {exc}")


def _infra(detail: str) -> RunResult:
    return RunResult(Status.INFRA_ERROR, 0, 0, (), None, detail=detail)


@dataclass
class _Actor:
    """One actor as callers see it; ``up`` is False from a Ray failure until it answers."""

    node: str
    workers: int
    handle: Any
    key: int
    in_flight: int = 0
    up: bool = True


class RaySandboxPool:
    """Drop-in for :meth:`SandboxPool.run_tests` that runs jobs on per-node Ray actors.

    Args:
        address: Ray cluster address for ``ray.init`` (``None``: ``RAY_ADDRESS`` or
            a local cluster); ignored when Ray is already initialised here.
        limits: per-job :class:`Limits` (part of the shared actors' identity).
        cores_per_actor: fork servers per actor; default one actor per node with
            as many fork servers as the node has CPUs.
        name: pool name shared by every caller on the cluster; ``None`` for a
            private pool.
        batch_size: jobs per RPC in :meth:`run_tests_many`.
        retries: extra attempts for a job that met a sandbox or Ray fault.
        allow_unsafe: as for :class:`SandboxPool` (each node probes its own kernel).
        preimport: modules imported once per fork server.

    Raises:
        SandboxError: no node of the cluster has a whole CPU for a sandbox actor.

    Example::

        pool = RaySandboxPool(address="auto")
        result = pool.run_tests("def f(x): return 2 * x", ["assert f(2) == 4"])
        assert result.status is Status.PASS
    """

    def __init__(
        self,
        *,
        address: str | None = None,
        limits: Limits | None = None,
        cores_per_actor: int | None = None,
        name: str | None = "default",
        batch_size: int = 32,
        retries: int = 2,
        allow_unsafe: bool | None = None,
        preimport: Sequence[str] = DEFAULT_PREIMPORT,
    ) -> None:
        import ray

        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if cores_per_actor is not None and cores_per_actor < 1:
            raise ValueError(f"cores_per_actor must be at least 1, got {cores_per_actor}")
        if not ray.is_initialized():
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
        self.limits = limits or Limits()
        self.name = name
        self.batch_size = batch_size
        self.retries = max(0, retries)
        self._ray = ray
        self._lock = threading.Condition()
        self._closed = False
        self._args = (self.limits.to_dict(), allow_unsafe, list(preimport))
        self.actors: list[_Actor] = []
        for node, cpus in _nodes(ray):
            per = min(cpus, cores_per_actor or cpus)
            for k in range(cpus // per):
                self.actors.append(_Actor(node, per, self._spawn(node, per, k), k))
        if not self.actors:
            raise SandboxError("no node of the Ray cluster has a whole CPU for a sandbox actor")

    def _spawn(self, node: str, workers: int, k: int) -> Any:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        opts: dict[str, Any] = {
            "num_cpus": workers,
            "max_restarts": -1,
            "max_task_retries": 0,
            "max_concurrency": 64,
            "scheduling_strategy": NodeAffinitySchedulingStrategy(node, soft=True),
        }
        if self.name is not None:
            digest = hashlib.blake2b(repr(self._args).encode(), digest_size=4).hexdigest()
            opts.update(
                name=f"sandbox/{self.name}/{digest}/{node}/{workers}x{k}",
                namespace=NAMESPACE,
                get_if_exists=True,
            )
        cls = self._ray.remote(SandboxActor).options(**opts)
        return cls.remote(workers, *self._args)

    @property
    def workers(self) -> int:
        """Fork servers across the cluster: the most jobs that run at once."""
        return sum(a.workers for a in self.actors)

    def ready(self, timeout: float = 120.0) -> list[tuple[str, int, str]]:
        """Wait until every actor's pool is up; ``(node, fork servers, tier)`` each."""
        refs = [a.handle.ping.remote() for a in self.actors]
        got: list[tuple[str, int, str]] = self._ray.get(refs, timeout=timeout)
        return got

    # -- running ------------------------------------------------------------------------------
    def run_tests(self, code: str, tests: Any, **options: Any) -> RunResult:
        """Same contract as :meth:`SandboxPool.run_tests`, run on the cluster.

        Raises:
            TestFormatError: ``tests`` has an unknown shape.
        """
        got = self.run_tests_many([{"code": code, "tests": tests, **options}])[0]
        if isinstance(got, TestFormatError):
            raise got
        return got

    def run_tests_many(
        self, jobs: Sequence[Mapping[str, Any]]
    ) -> list[RunResult | TestFormatError]:
        """Run many ``{"code", "tests", **options}`` jobs, ``batch_size`` per RPC, spread
        over the actors; one result (or the job's :class:`TestFormatError`) per job, in order.
        """
        if self._closed:
            raise SandboxError("the Ray sandbox pool is closed")
        results: list[RunResult | TestFormatError | None] = [None] * len(jobs)
        todo = list(range(len(jobs)))
        for _attempt in range(self.retries + 1):
            if not todo:
                break
            step = self.batch_size
            pending: list[tuple[list[int], Future[Any], _Actor]] = []
            for batch in (todo[i : i + step] for i in range(0, len(todo), step)):
                actor = self._checkout()
                try:
                    ref = actor.handle.run.remote([dict(jobs[i]) for i in batch])
                    fut: Future[Any] = ref.future()
                except Exception as exc:  # e.g. a job that cannot be serialised
                    self._checkin(actor, None)
                    raise SandboxError(
                        f"could not send jobs to a Ray sandbox actor: {exc}"
                    ) from exc
                pending.append((batch, fut, actor))
            todo = []
            for batch, fut, actor in pending:
                failure: BaseException | None = None
                try:
                    got: list[RunResult | TestFormatError] = fut.result()
                except Exception as exc:  # actor or node died, or an actor bug: retry
                    failure = exc
                    got = [_infra(f"Ray: {type(exc).__name__}: {exc}")] * len(batch)
                self._checkin(actor, failure)
                for i, res in zip(batch, got, strict=True):
                    results[i] = res
                    if isinstance(res, RunResult) and res.status is Status.INFRA_ERROR:
                        todo.append(i)
        return [r if r is not None else _infra("not run") for r in results]

    def _checkout(self, wait_s: float = 300.0) -> _Actor:
        """The least-loaded actor that is up; waits (bounded) while none is."""
        with self._lock:
            if not self._lock.wait_for(lambda: any(a.up for a in self.actors), wait_s):
                raise SandboxError(f"no Ray sandbox actor came back within {wait_s:g} s")
            actor = min((a for a in self.actors if a.up), key=lambda a: a.in_flight / a.workers)
            actor.in_flight += 1
            return actor

    def _checkin(self, actor: _Actor, failure: BaseException | None) -> None:
        import ray.exceptions as rex

        with self._lock:
            actor.in_flight -= 1
            if failure is None or not isinstance(failure, rex.RayActorError) or not actor.up:
                return
            actor.up = False  # Ray restarts it (maybe elsewhere); re-admit once it answers
        ref = actor.handle.ping.remote()
        ref.future().add_done_callback(lambda fut: self._pinged(actor, fut))

    def _pinged(self, actor: _Actor, fut: Future[Any]) -> None:
        if fut.exception() is None:
            with self._lock:
                actor.up = True
                self._lock.notify_all()
            return
        if self._closed:
            return
        # Dead for good (killed, owner gone): replace it a second later, off Ray's callback
        # thread, so a node that cannot host an actor does not spin.
        timer = threading.Timer(1.0, self._replace, (actor,))
        timer.daemon = True
        timer.start()

    def _replace(self, actor: _Actor) -> None:
        if self._closed:
            return
        handle = self._spawn(actor.node, actor.workers, actor.key)
        with self._lock:
            actor.handle = handle
        handle.ping.remote().future().add_done_callback(lambda f: self._pinged(actor, f))

    def close(self) -> None:
        """Kill a private pool's actors; a named pool is left to its other users. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self.name is None and self._ray.is_initialized():
            for a in self.actors:
                try:
                    self._ray.kill(a.handle, no_restart=True)
                except Exception:  # already gone
                    pass

    def __enter__(self) -> RaySandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _nodes(ray: Any) -> list[tuple[str, int]]:
    """Alive nodes with at least one whole CPU, in a stable order (so names agree)."""
    found = [
        (str(n["NodeID"]), int(n.get("Resources", {}).get("CPU", 0)))
        for n in ray.nodes()
        if n.get("Alive")
    ]
    return sorted((node, cpus) for node, cpus in found if cpus >= 1)


_default: dict[str, RaySandboxPool] = {}
_default_lock = threading.Lock()


def default_ray_pool() -> RaySandboxPool:
    """The process-wide Ray pool, shared cluster-wide under the name ``default``.

    ``REWARDKIT_SANDBOX_RAY`` holds the cluster address (``auto`` for the local
    one); ``REWARDKIT_SANDBOX_RAY_CORES`` sets ``cores_per_actor``.
    """
    with _default_lock:
        pool = _default.get("pool")
        if pool is None or pool._closed:
            address = os.environ.get("REWARDKIT_SANDBOX_RAY") or None
            cores = int(os.environ.get("REWARDKIT_SANDBOX_RAY_CORES", "0")) or None
            pool = RaySandboxPool(address=address, cores_per_actor=cores)
            _default["pool"] = pool
        return pool


def shutdown_default_ray_pool() -> None:
    with _default_lock:
        pool = _default.pop("pool", None)
    if pool is not None:
        pool.close()


def selected_pool() -> SandboxPool | RaySandboxPool:
    """The pool ``code_tests`` runs jobs in: the Ray pool when ``REWARDKIT_SANDBOX_RAY`` is
    set (an address, or ``auto``), else the process-wide local :func:`default_pool`.

    An environment variable rather than an argument, because it must reach the engine's
    worker processes (and every trainer rank) without changing any reward's options, which
    are part of its cache key and metric name.
    """
    if os.environ.get("REWARDKIT_SANDBOX_RAY"):
        return default_ray_pool()
    from ._pool import default_pool

    return default_pool()
