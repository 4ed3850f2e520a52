"""Parent-side verdicts: parse the harness's records and judge them against held checks.

Nothing here trusts the sandbox: records are parsed defensively (unknown lines ignored, a second
record for the same step counts as tampering), values are plain data decoded by the codec, and
a test passes only on a positive observation, never on an exit code.
"""

from __future__ import annotations

import math
import signal
from dataclasses import dataclass, field
from typing import Any

from . import _codec
from ._harness import OPERATORS
from ._plan import Check
from ._result import Status, TestResult

_TIME_SIGNALS = (signal.SIGXCPU, signal.SIGKILL)


@dataclass
class Records:
    """What the harness reported for one run."""

    ready: bool = False
    infra: str | None = None
    done: bool = False
    ok: dict[int, str] = field(default_factory=dict)
    failed: dict[int, dict[str, Any]] = field(default_factory=dict)
    duplicates: set[int] = field(default_factory=set)


def parse_records(text: str) -> Records:
    records = Records()
    for line in text.split("\n"):
        if not records.ready:
            if line == "R":
                records.ready = True
            elif line.startswith("X ") and records.infra is None:
                records.infra = line[2:]
            continue
        if line == "D":
            records.done = True
            continue
        kind, _, rest = line.partition(" ")
        if kind not in ("O", "F"):
            continue
        index_text, _, payload = rest.partition(" ")
        try:
            index = int(index_text)
        except ValueError:
            continue
        if index in records.ok or index in records.failed:
            records.duplicates.add(index)
        elif kind == "O":
            records.ok[index] = payload
        else:
            error = _codec.decode(payload)
            records.failed[index] = error if isinstance(error, dict) else {"e": "?", "m": ""}
    return records


def infra_reason(reply: dict[str, Any], records: Records) -> str | None:
    """Why a run failed for reasons that are not the candidate's, or None."""
    if reply.get("infra"):
        return str(reply["infra"])
    if records.infra is not None and not records.ready:
        return f"job setup failed: {records.infra}"
    if not records.ready and reply.get("killed") is None and reply.get("supervisor") in (70, 71):
        return "job setup failed before the candidate started"
    return None


def error_status(error: dict[str, Any]) -> Status:
    if error.get("mem"):
        return Status.MEMORY
    if error.get("e") == "AssertionError":
        return Status.FAIL
    return Status.RUNTIME_ERROR


def error_text(error: dict[str, Any]) -> str:
    name, message = error.get("e", "Error"), error.get("m", "")
    return f"{name}: {message}" if message else str(name)


def death_status(reply: dict[str, Any]) -> tuple[Status, str]:
    """Status of a step that was running when the job ended without a record for it."""
    killed = reply.get("killed")
    if killed == "timeout":
        return Status.TIMEOUT, "wall-clock limit exceeded"
    if killed == "output_limit":
        return Status.OUTPUT_LIMIT, "output limit exceeded"
    sig = reply.get("signal")
    if sig in _TIME_SIGNALS:
        return Status.TIMEOUT, "CPU time limit exceeded"
    if sig is not None:
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
        return Status.RUNTIME_ERROR, f"killed by signal {name}"
    if "MemoryError" in str(reply.get("stderr", ""))[-2000:]:
        return Status.MEMORY, "MemoryError"
    return Status.RUNTIME_ERROR, f"exited with code {reply.get('exit')} before the test finished"


def judge(check: Check, payload: str, float_tolerance: float | None) -> tuple[Status, str]:
    """Apply a parent-held check to the observed values of one step."""
    values = _codec.decode(payload)
    if not isinstance(values, list):
        return Status.FAIL, "malformed observation"
    try:
        if check.kind == "complete":
            return Status.PASS, ""
        if check.kind == "call":
            if len(values) != 1:
                return Status.FAIL, "malformed observation"
            if values_equal(values[0], check.expected, float_tolerance):
                return Status.PASS, ""
            return Status.FAIL, f"{check.source} returned {_short(values[0])}"
        operands = []
        for kind, ref in check.operands:
            if kind == "lit":
                operands.append(ref)
            elif isinstance(ref, int) and 0 <= ref < len(values):
                operands.append(values[ref])
            else:
                return Status.FAIL, "malformed observation"
        if check.kind == "truth":
            ok = bool(operands[0])
        else:
            ok = all(OPERATORS[op](operands[i], operands[i + 1]) for i, op in enumerate(check.ops))
    except Exception as exc:  # e.g. '<' between incompatible observed types
        return Status.FAIL, f"{check.source}: {type(exc).__name__}"
    if ok != check.negate:
        return Status.PASS, ""
    got = ", ".join(
        _short(v) for v, (k, _) in zip(operands, check.operands, strict=True) if k == "obs"
    )
    return Status.FAIL, f"{check.source}" + (f" (got {got})" if got else "")


def values_equal(actual: Any, expected: Any, tolerance: float | None) -> bool:
    """Equality for call cases: tuples compare like lists (expected values come from JSON)."""
    if isinstance(actual, _codec.Opaque):
        return False
    if isinstance(actual, list | tuple) and isinstance(expected, list | tuple):
        return len(actual) == len(expected) and all(
            values_equal(a, e, tolerance) for a, e in zip(actual, expected, strict=True)
        )
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(
            values_equal(actual[k], expected[k], tolerance) for k in actual
        )
    if tolerance is not None and _is_number(actual) and _is_number(expected):
        return math.isclose(actual, expected, rel_tol=tolerance, abs_tol=tolerance)
    return bool(actual == expected)


def stdout_matches(actual: str, expected: str, tolerance: float | None) -> bool:
    """Line-wise match ignoring trailing whitespace and trailing blank lines; the line count
    must match (no ``zip`` truncation). Tokens may differ in inner spacing, and numbers by
    ``tolerance`` when given."""
    got, want = _lines(actual), _lines(expected)
    if got == want:
        return True
    if len(got) != len(want):
        return False
    for line_got, line_want in zip(got, want, strict=True):
        tokens_got, tokens_want = line_got.split(), line_want.split()
        if len(tokens_got) != len(tokens_want):
            return False
        for a, b in zip(tokens_got, tokens_want, strict=True):
            if a != b and not (tolerance is not None and _close(a, b, tolerance)):
                return False
    return True


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _close(a: str, b: str, tolerance: float) -> bool:
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return math.isclose(x, y, rel_tol=tolerance, abs_tol=tolerance)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def stdio_result(
    index: int, reply: dict[str, Any], records: Records, expected: str, tol: float | None
) -> TestResult:
    """Verdict of one stdin/stdout case from its run's reply."""
    if -1 in records.failed:
        error = records.failed[-1]
        return TestResult(index, error_status(error), error_text(error))
    if reply.get("killed") or reply.get("signal") is not None or -1 not in records.ok:
        status, reason = death_status(reply)
        return TestResult(index, status, reason)
    if reply.get("exit") != 0:
        return TestResult(index, Status.RUNTIME_ERROR, f"exit code {reply.get('exit')}")
    if stdout_matches(str(reply.get("stdout", "")), expected, tol):
        return TestResult(index, Status.PASS)
    got = _short(str(reply.get("stdout", ""))[:200])
    return TestResult(index, Status.FAIL, f"wrong output: got {got}, expected {_short(expected)}")
