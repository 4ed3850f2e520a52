"""Record readers: JSONL, JSON array, CSV, Parquet, HF ``datasets`` directories and stdin.

Every record carries where it came from (``Record.line``: a physical line for
JSONL and CSV, a 1-based row number for the other formats) so that an error can
say ``data.jsonl:17: ...`` instead of "row 16". A malformed record is reported
and skipped (and counted) unless the source is strict, because one bad line in a
100,000-line file of model output should not throw away the other 99,999 — but
CI may want the opposite, hence ``strict``.

Optional formats import their library lazily (``pyarrow``, ``datasets``) and
fail with a message that names the extra to install. Telling formats apart and
opening files (gzip, byte order marks, stdin) is :mod:`._files`.
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, Any

import orjson

from ._errors import InputError
from ._files import (
    _BOM,
    _LINE_BASED,
    FORMATS,
    _import_pyarrow_parquet,
    _json_type,
    _open_binary,
    _open_text,
    _Prepend,
    _short,
    detect_format,
)

__all__ = ["FORMATS", "Record", "RecordSource", "detect_format", "open_records", "parse_maps"]


class Record:
    """One input row plus its position: ``line`` (JSONL/CSV) or 1-based row number."""

    __slots__ = ("line", "row")

    def __init__(self, line: int, row: dict[str, Any]) -> None:
        self.line = line
        self.row = row

    def __repr__(self) -> str:
        return f"Record(line={self.line}, row={self.row!r})"


def parse_maps(specs: Sequence[str]) -> dict[str, str]:
    """Parse ``--map FIELD=COLUMN`` flags into ``{FIELD: COLUMN}``.

    FIELD is the name a reward asks for; COLUMN is where the data keeps it.

    Raises:
        InputError: for a flag without ``=`` or with an empty side.
    """
    out: dict[str, str] = {}
    for spec in specs:
        field, sep, column = spec.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            raise InputError(f"--map {spec!r}: expected FIELD=COLUMN, e.g. --map answer=solution")
        out[field] = column
    return out


class RecordSource:
    """An iterable of :class:`Record` with error accounting.

    Args:
        path: a file, an HF ``datasets`` directory, or ``-`` for stdin.
        strict: raise :class:`InputError` on the first malformed record instead
            of reporting and skipping it.
        on_skip: called with ``"FILE:LINE: reason"`` for each skipped record.
        fmt: force a format (default: from the extension).
        split: the split to read from a saved ``DatasetDict``.

    Attributes:
        skipped: malformed records skipped so far.
        total: number of records when cheaply known (for progress bars), else None.
    """

    def __init__(
        self,
        path: str,
        *,
        strict: bool = False,
        on_skip: Callable[[str], None] | None = None,
        fmt: str | None = None,
        split: str | None = None,
        stdin: IO[bytes] | None = None,
    ) -> None:
        self.path = path
        self.strict = strict
        self.on_skip = on_skip
        self.split = split
        self.format = fmt or detect_format(path)
        if self.format not in FORMATS and self.format != "stdin":
            raise InputError(f"unknown input format {self.format!r}; valid ones are {FORMATS}")
        if path != "-" and not os.path.exists(path):
            raise InputError(f"{path}: no such file or directory")
        self._stdin = stdin
        self.skip_until = 0
        self.skipped = 0
        self.total: int | None = None

    # -- positions and errors ------------------------------------------------------
    def where(self, line: int) -> str:
        """``FILE:LINE`` for line-based formats, ``FILE#ROW`` for the others."""
        name = "<stdin>" if self.path == "-" else self.path
        sep = ":" if self.format in _LINE_BASED else "#"
        return f"{name}{sep}{line}"

    def report_bad(self, line: int, reason: str) -> None:
        """Report and count (or, when strict, raise for) a malformed record at ``line``."""
        self._bad(line, reason)

    def _bad(self, line: int, reason: str) -> None:
        if line <= self.skip_until:  # already reported and counted by the interrupted run
            return
        message = f"{self.where(line)}: {reason}"
        if self.strict:
            raise InputError(message, path=self.path, line=line)
        self.skipped += 1
        if self.on_skip is not None:
            self.on_skip(message)

    # -- counting (progress bars) -----------------------------------------------------
    def count(self) -> int | None:
        """Number of records, when it is cheap to know (a newline count for JSONL)."""
        if self.format == "jsonl":
            n = 0
            last = b"\n"
            with _open_binary(self.path) as f:
                while chunk := f.read(1 << 20):
                    n += chunk.count(b"\n")
                    last = chunk[-1:]
            self.total = n + (last != b"\n")
        elif self.format == "parquet":
            pq = _import_pyarrow_parquet()
            self.total = int(pq.ParquetFile(self.path).metadata.num_rows)
        return self.total

    # -- iteration -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Record]:
        """Records in input order, skipping positions up to ``skip_until`` (resume)."""
        if self.skip_until and self.format not in ("jsonl", "stdin"):
            skip = self.skip_until
            return (r for r in self._records() if r.line > skip)
        return self._records()

    def _records(self) -> Iterator[Record]:
        fmt = self.format
        if fmt == "stdin":
            yield from self._stdin_records()
        elif fmt == "jsonl":
            with _open_binary(self.path) as f:
                yield from self._jsonl(f)
        elif fmt == "json":
            with _open_binary(self.path) as f:
                data = f.read()
            yield from self._json_array(data[len(_BOM) :] if data.startswith(_BOM) else data)
        elif fmt == "csv":
            yield from self._csv()
        elif fmt == "parquet":
            yield from self._parquet()
        else:
            yield from self._hf()

    def _stdin_records(self) -> Iterator[Record]:
        stream = self._stdin if self._stdin is not None else sys.stdin.buffer
        head = b""
        while True:
            ch = stream.read(1)
            if not ch or not ch.isspace():
                head = ch
                break
        if head == b"[":
            self.format = "json"
            yield from self._json_array(head + stream.read())
            return
        self.format = "jsonl"
        yield from self._jsonl(_Prepend(head, stream))

    def _jsonl(self, f: Any) -> Iterator[Record]:
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        skip = self.skip_until
        for lineno, raw in enumerate(f, 1):
            if lineno == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]  # editors on Windows start UTF-8 files with a BOM
            if lineno <= skip or not raw.strip():
                continue
            try:
                obj = loads(raw)
            except decode_error as exc:
                self._bad(lineno, f"invalid JSON ({_short(exc)})")
                continue
            if type(obj) is not dict:
                self._bad(lineno, f"expected a JSON object, got {_json_type(obj)}")
                continue
            yield Record(lineno, obj)

    # -- blocks of JSONL (for scoring in several processes) ----------------------------
    def raw_blocks(self, size: int) -> Iterator[tuple[int, bytes]]:
        """Contiguous blocks of whole JSONL lines after ``skip_until``: (first line, bytes).

        Each block holds about ``size`` bytes and ends at a line end (or at the end
        of the input); :meth:`parse_block` turns one into records.
        """
        if self.format != "jsonl":
            raise InputError(f"{self.path}: blocks are only read from JSONL files")
        with _open_binary(self.path) as f:
            line = 1
            for _ in range(self.skip_until):
                if not f.readline():
                    return
                line += 1
            while data := f.read(size):
                if not data.endswith(b"\n"):
                    data += f.readline()
                yield line, data
                line += data.count(b"\n")

    def parse_block(
        self, first_line: int, data: bytes
    ) -> tuple[list[Record], list[tuple[int, str]]]:
        """Records of one :meth:`raw_blocks` block, and (line, reason) for malformed ones.

        Parses exactly as iterating the source does, but reports nothing: the
        caller passes each malformed line to :meth:`report_bad`, in order.
        """
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        lines = data.split(b"\n")
        complete = len(lines) - 1  # lines that ended with a newline
        if not lines[-1]:
            lines.pop()
        records: list[Record] = []
        bad: list[tuple[int, str]] = []
        for i, raw in enumerate(lines):
            if i == 0 and first_line == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            if not raw.strip():
                continue
            try:
                obj = loads(raw)
            except decode_error:
                try:  # the message as iteration gives it, which sees the newline
                    loads(raw + b"\n" if i < complete else raw)
                except decode_error as exc:
                    bad.append((first_line + i, f"invalid JSON ({_short(exc)})"))
                continue
            if type(obj) is not dict:
                bad.append((first_line + i, f"expected a JSON object, got {_json_type(obj)}"))
                continue
            records.append(Record(first_line + i, obj))
        return records, bad

    def _json_array(self, data: bytes) -> Iterator[Record]:
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            line = data.count(b"\n", 0, exc.pos) + 1
            raise InputError(
                f"{self.path}:{line}: invalid JSON ({_short(exc)})", path=self.path, line=line
            ) from None
        if isinstance(obj, dict):
            # A single object, or {"data": [...]} as some exports write it.
            lists = [v for v in obj.values() if isinstance(v, list)]
            obj = lists[0] if len(lists) == 1 else [obj]
        if not isinstance(obj, list):
            raise InputError(
                f"{self.path}: expected a JSON array of objects, got {_json_type(obj)}"
            )
        for i, item in enumerate(obj, 1):
            if type(item) is not dict:
                self._bad(i, f"expected a JSON object, got {_json_type(item)}")
                continue
            yield Record(i, item)

    def _csv(self) -> Iterator[Record]:
        with _open_text(self.path) as f:
            reader = csv.reader(f)
            try:
                header = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputError(f"{self.where(1)}: invalid CSV header ({exc})") from None
            width = len(header)
            start = reader.line_num + 1
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    self._bad(start, f"invalid CSV ({exc})")
                    start = reader.line_num + 1
                    continue
                line, start = start, reader.line_num + 1
                if not values:
                    continue
                if len(values) != width:
                    self._bad(line, f"expected {width} fields, got {len(values)}")
                    continue
                yield Record(line, dict(zip(header, values, strict=True)))

    def _parquet(self) -> Iterator[Record]:
        pq = _import_pyarrow_parquet()
        try:
            pf = pq.ParquetFile(self.path)
        except Exception as exc:
            raise InputError(f"{self.path}: cannot read Parquet ({exc})") from exc
        i = 0
        for batch in pf.iter_batches(batch_size=4096):
            for row in batch.to_pylist():
                i += 1
                yield Record(i, row)

    def _hf(self) -> Iterator[Record]:
        try:
            import datasets
        except ImportError:
            raise InputError(
                f"{self.path} looks like a directory saved by HF datasets; reading it needs "
                "the datasets package: pip install 'rewardkit[trl]' (or pip install datasets)"
            ) from None
        try:
            ds: Any = datasets.load_from_disk(self.path)
        except Exception as exc:
            raise InputError(
                f"{self.path}: not a dataset saved by datasets.save_to_disk ({exc})"
            ) from exc
        if isinstance(ds, Mapping):
            splits = sorted(ds)
            if self.split is None and len(splits) == 1:
                self.split = splits[0]
            if self.split not in ds:
                raise InputError(
                    f"{self.path} holds splits {', '.join(splits)}; pick one with --split NAME"
                )
            ds = ds[self.split]
        self.total = len(ds)
        for i, row in enumerate(ds, 1):
            yield Record(i, dict(row))


def open_records(
    path: str,
    *,
    strict: bool = False,
    on_skip: Callable[[str], None] | None = None,
    split: str | None = None,
) -> RecordSource:
    """Open ``path`` for reading records (see :class:`RecordSource`)."""
    return RecordSource(path, strict=strict, on_skip=on_skip, split=split)
