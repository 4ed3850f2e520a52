"""Plain-data codec for observations crossing the sandbox boundary.

Only *exact* builtin types are encoded (``type(x) is int``, never ``isinstance``), so an object
with a rigged ``__eq__``/``__hash__`` or a subclass of ``int``/``list``/``str`` cannot survive
the trip: it arrives in the parent as an opaque marker that equals nothing. Tuples, sets, dicts,
bytes, complex numbers, big ints and non-finite floats are tagged so the parent gets back the
same Python value and can apply Python's own ``==``/``<``/``in`` to trusted objects.

The encoder writes JSON text itself (no ``json.dumps``), so patching the ``json`` module from
candidate code does not change what the harness reports.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any

Fallback = Callable[[object], str]  # JSON text for a value of no plain type
Hook = Callable[[str, Any], Any]  # decodes the extra tags a caller adds ("h", "r")

_MAX_DEPTH = 200
_MAX_NODES = 2_000_000


class Opaque:
    """Stand-in for a value that could not be encoded; never equal to anything."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        return False  # an unverifiable value never makes an assert pass

    def __repr__(self) -> str:
        return f"<unserialisable {self.type_name}>"


class _TooLarge(Exception):
    pass


def encode(value: object, fallback: Fallback | None = None) -> str:
    """JSON text for ``value``; unknown types become ``{"u": type name}``, or what
    ``fallback`` writes for them (the RPC layer's handles)."""
    parts: list[str] = []
    budget = [_MAX_NODES]
    try:
        _encode(value, parts, 0, budget, fallback)
    except _TooLarge:
        return '{"u":"too large"}'
    return "".join(parts)


def _encode(
    x: object, out: list[str], depth: int, budget: list[int], fb: Fallback | None = None
) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooLarge
    t = type(x)
    if x is None:
        out.append("null")
    elif x is True:
        out.append("true")
    elif x is False:
        out.append("false")
    elif t is str:
        out.append(encode_basestring_ascii(x))  # type: ignore[arg-type]
    elif t is int:
        if -(2**53) < x < 2**53:  # type: ignore[operator]
            out.append(int.__repr__(x))  # type: ignore[arg-type]
        else:
            out.append('{"i":"' + int.__format__(x, "x") + '"}')  # type: ignore[arg-type]
    elif t is float:
        if math.isfinite(x):  # type: ignore[arg-type]
            out.append(float.__repr__(x))  # type: ignore[arg-type]
        else:
            out.append('{"f":"' + float.__repr__(x) + '"}')  # type: ignore[arg-type]
    elif depth >= _MAX_DEPTH:
        out.append('{"u":"too deep"}')
    elif t is list or t is tuple or t is set or t is frozenset:
        tag = {list: None, tuple: "t", set: "s", frozenset: "z"}[t]
        out.append("[" if tag is None else '{"' + tag + '":[')
        first = True
        for item in x:  # type: ignore[attr-defined]
            if not first:
                out.append(",")
            first = False
            _encode(item, out, depth + 1, budget, fb)
        out.append("]" if tag is None else "]}")
    elif t is dict:
        out.append('{"d":[')
        first = True
        pairs: Any = dict.items(x)  # type: ignore[arg-type]
        for key, item in pairs:
            out.append("[" if first else ",[")
            first = False
            _encode(key, out, depth + 1, budget, fb)
            out.append(",")
            _encode(item, out, depth + 1, budget, fb)
            out.append("]")
        out.append("]}")
    elif t is bytes:
        out.append('{"b":"' + bytes.hex(x) + '"}')  # type: ignore[arg-type]
    elif t is complex:
        out.append('{"c":[')
        _encode(complex.__getattribute__(x, "real"), out, depth + 1, budget, fb)  # type: ignore[arg-type]
        out.append(",")
        _encode(complex.__getattribute__(x, "imag"), out, depth + 1, budget, fb)  # type: ignore[arg-type]
        out.append("]}")
    elif fb is not None:
        out.append(fb(x))
    else:
        try:
            name = str(type.__getattribute__(t, "__qualname__"))
        except Exception:
            name = "object"
        out.append('{"u":' + encode_basestring_ascii(name[:80]) + "}")


def decode(text: str, hook: Hook | None = None) -> Any:
    """Inverse of :func:`encode`; malformed input becomes an :class:`Opaque` value.
    ``hook(tag, body)`` decodes tags this module does not know."""
    try:
        return _decode(json.loads(text), hook)
    except (ValueError, TypeError, RecursionError, KeyError):
        return Opaque("malformed")


def decode_obj(obj: object) -> Any:
    """Like :func:`decode` for an already parsed JSON value."""
    try:
        return _decode(obj)
    except (ValueError, TypeError, RecursionError, KeyError):
        return Opaque("malformed")


def _decode(x: object, hook: Hook | None = None) -> Any:
    if isinstance(x, list):
        return [_decode(i, hook) for i in x]
    if not isinstance(x, dict):
        return x
    if len(x) != 1:
        raise ValueError("bad tag")
    ((tag, body),) = x.items()
    if tag == "t":
        return tuple(_decode(i, hook) for i in body)
    if tag == "s":
        return {_decode(i, hook) for i in body}
    if tag == "z":
        return frozenset(_decode(i, hook) for i in body)
    if tag == "d":
        return {_decode(k, hook): _decode(v, hook) for k, v in body}
    if tag == "i":
        return int(body, 16)
    if tag == "f":
        return float(body)
    if tag == "b":
        return bytes.fromhex(body)
    if tag == "c":
        return complex(_decode(body[0], hook), _decode(body[1], hook))
    if tag == "u":
        return Opaque(str(body))
    if hook is not None:
        return hook(tag, body)
    raise ValueError(f"unknown tag {tag!r}")
