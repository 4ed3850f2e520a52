"""The test driver: runs the test code in its own jailed process, calling the candidate remotely.

The candidate's code never runs in this interpreter. Its top-level names arrive as plain data
(copied) or as :class:`Remote` handles; calling a handle sends the arguments as plain data over
the socket and returns the reply as plain data or as another handle. A handle equals nothing,
orders with nothing and has no truth value, so a rigged ``__eq__``, a patched builtin or a
patched ``unittest`` in the candidate has nothing here to act on. Only this process holds the
result channel (fd 3), so every ``R``/``S``/``O``/``F``/``D`` record the parent reads, and every
``S`` line that re-arms the parent's per-test deadline, was written by trusted code.

The test source reaches this process through its own pipe (fd 5), streamed by the fork server
after both processes were forked, so it is never in the candidate's memory.
"""

from __future__ import annotations

import builtins
import importlib
import json
import os
import signal
import sys
from typing import Any, NoReturn

from . import _codec, _harness, _rpc

RESULT_FD = 3
SOCKET_FD = 4
SPEC_FD = 5


class _Channel:
    """The driver's end of the socket; one request, one reply, in order."""

    def __init__(self, fd: int, limit: int) -> None:
        self.fd = fd
        self.limit = limit
        self.reader = _rpc.Reader(fd, limit)

    def ask(self, text: str, iterating: bool = False) -> Any:
        _records.flush()  # the reply may never come: the parent must have seen the step
        _rpc.send_raw(self.fd, text.encode())
        return self.receive(iterating)

    def receive(self, iterating: bool = False) -> Any:
        """The next reply: its value, or the candidate's exception raised here. Only a
        ``next`` may end an iteration: a StopIteration out of a plain call would silently
        truncate ``map``/``all`` in the test."""
        if not self.reader.pending():
            _records.flush()  # about to block on the candidate
        reply = self.reader.recv()
        if not isinstance(reply, dict):
            raise _rpc.ProtocolError("reply is not an object")
        if "x" in reply:
            raise _remote_exception(reply["x"])
        if "stop" in reply:
            if iterating:
                raise StopIteration
            raise RemoteError("StopIteration outside iteration")
        if "v" not in reply:
            raise _rpc.ProtocolError("reply has no value")
        value = decode(reply["v"])
        if "m" in reply:
            return value, decode(reply["m"])
        return value

    def call(self, handle: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        mutable = any(type(a) in (list, dict, set) for a in args)
        text = (
            f'{{"op":"call","h":{handle},"a":{_codec.encode(list(args), _ref)},'
            f'"k":{_codec.encode(kwargs, _ref)},"m":{"true" if mutable else "false"}}}'
        )
        answer = self.ask(text)
        if not mutable:
            return answer
        if not (isinstance(answer, tuple) and len(answer) == 2):
            raise _rpc.ProtocolError("call reply without the arguments")
        value, after = answer
        if isinstance(after, list):
            for before, now in zip(args, after, strict=False):
                _copy_back(before, now)
        return value


class _Records:
    """The driver's records for the parent (fd 3), written in batches.

    A record must reach the parent before the driver can block: an ``S k`` starts test k's
    deadline on the parent's clock, so it is flushed before every wait on the candidate and
    before any test code runs. Records of steps whose replies were already waiting are
    written together, one ``write`` instead of one per step (and one wake-up of the server).
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.size = 0

    def add(self, text: str) -> None:
        self.lines.append(text)
        self.size += len(text)
        if self.size > 1 << 16:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            text = "\n".join(self.lines)
            self.lines.clear()
            self.size = 0
            _harness._emit(text)


_records = _Records()
_channel: _Channel | None = None


class RemoteError(Exception):
    """An exception the candidate raised whose class is not a builtin exception."""


class Remote:
    """A handle to an object that lives in the candidate process."""

    __slots__ = ("_flags", "_id", "_type")

    def __init__(self, handle: int, type_name: str, flags: int) -> None:
        self._id = handle
        self._type = type_name
        self._flags = flags

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _live().call(self._id, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _live().ask(f'{{"op":"attr","h":{self._id},"n":{json.dumps(name)}}}')

    def __iter__(self) -> Any:
        if self._flags & _rpc.ITERATOR:
            return self
        return _live().ask(f'{{"op":"iter","h":{self._id}}}')

    def __next__(self) -> Any:
        return _live().ask(f'{{"op":"next","h":{self._id}}}', iterating=True)

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise TypeError(f"a remote {self._type} has no truth value here")

    def __repr__(self) -> str:
        return f"<remote {self._type}>"


def _live() -> _Channel:
    if _channel is None:
        raise _rpc.ProtocolError("no candidate")
    return _channel


def _ref(value: object) -> str:
    if type(value) is Remote:
        return '{"r":' + str(value._id) + "}"
    return '{"u":' + json.dumps(type(value).__name__[:80]) + "}"


def _hook(tag: str, body: Any) -> Any:
    if tag == "h" and isinstance(body, list) and len(body) == 3:
        handle, name, flags = body
        if type(handle) is int and type(name) is str and type(flags) is int:
            return Remote(handle, name[:80], flags)
    raise ValueError(f"unknown tag {tag!r}")


def decode(obj: Any) -> Any:
    try:
        return _codec._decode(obj, _hook)
    except (ValueError, TypeError, RecursionError, KeyError):
        return _codec.Opaque("malformed")


def _copy_back(before: Any, now: Any) -> None:
    """Make an argument the test still holds reflect the candidate's in-place changes."""
    if type(before) is list and type(now) is list:
        before[:] = now
    elif type(before) is dict and type(now) is dict:
        before.clear()
        before.update(now)
    elif type(before) is set and type(now) is set:
        before.clear()
        before.update(now)


_NOT_RAISED = (StopIteration, StopAsyncIteration)  # would end a loop of the test's quietly


def _remote_exception(error: Any) -> BaseException:
    """The candidate's exception as a driver-side one: a builtin class by name, else
    :class:`RemoteError` (so ``except ValueError`` in a test still works)."""
    error = decode(error)
    if not isinstance(error, dict):
        return RemoteError("malformed error")
    name, message = str(error.get("e", "Error"))[:80], str(error.get("m", ""))[:300]
    if error.get("mem") is True:
        return MemoryError(message)
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception) and cls not in _NOT_RAISED:
        try:
            return cls(message)
        except Exception:
            pass
    return RemoteError(f"{name}: {message}")


