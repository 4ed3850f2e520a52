"""The public entry point: a pool of fork servers (:class:`SandboxPool`).

Each worker is one fork-server process (see :mod:`._forkserver`, handled through
:class:`._worker.Worker`) with its own unprivileged slot uid; :mod:`._suite` turns a test plan
into runs on it and judges them. Callers may use one pool from many threads: a worker is
checked out per sandbox run. The pool watches each server with a deadline longer than the
job's own; a server that dies or hangs is killed (its jobs die with it through parent-death
signals) and replaced, and the run is reported as ``infra_error`` after one retry.
"""

from __future__ import annotations

import atexit
import itertools
import os
import queue
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from . import _compiled, _plan, _probe, _suite, _verdict
from ._errors import SandboxError
from ._limits import Limits
from ._result import ExecResult, Failure, RunResult, Status
from ._worker import Worker, WorkerDied

DEFAULT_PREIMPORT: tuple[str, ...] = (
    "array", "bisect", "collections", "copy", "dataclasses", "datetime", "decimal", "enum",
    "fractions", "functools", "hashlib", "heapq", "io", "itertools", "json", "math",
    "operator", "random", "re", "statistics", "string", "textwrap", "time", "typing",
    "unicodedata",
)  # fmt: skip
_UID_BASE = 60000
_UID_SPAN = 5000
_slots = itertools.count()
_SERVER_MARGIN_S = 10.0


