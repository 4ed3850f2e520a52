"""Length-prefixed frames between the test driver and the candidate process (a socketpair).

Both ends run jailed. The candidate's end is hostile: it may send anything, so the reader
bounds every frame (``MAX_FRAME``) and treats a short read, a bad length or bad JSON as a
protocol violation, never as data. Values inside frames are plain data written by
:mod:`._codec`; the two extra tags are ``{"h": [id, type, flags]}`` (a handle to an object
that lives in the candidate) and ``{"r": id}`` (the driver passing such a handle back).
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

_HEADER = struct.Struct(">I")
MAX_FRAME = 8 << 20

# Handle flags: what the driver may do with a remote object.
CALLABLE = 1
ITERATOR = 2


class ProtocolError(Exception):
    """The peer closed the channel or sent something that is not a frame."""


def send(fd: int, obj: Any) -> None:
    body = json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()
    send_raw(fd, body)


def send_raw(fd: int, body: bytes) -> None:
    data = memoryview(_HEADER.pack(len(body)) + body)
    while data:
        data = data[os.write(fd, data) :]


def recv(fd: int, limit: int = MAX_FRAME) -> Any:
    """The next frame's JSON value; raises :class:`ProtocolError` on EOF or garbage."""
    size = _HEADER.unpack(_read_exact(fd, _HEADER.size))[0]
    if size > limit:
        raise ProtocolError(f"frame of {size} bytes exceeds the {limit}-byte limit")
    try:
        return json.loads(_read_exact(fd, size))
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"malformed frame: {type(exc).__name__}") from None


def _read_exact(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise ProtocolError("channel closed")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
