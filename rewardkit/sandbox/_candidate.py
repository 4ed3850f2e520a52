"""The candidate process: loads the untrusted code and answers the test driver's calls.

This process holds no test, no expected value and no result channel: its only ways out are
stdout/stderr (capped by the fork server, never read for a verdict in test mode) and the
socket to the driver. Everything here can be rewritten by the candidate's own code (the
codec, this loop, builtins); that is fine, because the driver trusts nothing it receives
beyond plain data, and plain data is what any honest program could have returned.

Values that are not plain data stay here in a handle table; the driver gets a handle it can
call, iterate or read attributes of, each one more round trip.
"""

from __future__ import annotations

import os
import sys
import types
from json.encoder import encode_basestring_ascii
from typing import Any, NoReturn

from . import _codec, _harness, _rpc

_NAMES_INLINE = 1 << 16  # larger plain globals are sent as handles, not copied


class _Table:
    """Objects the driver holds handles to, and the codec hooks that produce them."""

    def __init__(self) -> None:
        self.objects: list[Any] = []

    def handle(self, value: object) -> str:
        plain = _numpy_plain(value)
        if plain is not _NOT_PLAIN:
            return _codec.encode(plain, self.handle)
        flags = _rpc.CALLABLE if callable(value) else 0
        if hasattr(type(value), "__next__"):
            flags |= _rpc.ITERATOR
        try:
            name = str(type.__getattribute__(type(value), "__qualname__"))[:80]
        except Exception:
            name = "object"
        return self.store(value, name, flags)

    def store(self, value: object, name: str, flags: int) -> str:
        self.objects.append(value)
        index = len(self.objects) - 1
        return f'{{"h":[{index},{encode_basestring_ascii(name)},{flags}]}}'

    def resolve(self, tag: str, body: Any) -> Any:
        if tag == "r" and type(body) is int and 0 <= body < len(self.objects):
            return self.objects[body]
        raise ValueError(f"unknown tag {tag!r}")

    def encode(self, value: object) -> str:
        return _codec.encode(value, self.handle)


_NOT_PLAIN = object()


def _numpy_plain(value: object) -> Any:
    """numpy scalars and arrays as the plain values they stand for (``np.int64(3)`` -> 3)."""
    module = getattr(type(value), "__module__", "") or ""
    if module == "numpy" or module.startswith("numpy."):
        convert = getattr(value, "tolist", None)
        if convert is not None:
            try:
                return convert()
            except Exception:
                return _NOT_PLAIN
    return _NOT_PLAIN


def serve(job: dict[str, Any], sock: int) -> NoReturn:
    """Load the code, announce its names, then serve requests until the driver hangs up."""
    _harness._streams("solution")
    namespace = sys.modules["solution"].__dict__
    table = _Table()
    try:
        exec(compile(job["code"], "solution.py", "exec"), namespace)
    except BaseException as exc:
        _harness._flush()
        _send(sock, '{"x":' + _harness._error(exc) + "}")
        os._exit(1)
    _harness._flush()
    _send(sock, '{"names":' + _names(namespace, table) + "}")
    while True:
        try:
            request = _rpc.recv(sock)
        except BaseException:
            break
        if isinstance(request, dict) and request.get("op") == "batch":
            for call in request.get("calls", ()):
                _send(sock, _answer({"op": "call", "k": {"d": []}, **call}, table))
        else:
            _send(sock, _answer(request, table))
        _harness._flush()
    _harness._flush()
    os._exit(0)


def _names(namespace: dict[str, Any], table: _Table) -> str:
    parts = []
    for name, value in list(namespace.items()):
        if name.startswith("__") or not isinstance(name, str):
            continue
        if isinstance(value, types.ModuleType):
            entry = '["m",' + _codec.encode(value.__name__) + "]"
        else:
            text = table.encode(value)
            if len(text) > _NAMES_INLINE:
                text = table.store(value, "large value", 0)
            entry = '["v",' + text + "]"
        parts.append(_codec.encode(name) + ":" + entry)
    return "{" + ",".join(parts) + "}"


def _answer(request: Any, table: _Table) -> str:
    try:
        op = request["op"]
        target = table.objects[request["h"]]
        if op == "call":
            args = _codec._decode(request["a"], table.resolve)
            kwargs = _codec._decode(request.get("k", {"d": []}), table.resolve)
            result = target(*args, **kwargs)
            reply = '{"v":' + table.encode(result)
            if request.get("m"):
                reply += ',"m":' + table.encode(args)
            return reply + "}"
        if op == "attr":
            return '{"v":' + table.encode(getattr(target, str(request["n"]))) + "}"
        if op == "iter":
            return '{"v":' + table.handle(iter(target)) + "}"
        if op == "next":
            try:
                return '{"v":' + table.encode(next(target)) + "}"
            except StopIteration:
                return '{"stop":1}'
        raise ValueError(f"unknown operation {op!r}")
    except BaseException as exc:
        return '{"x":' + _harness._error(exc) + "}"


def _send(sock: int, text: str) -> None:
    _rpc.send_raw(sock, text.encode("utf-8", "replace"))
