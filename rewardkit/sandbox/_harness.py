"""The in-sandbox runner: executes candidate code and reports OBSERVATIONS, never verdicts.

It runs inside the confined job process, after :func:`_jail.confine`. It writes one line per
event to the result fd: ``R`` (ready; nothing before it came from candidate code), ``S k``
(step k starts), ``O k <json values>`` (step k completed, with its observed values),
``F k <json error>`` (step k raised), ``D`` (all steps done). Step -1 is loading the code.

Expected values never reach this process, so forging a record still requires the right answer;
every step gets exactly one record from the harness, so a forged record for a step shows up in
the parent as a conflicting duplicate. Comparisons that must run in here (inside loops of a test
suite) go through :func:`safe_compare`, which round-trips both sides through the plain-data codec
so a rigged ``__eq__`` never runs.
"""

from __future__ import annotations

import io
import operator
import os
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any, NoReturn

from . import _codec

_write = os.write
_encode = _codec.encode
_decode = _codec.decode
_exit = os._exit
_BaseException = BaseException
_MemoryError = MemoryError
_SystemExit = SystemExit

OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
    "is": operator.is_,
    "is not": operator.is_not,
}


def safe_compare(ops: tuple[str, ...], values: tuple[object, ...]) -> bool:
    """Evaluate a comparison chain on plain copies of the operands."""
    plain = [_decode(_encode(v)) for v in values]
    return all(OPERATORS[op](plain[i], plain[i + 1]) for i, op in enumerate(ops))


def _emit(line: str) -> None:
    data = (line + "\n").encode("utf-8", "replace")
    while data:
        data = data[_write(3, data) :]


def _error(exc: BaseException) -> str:
    try:
        name = type(exc).__name__
        message = str(exc)[:300]
    except _BaseException:
        name, message = "Exception", "<unprintable>"
    if isinstance(exc, _SystemExit):
        message = f"exit({exc.code!r})"[:100]
    memory = isinstance(exc, _MemoryError)
    return _encode({"e": name, "m": message, "mem": memory})


def _streams(name: str) -> None:
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace"
    )
    module = types.ModuleType(name)
    module.__dict__["__builtins__"] = __builtins__
    sys.modules[name] = module
    sys.argv = ["solution.py"]


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except _BaseException:
            pass


def run(job: dict[str, Any]) -> NoReturn:
    """Run one job and exit the process; never returns into the fork server."""
    code = 0
    try:
        if job["mode"] == "script":
            code = _run_script(job)
        else:
            _run_steps(job)
    except _BaseException:
        code = 1
    _flush()
    _exit(code)


def _run_script(job: dict[str, Any]) -> int:
    """Run code as ``__main__`` (stdin/stdout tests); the parent compares stdout."""
    _streams("__main__")
    namespace = sys.modules["__main__"].__dict__
    _emit("R")
    _emit("S -1")
    try:
        exec(compile(job["code"], "solution.py", "exec"), namespace)
    except _SystemExit as exc:
        if exc.code not in (None, 0):
            _flush()
            _emit("F -1 " + _error(exc))
            return 1
    except _BaseException as exc:
        traceback.print_exc()
        _flush()
        _emit("F -1 " + _error(exc))
        return 1
    _flush()
    _emit("O -1 []")
    _emit("D")
    return 0


def _run_steps(job: dict[str, Any]) -> None:
    """Load the code, then run each step, one record per step.

    A step's result record is written together with the next step's start record (one write
    instead of two); it always reaches the pipe before the next step's code runs.
    """
    _streams("solution")
    namespace = sys.modules["solution"].__dict__
    stop = bool(job.get("stop", True))
    _emit("R\nS -1")
    try:
        exec(compile(job["code"], "solution.py", "exec"), namespace)
    except _BaseException as exc:
        _flush()
        _emit("F -1 " + _error(exc))
        return
    pending = "O -1 []\n"
    test_ns = dict(namespace)
    test_ns["__rk_cmp__"] = safe_compare
    start = job.get("start", 0)
    replay = set(job.get("replay", ()))  # setup steps re-run when resuming after a crash
    for index, step in enumerate(job["steps"]):
        if index < start and index not in replay:
            continue
        _emit(f"{pending}S {index}")
        try:
            values = _run_step(step, namespace, test_ns)
        except _BaseException as exc:
            _flush()
            pending = f"F {index} {_error(exc)}\n"
            if stop:
                break
            continue
        pending = f"O {index} {values}\n"
    _flush()
    _emit(pending + "D")


def _run_step(step: dict[str, Any], namespace: dict[str, Any], test_ns: dict[str, Any]) -> str:
    kind = step["k"]
    if kind == "exec":
        exec(compile(step["src"], "test.py", "exec"), test_ns)
        return "[]"
    if kind == "eval":
        observed = [eval(compile(src, "test.py", "eval"), test_ns) for src in step["src"]]
        return _encode(observed)
    if kind == "call":
        function = namespace.get(step["fn"])
        if function is None and isinstance(namespace.get("Solution"), type):
            function = getattr(namespace["Solution"](), step["fn"], None)  # LeetCode style
        if function is None:
            raise NameError(f"name {step['fn']!r} is not defined")
        args = _decode(step["args"])
        return _encode([function(*args)])
    raise ValueError(f"unknown step kind {kind!r}")