class SandboxPool:
    """A pool of isolated fork servers running untrusted Python.

    Args:
        workers: fork-server processes (default: CPU count). Each runs one job at a time.
        limits: default :class:`Limits` of every job.
        allow_unsafe: run even if no isolation tier works (rlimits and process kill only).
            ``None`` reads ``REWARDKIT_SANDBOX_UNSAFE``. Never needed where the probe passes.
        preimport: modules imported once in each fork server, so jobs get them for free.
        extra_paths: more host paths made readable (read-only) inside the jail.
        site_packages: make this environment's installed packages (numpy, ...) importable,
            read-only, inside the jail. A ``preimport`` module that fails to import is listed
            in ``preimport_failed``, by ``rewardkit sandbox doctor`` and in load-failure reasons.

    Raises:
        SandboxUnavailableError: no tier works and unsafe mode was not requested.

    Example::

        with SandboxPool(workers=2) as pool:
            result = pool.run_tests("def f(x): return 2 * x", ["assert f(2) == 4"])
            assert result.status is Status.PASS
    """

    def __init__(
        self,
        workers: int | None = None,
        limits: Limits | None = None,
        *,
        allow_unsafe: bool | None = None,
        preimport: Sequence[str] = DEFAULT_PREIMPORT,
        extra_paths: Sequence[str] = (),
        site_packages: bool = True,
    ) -> None:
        self.limits = limits or Limits()
        self.report = _probe.probe()
        self.tier = _probe.choose_tier(self.report, allow_unsafe)
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._preimport = tuple(preimport)
        self._paths = tuple(package_paths()) if site_packages else ()
        self.preimport_failed: dict[str, str] = {}  # module -> why it failed in the servers
        self._extra_paths = tuple(os.path.abspath(p) for p in extra_paths)
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: list[Worker] = []
        self._closed = False
        started = [self._spawn() for _ in range(self.workers)]
        try:
            for worker in started:
                hello = worker.wait_ready()
                self.preimport_failed.update(hello.get("preimport_failed") or {})
                self._idle.put(worker)
        except BaseException:
            for worker in started:
                worker.kill()
            raise

    def _spawn(self) -> Worker:
        uid = _UID_BASE + (os.getpid() * 97 + next(_slots)) % _UID_SPAN
        config = {
            "jail": {
                "tier": self.tier,
                "uid": uid,
                "gid": uid,
                "landlock_abi": int(self.report.get("landlock_abi") or 0),
                "seccomp": bool(self.report.get("seccomp")),
                "extra_paths": list(self._extra_paths),
                "disk_mb": self.limits.disk_mb,
            },
            "limits": self.limits.to_dict(),
            "preimport": list(self._preimport),
            "paths": list(self._paths),
        }
        worker = Worker(config)
        with self._lock:
            self._all.append(worker)
        return worker

    @contextmanager
    def _checkout(self) -> Iterator[Worker]:
        if self._closed:
            raise SandboxError("the sandbox pool is closed")
        worker = self._idle.get()
        try:
            if not worker.alive:
                worker = self._replace(worker)
            yield worker
        finally:
            self._idle.put(worker)

    def _replace(self, worker: Worker) -> Worker:
        worker.kill()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        fresh = self._spawn()
        fresh.wait_ready()
        return fresh

    def _run_job(
        self,
        job: dict[str, Any],
        limits: Limits,
        overrides: dict[str, Any] | None = None,
        spec: bytes | None = None,
    ) -> dict[str, Any]:
        """One sandbox run; server failures are retried once on a fresh server, then
        reported as infra. A server that says it is broken (``fatal``: e.g. it could not
        clean up after a job) is replaced; its reply stands unless it is an infra error.

        ``overrides``: more per-job limit fields (e.g. the compile step's memory).
        ``spec``: the test driver's part of a ``steps`` job (never sent with the request)."""
        job = {**job, "limits": {"test_timeout": limits.test_timeout,
                                 "total_timeout": limits.total_timeout,
                                 **(overrides or {})}}  # fmt: skip
        error = ""
        for _ in range(2):
            with self._checkout() as worker:
                try:
                    reply = worker.request(job, limits.total_timeout + _SERVER_MARGIN_S, spec)
                except WorkerDied as exc:
                    error = str(exc)
                    worker.kill()
                    continue
                if reply.get("fatal"):
                    worker.kill()  # replaced at its next checkout
                    if reply.get("infra"):
                        error = str(reply["infra"])
                        continue
                return reply
        return {"infra": error}

    def execute(self, code: str, *, stdin: str = "", timeout: float | None = None) -> ExecResult:
        """Run ``code`` as a script and return raw observations (no verdict)."""
        limits = self._limits_for(timeout)
        reply = self._run_job({"mode": "script", "code": code, "stdin": stdin}, limits)
        records = _verdict.parse_records(str(reply.get("res", "")))
        usage = _suite.usage_of(reply)
        infra = _verdict.infra_reason(reply, records)
        if infra is not None:
            return ExecResult(Status.INFRA_ERROR, False, None, None, "", "", usage, (), infra)
        completed = -1 in records.ok and not reply.get("killed")
        if -1 in records.failed:
            status, detail = (
                _verdict.error_status(records.failed[-1]),
                _verdict.error_text(records.failed[-1]),
            )
            if status is Status.FAIL:
                status = Status.RUNTIME_ERROR
        elif completed and reply.get("exit") == 0:
            status, detail = Status.PASS, ""
        else:
            status, detail = _verdict.death_status(reply)
        return ExecResult(
            status=status,
            completed=completed,
            exit_code=reply.get("exit"),
            signal=reply.get("signal"),
            stdout=str(reply.get("stdout", "")),
            stderr=str(reply.get("stderr", "")),
            usage=usage,
            detail=detail,
        )

    def run_tests(
        self,
        code: str,
        tests: Any,
        *,
        language: str = "python",
        partial_credit: bool = False,
        stop_on_first_failure: bool | None = None,
        max_tests: int | None = None,
        timeout: float | None = None,
        float_tolerance: float | None = None,
    ) -> RunResult:
        """Run ``code`` against ``tests`` and judge the observations here, in the parent.

        Args:
            code: the candidate program.
            tests: assert strings, stdin/stdout cases, call cases or a HumanEval ``check``
                (see :mod:`._plan`).
            language: ``"python"``, or ``"c"`` / ``"cpp"`` (also ``"c++"``): compiled with
                gcc/g++ inside the sandbox, then run once per stdin/stdout case.
            partial_credit: keep going after a failure so ``fraction`` is meaningful.
            stop_on_first_failure: defaults to ``not partial_credit``.
            max_tests: run at most this many tests.
            timeout: per-test wall seconds (default ``limits.test_timeout``).
            float_tolerance: relative/absolute tolerance for numbers in call and stdout cases.

        Raises:
            TestFormatError: ``tests`` has an unknown shape (C/C++: only stdin/stdout cases).
            LanguageUnavailableError: no compiler for ``language`` here (fail closed).
            ValueError: an unknown ``language``.
        """
        lang = _compiled.normalise(language)
        stop = (not partial_credit) if stop_on_first_failure is None else stop_on_first_failure
        plan = _plan.cached_plan(tests, max_tests)
        limits = self._limits_for(timeout)
        if lang != "python":
            tests_out, usage, infra = _suite.run_compiled(
                self._run_job, code, lang, plan, stop, limits, float_tolerance
            )
        elif plan.mode == "stdio":
            tests_out, usage, infra = _suite.run_stdio(
                self._run_job, code, plan, stop, limits, float_tolerance
            )
        else:
            tests_out, usage, infra = _suite.run_steps(
                self._run_job, code, plan, stop, limits, float_tolerance, self.preimport_failed
            )
        total = plan.total
        if infra is not None:
            return RunResult(Status.INFRA_ERROR, 0, total, (), None, usage, self.tier, infra)
        passed = sum(t.status is Status.PASS for t in tests_out)
        first = next((t for t in tests_out if t.status is not Status.PASS), None)
        failure = Failure(first.index, first.status, first.reason) if first else None
        if total == 0:
            failure = Failure(0, Status.FAIL, "no tests")
        status = Status.PASS if failure is None else failure.status
        return RunResult(status, passed, total, tuple(tests_out), failure, usage, self.tier)

    def _limits_for(self, timeout: float | None) -> Limits:
        if timeout is None:
            return self.limits
        return self.limits.replace(
            test_timeout=timeout, total_timeout=max(self.limits.total_timeout, timeout)
        )

    def close(self) -> None:
        """Stop every fork server and reap it. Idempotent."""
        self._closed = True
        with self._lock:
            workers, self._all = list(self._all), []
        for worker in workers:
            worker.close()

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def package_paths() -> list[str]:
    """This interpreter's package directories (site-packages), which the fork servers (started
    without ``site``) add to their path, read-only inside the jail."""
    return [
        p for p in sys.path
        if os.path.isabs(p) and os.path.basename(p) in ("site-packages", "dist-packages")
    ]  # fmt: skip


_default: dict[str, SandboxPool] = {}
_default_lock = threading.Lock()


def default_pool() -> SandboxPool:
    """The process-wide pool (created on first use, closed at exit).

    Configured by ``REWARDKIT_SANDBOX_WORKERS`` (default: CPU count).
    """
    with _default_lock:
        pool = _default.get("pool")
        if pool is None or pool._closed:
            workers = int(os.environ.get("REWARDKIT_SANDBOX_WORKERS", "0")) or None
            pool = SandboxPool(workers=workers)
            _default["pool"] = pool
            atexit.register(pool.close)
        return pool


def shutdown_default_pool() -> None:
    with _default_lock:
        pool = _default.pop("pool", None)
    if pool is not None:
        pool.close()
