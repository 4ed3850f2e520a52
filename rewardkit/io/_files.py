"""Files and formats: which input format a path holds, and opening it for reading.

Why apart from the record parsing: these are the pieces that know about the
file system and optional libraries, not about records. A path's format comes
from its extension (a ``.gz`` suffix is looked through, a directory is a saved
HF dataset, ``-`` is stdin); text and binary openers decompress gzip and drop
the UTF-8 byte order mark editors on Windows write; stdin is sniffed one byte
at a time to tell JSONL from a JSON array, and :class:`_Prepend` puts that byte
back. ``pyarrow`` is imported only when a Parquet file is read or written, with
an error that names the extra to install. The two message helpers describe a
malformed JSON value the same way for every format.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterator
from typing import IO, Any, Final

from ._errors import InputError

__all__ = ["FORMATS", "detect_format"]

#: Input formats by name; ``detect_format`` maps file names onto them.
FORMATS: Final = ("jsonl", "json", "csv", "parquet", "hf")
_LINE_BASED: Final = frozenset({"jsonl", "csv"})


def detect_format(path: str) -> str:
    """The input format implied by ``path`` (``-`` is stdin JSONL or JSON array).

    Raises:
        InputError: for an unknown extension, listing the supported ones.
    """
    if path == "-":
        return "stdin"
    if os.path.isdir(path):
        return "hf"
    lower = path.lower().removesuffix(".gz")
    for ext, fmt in (
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".json", "json"),
        (".csv", "csv"),
        (".parquet", "parquet"),
        (".pq", "parquet"),
    ):
        if lower.endswith(ext):
            return fmt
    raise InputError(
        f"{path}: cannot tell the format from the extension; use .jsonl, .json, .csv, "
        ".parquet or a directory saved by datasets.save_to_disk"
    )


class _Prepend(io.RawIOBase):
    """A binary stream with a few already-read bytes pushed back in front (for stdin sniffing)."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def __iter__(self) -> Iterator[bytes]:  # type: ignore[override]
        first = True
        for line in self._stream:
            if first:
                line, first = self._head + line, False
            yield line
        if first and self._head:
            yield self._head


def _open_binary(path: str) -> IO[bytes]:
    if path.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb", buffering=1 << 20)


#: The UTF-8 byte order mark some editors put at the start of a file.
_BOM = b"\xef\xbb\xbf"


def _open_text(path: str) -> IO[str]:
    if path.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _import_pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(
            "reading or writing Parquet needs pyarrow: pip install 'rewardkit[parquet]'"
        ) from None
    return pq


def _short(exc: Any) -> str:
    msg = getattr(exc, "msg", "") or type(exc).__name__
    col = getattr(exc, "colno", None)
    return f"{msg} at column {col}" if col else str(msg)


def _json_type(obj: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    for t, name in names.items():
        if isinstance(obj, t):
            return name
    if isinstance(obj, (int, float)):
        return "a number"
    return type(obj).__name__
