"""Running a test plan in the sandbox and judging what comes back, in the parent.

:class:`._pool.SandboxPool` picks the runner for a plan and supplies ``run_job`` (one sandbox
run on a fork server, with its retry and infra handling). Each runner turns the plan into jobs
(one per stdin/stdout case; one compile then one per case for C/C++; one or more ``steps``
runs for assert, call and HumanEval suites) and judges the replies with :mod:`._verdict`
against the checks the parent holds. No expected value is ever part of a job.
"""

from __future__ import annotations

import base64
import json
import shutil
import time
from collections.abc import Callable
from typing import Any, Protocol

from . import _compiled, _plan, _verdict
from ._errors import LanguageUnavailableError, TestFormatError
from ._limits import Limits
from ._result import Status, TestResult, Usage

COMPILE_TIMEOUT_S = 20.0
COMPILE_MEMORY_MB = 2048


class RunJob(Protocol):
    """One sandbox run: the fork server's reply (``{"infra": why}`` when it failed twice)."""

    def __call__(
        self,
        job: dict[str, Any],
        limits: Limits,
        overrides: dict[str, Any] | None = None,
        spec: bytes | None = None,
    ) -> dict[str, Any]: ...


def run_stdio(
    run_job: RunJob, code: str, plan: _plan.Plan, stop: bool, limits: Limits, tol: float | None
) -> tuple[list[TestResult], Usage, str | None]:
    job = {"mode": "script", "code": code}
    return _run_cases(run_job, job, _verdict.stdio_result, plan, stop, limits, tol, Usage())


def _run_cases(
    run_job: RunJob,
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
        reply = run_job({**job, "stdin": stdin}, limits)
        usage += usage_of(reply)
        records = _verdict.parse_records(str(reply.get("res", "")))
        infra = _verdict.infra_reason(reply, records)
        if infra is not None:
            return results, usage, infra
        results.append(judge(index, reply, records, expected, tol))
        if stop and results[-1].status is not Status.PASS:
            break
    results += not_run(len(results), plan.total)
    return results, usage, None


def run_compiled(
    run_job: RunJob,
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
    compile_limits = limits.replace(test_timeout=COMPILE_TIMEOUT_S, total_timeout=COMPILE_TIMEOUT_S)
    overrides = {
        "memory_mb": max(limits.memory_mb, COMPILE_MEMORY_MB),
        "processes": max(limits.processes, 16),
        "open_files": max(limits.open_files, 64),
        "output_bytes": 1 << 16,
        "result_bytes": limits.file_size_mb * (3 << 20) // 2 + (1 << 20),
    }
    reply = run_job({"mode": "compile", "language": lang, "code": code}, compile_limits, overrides)
    usage = usage_of(reply)
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
        return failed + not_run(len(failed), plan.total), usage, None
    job = {"mode": "binary", "binary": base64.b64encode(binary).decode()}
    return _run_cases(run_job, job, _compiled.binary_result, plan, stop, limits, tol, usage)


def run_steps(
    run_job: RunJob,
    code: str,
    plan: _plan.Plan,
    stop: bool,
    limits: Limits,
    tol: float | None,
    preimport_failed: dict[str, str],
) -> tuple[list[TestResult], Usage, str | None]:
    """Run a steps plan (test driver + candidate), resuming after a step that killed the
    candidate, and judge every test from the driver's records."""
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
        reply = run_job({"mode": "steps", "code": code}, limits, spec=json.dumps(spec).encode())
        usage += usage_of(reply)
        records = _verdict.parse_records(str(reply.get("res", "")))
        infra = _verdict.infra_reason(reply, records)
        if infra is not None:
            return [], usage, infra
        if -1 not in records.ok or -1 in records.duplicates:
            if -1 in records.failed:
                status = _verdict.error_status(records.failed[-1])
                status = Status.RUNTIME_ERROR if status is Status.FAIL else status
                reason = "code failed to load: " + _verdict.error_text(records.failed[-1])
                reason += preimport_note(reason, preimport_failed)
            else:
                status, reason = _verdict.death_status(reply)
                reason = f"while loading the code: {reason}"
            for step, number in test_number.items():
                if step >= start and number not in results:
                    results[number] = TestResult(number, status, reason)
            break
        start = _judge_run(plan, records, reply, start, stop, tol, test_number, results)
    ordered = [results.get(n) for n in range(len(test_number))]
    return (
        [r or TestResult(i, Status.FAIL, "not run") for i, r in enumerate(ordered)],
        usage,
        None,
    )


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


def preimport_note(reason: str, preimport_failed: dict[str, str]) -> str:
    """Why an import a load failure names may have failed: its pre-import did too."""
    if "Error" not in reason or not preimport_failed:
        return ""
    for name, why in preimport_failed.items():
        if f"'{name.partition('.')[0]}'" in reason or f"'{name}'" in reason:
            return f" (pre-import of {name!r} failed in the sandbox: {why})"
    return ""


def usage_of(reply: dict[str, Any]) -> Usage:
    return Usage(
        float(reply.get("wall") or 0.0), float(reply.get("cpu") or 0.0), int(reply.get("rss") or 0)
    )


def not_run(start: int, total: int) -> list[TestResult]:
    return [TestResult(i, Status.FAIL, "not run") for i in range(start, total)]
