"""The public entry point: a pool of fork servers, and the suite runner on top of it.

Each worker is one fork-server process (see :mod:`._forkserver`) with its own unprivileged slot
uid. Callers may use one pool from many threads: a worker is checked out per sandbox run. The
pool watches each server with a deadline longer than the job's own; a server that dies or hangs
is killed (its jobs die with it through parent-death signals) and replaced, and the run is
reported as ``infra_error`` after one retry.
"""

from __future__ import annotations

import atexit
import base64
import itertools
import json
import os
import queue
import select
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from . import _boot, _compiled, _forkserver, _plan, _probe, _verdict
from ._errors import LanguageUnavailableError, SandboxError, TestFormatError
from ._limits import Limits
from ._result import ExecResult, Failure, RunResult, Status, TestResult, Usage

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
COMPILE_TIMEOUT_S = 20.0
COMPILE_MEMORY_MB = 2048


class _WorkerDied(SandboxError):
    pass


class _Worker:
    """One fork-server process and its request/response pipes."""

    def __init__(self, config: dict[str, Any]) -> None:
        debug = bool(os.environ.get("REWARDKIT_SANDBOX_DEBUG"))
        self.proc = subprocess.Popen(
            _boot.command("_forkserver:main", json.dumps(config)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None if debug else subprocess.DEVNULL,
            env=_boot.environment(),
            close_fds=True,
            start_new_session=True,
            bufsize=0,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = self.proc.stdin.fileno()
        self._out = self.proc.stdout.fileno()
        self.hello: dict[str, Any] | None = None

    def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        hello = self._read(time.monotonic() + timeout)
        if not hello.get("ok"):
            raise _WorkerDied(f"fork server failed to start: {hello.get('error')}")
        self.hello = hello
        return hello

    def request(
        self, job: dict[str, Any], timeout: float, spec: bytes | None = None
    ) -> dict[str, Any]:
        """One job; ``spec`` (the test driver's steps) follows the request as raw bytes."""
        try:
            if spec is None:
                _forkserver.write_frame(self._in, job)
            else:
                _forkserver.write_frame(self._in, {**job, "driver_bytes": len(spec)})
                view = memoryview(spec)
                while view:
                    view = view[os.write(self._in, view) :]
        except OSError as exc:
            raise _WorkerDied(f"fork server unreachable: {exc}") from exc
        return self._read(time.monotonic() + timeout)

    def _read(self, deadline: float) -> dict[str, Any]:
        header = self._read_exact(4, deadline)
        body = self._read_exact(int.from_bytes(header, "big"), deadline)
        return dict(json.loads(body))

    def _read_exact(self, size: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        while size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._out], [], [], remaining)[0]:
                raise _WorkerDied("fork server did not answer in time")
            chunk = os.read(self._out, min(size, 1 << 20))
            if not chunk:
                raise _WorkerDied(f"fork server exited (code {self.proc.poll()})")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, timeout: float = 5.0) -> None:
        """Ask the server to exit (EOF on its stdin), kill it if it does not."""
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


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
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._all: list[_Worker] = []
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

    def _spawn(self) -> _Worker:
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
        worker = _Worker(config)
        with self._lock:
            self._all.append(worker)
        return worker

    @contextmanager
    def _checkout(self) -> Iterator[_Worker]:
        if self._closed:
            raise SandboxError("the sandbox pool is closed")
        worker = self._idle.get()
        try:
            if not worker.alive:
                worker = self._replace(worker)
            yield worker
        finally:
            self._idle.put(worker)

    def _replace(self, worker: _Worker) -> _Worker:
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
                except _WorkerDied as exc:
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
        usage = _usage(reply)
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
            tests_out, usage, infra = self._run_compiled(code, lang, plan, stop, limits,
                                                         float_tolerance)  # fmt: skip
        elif plan.mode == "stdio":
            tests_out, usage, infra = self._run_stdio(code, plan, stop, limits, float_tolerance)
        else:
            tests_out, usage, infra = self._run_steps(code, plan, stop, limits, float_tolerance)
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

    def _run_stdio(
        self, code: str, plan: _plan.Plan, stop: bool, limits: Limits, tol: float | None
    ) -> tuple[list[TestResult], Usage, str | None]:
        job = {"mode": "script", "code": code}
        return self._run_cases(job, _verdict.stdio_result, plan, stop, limits, tol, Usage())

    def _run_cases(
        self,
        job: dict[str, Any],
        judge: Callable[[int, dict[str, Any], Any, str, float | None], TestResult],
        plan: _plan.Plan,
        stop: bool,
        limits: Limits,
        tol: float | None,
        usage: Usage,
    ) -> tuple[list[TestResult], Usage, str | None]:
        """Run ``job`` once per stdin/stdout case, judging each reply with ``judge``.

        Stops at an infrastructure failure (returned as the reason) and, with
        ``stop``, at the first case that does not pass; the rest count as not run.
        """
        results: list[TestResult] = []
        for index, (stdin, expected) in enumerate(plan.stdio):
            reply = self._run_job({**job, "stdin": stdin}, limits)
            usage += _usage(reply)
            records = _verdict.parse_records(str(reply.get("res", "")))
            infra = _verdict.infra_reason(reply, records)
            if infra is not None:
                return results, usage, infra
            results.append(judge(index, reply, records, expected, tol))
            if stop and results[-1].status is not Status.PASS:
                break
        results += _not_run(len(results), plan.total)
        return results, usage, None

    def _run_compiled(
        self,
        code: str,
        lang: str,
        plan: _plan.Plan,
        stop: bool,
        limits: Limits,
        tol: float | None,
    ) -> tuple[list[TestResult], Usage, str | None]:
        """Compile once in the sandbox (its own limits), then run the binary per case."""
        compiler = _compiled.COMPILERS[lang]
        if plan.mode != "stdio":
            raise TestFormatError(
                f"{lang} tests must be stdin/stdout cases {{'inputs': [...], 'outputs': [...]}}"
            )
        if shutil.which(compiler) is None:
            raise LanguageUnavailableError(f"language {lang!r} not available: no {compiler}")
        compile_limits = limits.replace(
            test_timeout=COMPILE_TIMEOUT_S, total_timeout=COMPILE_TIMEOUT_S
        )
        overrides = {
            "memory_mb": max(limits.memory_mb, COMPILE_MEMORY_MB),
            "processes": max(limits.processes, 16),
            "open_files": max(limits.open_files, 64),
            "output_bytes": 1 << 16,
            "result_bytes": limits.file_size_mb * (3 << 20) // 2 + (1 << 20),
        }
        reply = self._run_job(
            {"mode": "compile", "language": lang, "code": code}, compile_limits, overrides
        )
        usage = _usage(reply)
        records = _verdict.parse_records(str(reply.get("res", "")))
        infra = _verdict.infra_reason(reply, records)
        if infra is not None:
            return [], usage, infra
        kind, exit_code, binary = _compiled.compile_outcome(reply)
        if kind == "missing":
            raise LanguageUnavailableError(
                f"language {lang!r} not available: no {compiler} inside the sandbox"
            )
        if kind != "compiled" or exit_code != 0 or not binary:
            if reply.get("killed") == "timeout":
                status, reason = Status.TIMEOUT, "compile: wall-clock limit exceeded"
            else:
                status = Status.RUNTIME_ERROR
                message = _compiled.diagnostics(str(reply.get("stderr", "")))
                if reply.get("killed") == "output_limit":
                    message = message or "compiler output limit exceeded"
                reason = "compile error: " + (message or f"compiler exit code {exit_code}")
            failed = [TestResult(0, status, reason)] if plan.total else []
            return failed + _not_run(len(failed), plan.total), usage, None
        job = {"mode": "binary", "binary": base64.b64encode(binary).decode()}
        return self._run_cases(job, _compiled.binary_result, plan, stop, limits, tol, usage)

    def _run_steps(
        self, code: str, plan: _plan.Plan, stop: bool, limits: Limits, tol: float | None
    ) -> tuple[list[TestResult], Usage, str | None]:
        test_number: dict[int, int] = {}
        for step, check in enumerate(plan.checks):
            if check is not None:
                test_number[step] = len(test_number)
        results: dict[int, TestResult] = {}
        usage = Usage()
        start = 0
        deadline = time.monotonic() + limits.total_timeout  # also bounds resumed runs
        while start < len(plan.steps) and time.monotonic() < deadline:
            replay = [i for i in range(start) if plan.checks[i] is None]
            spec = {"steps": plan.steps, "start": start, "replay": replay, "stop": stop,
                    "prompt": plan.prompt, "entry": plan.entry}  # fmt: skip
            reply = self._run_job(
                {"mode": "steps", "code": code}, limits, spec=json.dumps(spec).encode()
            )
            usage += _usage(reply)
            records = _verdict.parse_records(str(reply.get("res", "")))
            infra = _verdict.infra_reason(reply, records)
            if infra is not None:
                return [], usage, infra
            if -1 not in records.ok or -1 in records.duplicates:
                if -1 in records.failed:
                    status = _verdict.error_status(records.failed[-1])
                    status = Status.RUNTIME_ERROR if status is Status.FAIL else status
                    reason = "code failed to load: " + _verdict.error_text(records.failed[-1])
                    reason += self._preimport_note(reason)
                else:
                    status, reason = _verdict.death_status(reply)
                    reason = f"while loading the code: {reason}"
                for step, number in test_number.items():
                    if step >= start and number not in results:
                        results[number] = TestResult(number, status, reason)
                break
            start = self._judge_run(plan, records, reply, start, stop, tol, test_number, results)
        ordered = [results.get(n) for n in range(len(test_number))]
        return (
            [r or TestResult(i, Status.FAIL, "not run") for i, r in enumerate(ordered)],
            usage,
            None,
        )

    @staticmethod
    def _judge_run(
        plan: _plan.Plan,
        records: _verdict.Records,
        reply: dict[str, Any],
        start: int,
        stop: bool,
        tol: float | None,
        test_number: dict[int, int],
        results: dict[int, TestResult],
    ) -> int:
        """Judge one run's records; return the step to resume from (len(steps) when done)."""
        pending: tuple[Status, str] | None = None  # a setup step failed: blame the next test
        for step in range(start, len(plan.steps)):
            check = plan.checks[step]
            if step in records.duplicates:
                verdict = (Status.FAIL, "conflicting records for this test (tampering)")
            elif step in records.ok:
                if check is None:
                    continue
                verdict = pending or _verdict.judge(check, records.ok[step], tol)
            elif step in records.failed:
                error = records.failed[step]
                verdict = (_verdict.error_status(error), _verdict.error_text(error))
                if check is None:
                    pending = (verdict[0], f"test setup failed: {verdict[1]}")
                    if verdict[0] is Status.FAIL:
                        pending = (Status.RUNTIME_ERROR, pending[1])
                    continue
            else:
                status, reason = _verdict.death_status(reply)
                ran_into = reply.get("step") == str(step)
                if not ran_into:  # stopped by the harness after an earlier failure
                    return len(plan.steps)
                for later in range(step, len(plan.steps)):
                    if later in test_number:
                        results[test_number[later]] = TestResult(test_number[later], status, reason)
                        break
                return len(plan.steps) if stop else step + 1
            if check is not None:
                number = test_number[step]
                results[number] = TestResult(number, *verdict)
                pending = None
        return len(plan.steps)

    def _preimport_note(self, reason: str) -> str:
        """Why an import a load failure names may have failed: its pre-import did too."""
        if "Error" not in reason or not self.preimport_failed:
            return ""
        for name, why in self.preimport_failed.items():
            if f"'{name.partition('.')[0]}'" in reason or f"'{name}'" in reason:
                return f" (pre-import of {name!r} failed in the sandbox: {why})"
        return ""

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


def _usage(reply: dict[str, Any]) -> Usage:
    return Usage(
        float(reply.get("wall") or 0.0), float(reply.get("cpu") or 0.0), int(reply.get("rss") or 0)
    )


def _not_run(start: int, total: int) -> list[TestResult]:
    return [TestResult(i, Status.FAIL, "not run") for i in range(start, total)]


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
