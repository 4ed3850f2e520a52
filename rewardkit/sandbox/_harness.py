"""The in-sandbox runner of script jobs (stdin/stdout tests and ``execute``), and helpers the
candidate and the test driver share (stream setup, error records, ``safe_compare``).

A script job writes one line per event to fd 3: ``R`` (ready), ``S -1`` (the program starts),
``O -1 []`` (it ran to its end), ``F -1 <json error>`` (it raised), ``D`` (done). These records
only explain a failure: the parent passes a script on its own observations (exit status and the
stdout it compares), and gives it one deadline that no record can move. Test-suite jobs never
run here: see :mod:`._driver` and :mod:`._candidate`.
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
        code = _run_script(job)
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