def _read_spec() -> dict[str, Any]:
    return _rpc.read_json_object(SPEC_FD, "driver spec")


def run(job: dict[str, Any]) -> NoReturn:
    """Run one job's steps against the candidate, then exit."""
    global _channel
    try:
        spec = _read_spec()
    except BaseException as exc:
        _harness._emit(f"X driver spec: {type(exc).__name__}: {exc}"[:500])
        os._exit(71)
    # No handlers: as pid 1 of the job's namespace, the driver then receives no signal at all
    # from the candidate (the kernel drops signals to an init without a handler for them).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # The server's sys.stdin/stdout/stderr objects stay: fds 0-2 are /dev/null here, and
    # nothing of a test's output is read.
    _channel = _Channel(SOCKET_FD, int(job.get("frame_limit", _rpc.MAX_FRAME)))
    _harness._emit("R\nS -1")
    try:
        hello = _channel.reader.recv()
        names = _load(hello, spec)
    except _rpc.ProtocolError as exc:
        _died(exc, -1, "")
    except BaseException as exc:
        _records.add("F -1 " + _harness._error(exc) + "\nD")
        _records.flush()
        os._exit(0)
    _steps(spec, names)
    os._exit(0)


def _died(exc: _rpc.ProtocolError, index: int, pending: str) -> NoReturn:
    """The candidate went away (the parent reads why from its exit status) or broke the
    protocol (a failure of this step)."""
    if str(exc) == "channel closed":
        if pending:
            _records.add(pending.rstrip("\n"))
        _records.flush()
        os._exit(0)
    _records.add(f"{pending}F {index} " + _harness._error(exc) + "\nD")
    _records.flush()
    os._exit(0)


