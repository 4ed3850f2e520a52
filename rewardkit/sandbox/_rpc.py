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


class Reader:
    """Frames from one fd, read in chunks of up to 64 KiB: replies that are already waiting
    cost one ``read`` together, not two each. :meth:`pending` says whether the next frame is
    already here, so a caller can write out what it owes the parent before it would block.
    Every frame is still bounded by ``limit``."""

    def __init__(self, fd: int, limit: int = MAX_FRAME) -> None:
        self.fd = fd
        self.limit = limit
        self._buf = bytearray()
        self._pos = 0

    def pending(self) -> bool:
        """A whole frame (or an oversized header, which :meth:`recv` rejects) is buffered."""
        have = len(self._buf) - self._pos
        if have < _HEADER.size:
            return False
        size: int = _HEADER.unpack_from(self._buf, self._pos)[0]
        return size > self.limit or have >= _HEADER.size + size

    def recv(self) -> Any:
        """The next frame's JSON value; raises :class:`ProtocolError` on EOF or garbage."""
        self._fill(_HEADER.size)
        size = _HEADER.unpack_from(self._buf, self._pos)[0]
        if size > self.limit:
            raise ProtocolError(f"frame of {size} bytes exceeds the {self.limit}-byte limit")
        self._fill(_HEADER.size + size)
        start = self._pos + _HEADER.size
        body = bytes(self._buf[start : start + size])
        self._pos = start + size
        if self._pos > (1 << 16) and self._pos * 2 > len(self._buf):
            del self._buf[: self._pos]
            self._pos = 0
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise ProtocolError(f"malformed frame: {type(exc).__name__}") from None

    def _fill(self, size: int) -> None:
        while len(self._buf) - self._pos < size:
            missing = size - (len(self._buf) - self._pos)
            chunk = os.read(self.fd, max(missing, 1 << 16))
            if not chunk:
                raise ProtocolError("channel closed")
            self._buf += chunk


def _read_exact(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise ProtocolError("channel closed")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_json_object(fd: int, what: str) -> dict[str, Any]:
    """Read ``fd`` to its end, close it, and return the JSON object it held.

    For one-shot hand-overs from the trusted side (a job's spec, a ready pair's job),
    written whole and closed by the writer; anything but an object is refused.
    """
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    obj = json.loads(b"".join(chunks))
    if not isinstance(obj, dict):
        raise ValueError(f"{what} is not an object")
    return obj