def _load(hello: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """The test namespace: the trusted prompt's definitions, then the candidate's names."""
    if not isinstance(hello, dict):
        raise _rpc.ProtocolError("first message is not an object")
    if "x" in hello:
        raise _remote_exception(hello["x"])
    names = hello.get("names")
    if not isinstance(names, dict):
        raise _rpc.ProtocolError("first message has no names")
    namespace: dict[str, Any] = {"__name__": "__rk_test__"}
    prompt = spec.get("prompt")
    if isinstance(prompt, str) and prompt:
        exec(compile(prompt, "prompt.py", "exec"), namespace)
    entry_point = spec.get("entry")
    trusted = set(namespace) - {entry_point}
    for name, entry in names.items():
        if name in trusted or not name.isidentifier():
            continue
        if not (isinstance(entry, list) and len(entry) == 2):
            continue
        kind, value = entry
        if kind == "m" and isinstance(value, str):
            module = _trusted_module(value)
            if module is not None:
                namespace[name] = module
        elif kind == "v" and (name not in _RESERVED or name == entry_point):
            namespace[name] = decode(value)
    return namespace


# Names a candidate may not bind in the test namespace (unless it is the entry point): a test's
# ``abs(candidate(x) - y) < 1e-6`` or ``math.isclose(...)`` must use the real ones, not a
# same-named function of the candidate that returns 0 or True. An imported module is still
# bound, as the driver's own copy (see _trusted_module).
_RESERVED = frozenset(dir(builtins)) | frozenset(sys.stdlib_module_names)


def _trusted_module(name: str) -> Any:
    """The driver's own copy of a module the candidate imported (standard library or
    pre-imported only): tests often use a module only the prompt imported."""
    if name in sys.modules:
        return sys.modules[name]
    if name.partition(".")[0] not in sys.stdlib_module_names:
        return None
    try:
        return importlib.import_module(name)
    except Exception:
        return None


def _steps(spec: dict[str, Any], namespace: dict[str, Any]) -> None:
    stop = bool(spec.get("stop", True))
    start = int(spec.get("start", 0))
    replay = set(spec.get("replay", ()))
    test_ns = dict(namespace)
    test_ns["__rk_cmp__"] = _harness.safe_compare
    pending = "O -1 []\n"
    steps = spec["steps"]
    ahead = 0  # replies to batched calls still to be read, one per following step
    for index, step in enumerate(steps):
        if index < start and index not in replay:
            continue
        if not ahead:
            ahead = _send_batch(steps, index, test_ns)
        _records.add(f"{pending}S {index}")
        pending = ""
        try:
            if ahead:
                ahead -= 1
                values = _codec.encode([_live().receive()])  # flushes if it must wait
            else:
                _records.flush()  # test code may run for long
                values = _run_step(step, namespace, test_ns)
        except _rpc.ProtocolError as exc:
            _died(exc, index, pending)
        except BaseException as exc:
            pending = f"F {index} {_harness._error(exc)}\n"
            if stop:
                break
            continue
        pending = f"O {index} {values}\n"
    _records.add(pending + "D")
    _records.flush()


def _send_batch(steps: list[dict[str, Any]], first: int, test_ns: dict[str, Any]) -> int:
    """Send the pure calls of ``steps[first:]`` (up to the first other step) in one request;
    the candidate answers each in order, computing the next while this process judges the
    last. Per-test deadlines still start at each ``S`` record, never earlier than the test."""
    batch = []
    for step in steps[first:]:
        call = step.get("call")
        if not call or step.get("k") != "eval":
            break
        function = test_ns.get(call[0])
        if type(function) is not Remote:
            break
        batch.append(f'{{"h":{function._id},"a":{call[1]}}}')
    if len(batch) < 2:
        return 0
    _rpc.send_raw(_live().fd, ('{"op":"batch","calls":[' + ",".join(batch) + "]}").encode())
    return len(batch)


def _run_step(step: dict[str, Any], namespace: dict[str, Any], test_ns: dict[str, Any]) -> str:
    kind = step["k"]
    if kind == "exec":
        exec(compile(step["src"], "test.py", "exec"), test_ns)
        return "[]"
    if kind == "eval":
        observed = [eval(compile(src, "test.py", "eval"), test_ns) for src in step["src"]]
        return _codec.encode(observed)
    if kind == "call":
        function = namespace.get(step["fn"])
        solution = namespace.get("Solution")
        if function is None and type(solution) is Remote:
            function = getattr(solution(), step["fn"], None)  # LeetCode style
        if function is None:
            raise NameError(f"name {step['fn']!r} is not defined")
        return _codec.encode([function(*_codec.decode(step["args"]))])
    raise ValueError(f"unknown step kind {kind!r}")
