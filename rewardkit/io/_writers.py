"""Atomic, resumable output: rows go to a partial file, progress to a fsynced sidecar.

A scoring run over a large file can be stopped by Ctrl-C, a pre-empted node or
``kill -9``. Two promises hold in every case:

* the output path never holds a half-written file: rows are appended to
  ``OUT.rewardkit-partial`` (same directory, so the final ``os.replace`` is an
  atomic rename on one file system) and the output appears only when complete;
* ``--resume`` loses and duplicates nothing: every commit first fsyncs the
  partial file, then atomically replaces the sidecar ``OUT.rewardkit-partial.json``
  with the committed byte offset, row count and the last input position. Bytes
  past the offset (written after the last commit) are truncated on resume, and
  input up to the recorded position is skipped, so the final file is
  byte-identical to an uninterrupted run's.

Commits are batched by time (``commit_interval``), because an fsync per row
would cost more than scoring format rewards does.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator, Mapping
from typing import IO, Any, Final

import orjson

from ._errors import InputError, ResumeError

__all__ = [
    "PARTIAL_SUFFIX",
    "ResumableWriter",
    "atomic_write_bytes",
    "dumps_row",
    "fsync_dir",
    "output_format",
]

PARTIAL_SUFFIX: Final = ".rewardkit-partial"
_STATE_VERSION: Final = 1
_ORJSON_OPTS: Final = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _default(obj: Any) -> Any:
    # Parquet/datasets may hand over bytes, Decimals, sets...; keep the run going with text.
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return str(obj)


def dumps_row(row: Mapping[str, Any]) -> bytes:
    """One JSONL line (with ``\\n``); key order is the row's insertion order."""
    return orjson.dumps(row, default=_default, option=_ORJSON_OPTS | orjson.OPT_APPEND_NEWLINE)


def output_format(path: str) -> str:
    """``jsonl`` or ``parquet`` from the output extension.

    Raises:
        InputError: for any other extension.
    """
    lower = path.lower()
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lower.endswith((".parquet", ".pq")):
        return "parquet"
    raise InputError(f"output {path!r}: use a .jsonl or .parquet file name (or omit -o for stdout)")


def fsync_dir(path: str) -> None:
    """Make a rename inside ``path``'s directory durable (a no-op where unsupported)."""
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)) or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` via a fsynced temp file in the same directory + ``os.replace``."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    fd, tmp = tempfile.mkstemp(prefix=".rewardkit-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with _suppress():
            os.unlink(tmp)
        raise
    fsync_dir(path)


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True


class ResumableWriter:
    """Append JSONL rows to a partial file with periodic durable commits.

    Args:
        path: the final output (``.jsonl`` or ``.parquet``).
        fingerprint: what makes two runs "the same run" (input identity,
            rewards, options). ``--resume`` refuses a partial made with another.
        resume: continue from an existing partial; without it any partial is
            discarded and the run starts over.
        commit_interval: seconds between fsync commits.

    Attributes:
        rows: rows in the output so far (committed on resume + written now).
        input_line: input position of the last row handed to :meth:`write`.
        resumed_rows: rows recovered from the partial file.
        meta: free-form counters saved with each commit (e.g. skipped lines).
    """

    def __init__(
        self,
        path: str,
        *,
        fingerprint: Mapping[str, Any],
        resume: bool = False,
        commit_interval: float = 1.0,
    ) -> None:
        self.path = path
        self.format = output_format(path)
        self.partial = path + PARTIAL_SUFFIX
        self.state_path = self.partial + ".json"
        self.fingerprint = dict(fingerprint)
        self.commit_interval = commit_interval
        self.rows = 0
        self.bytes = 0
        self.input_line = 0
        self.resumed_rows = 0
        self.meta: dict[str, Any] = {}
        self._lock: int | None = None
        self._last_commit = time.monotonic()
        self._dirty = False
        self.lock_path = path + LOCK_SUFFIX
        self._lock = _take_lock(self.lock_path, path)
        try:
            if resume and os.path.exists(self.state_path) and os.path.exists(self.partial):
                self._f = self._reopen()
            else:
                # Nothing committed yet (a run killed before its first commit, or none at
                # all): resuming means starting from the first row.
                self._f = open(self.partial, "wb")  # noqa: SIM115 - closed in finish/close
                with _suppress():
                    os.unlink(self.state_path)
        except BaseException:
            self._release()
            raise

    # -- resume -------------------------------------------------------------------------
    def _reopen(self) -> IO[bytes]:
        if not os.path.exists(self.state_path) or not os.path.exists(self.partial):
            raise ResumeError(
                f"--resume: no interrupted run of {self.path} to continue (no "
                f"{os.path.basename(self.state_path)}); run again without --resume"
            )
        try:
            state = orjson.loads(open(self.state_path, "rb").read())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ResumeError(f"--resume: cannot read {self.state_path}: {exc}") from exc
        if state.get("version") != _STATE_VERSION or state.get("fingerprint") != _jsonable(
            self.fingerprint
        ):
            theirs = state.get("fingerprint") or {}
            changed = sorted(
                k
                for k in set(theirs) | set(self.fingerprint)
                if theirs.get(k) != _jsonable(self.fingerprint).get(k)
            )
            raise ResumeError(
                f"--resume: the interrupted run of {self.path} used different "
                f"{', '.join(changed) or 'settings'}; rerun without --resume to start over"
            )
        size = os.path.getsize(self.partial)
        committed = int(state["bytes"])
        if size < committed:
            raise ResumeError(
                f"--resume: {self.partial} is shorter ({size} bytes) than its committed "
                f"length ({committed}); it was modified, start over without --resume"
            )
        f = open(self.partial, "r+b")  # noqa: SIM115 - closed in finish/close
        f.truncate(committed)  # drop rows written after the last commit
        f.seek(committed)
        self.bytes = committed
        self.rows = self.resumed_rows = int(state["rows"])
        self.input_line = int(state["input_line"])
        self.meta = dict(state.get("meta") or {})
        return f

    def committed_rows(self) -> Iterator[dict[str, Any]]:
        """Rows already in the partial file (to rebuild summaries after a resume)."""
        with open(self.partial, "rb") as f:
            remaining = self.bytes
            for line in f:
                remaining -= len(line)
                if remaining < 0:
                    break
                yield orjson.loads(line)

    # -- writing --------------------------------------------------------------------------
    def write(self, chunk: bytes, rows: int, input_line: int) -> None:
        """Append ``rows`` encoded JSONL rows consumed up to input position ``input_line``."""
        self._f.write(chunk)
        self.bytes += len(chunk)
        self.rows += rows
        self.input_line = input_line
        self._dirty = True
        if time.monotonic() - self._last_commit >= self.commit_interval:
            self.commit()

    def note_input(self, input_line: int) -> None:
        """Advance the input position without output (a trailing run of skipped lines)."""
        if input_line > self.input_line:
            self.input_line = input_line
            self._dirty = True

    def commit(self) -> None:
        """Make everything written so far durable and record it in the sidecar."""
        self._f.flush()
        os.fsync(self._f.fileno())
        state = {
            "version": _STATE_VERSION,
            "fingerprint": _jsonable(self.fingerprint),
            "bytes": self.bytes,
            "rows": self.rows,
            "input_line": self.input_line,
            "meta": self.meta,
        }
        atomic_write_bytes(self.state_path, orjson.dumps(state, option=orjson.OPT_INDENT_2))
        self._last_commit = time.monotonic()
        self._dirty = False

    def close(self) -> None:
        """Commit and close, keeping the partial so ``--resume`` can continue.

        A run that wrote no row leaves nothing behind: an empty partial has nothing
        to resume, and a later ``--resume`` starts from the first row anyway.
        """
        if not self._f.closed:
            if self._dirty:
                self.commit()
            self._f.close()
        if self.rows == 0:
            for leftover in (self.partial, self.state_path):
                with _suppress():
                    os.unlink(leftover)
        self._release()

    def _release(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            with _suppress():
                os.unlink(self.lock_path)
            os.close(lock)

    def finish(self) -> None:
        """Publish the output atomically and remove the partial and its sidecar."""
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()
        if self.format == "parquet":
            _jsonl_to_parquet(self.partial, self.path)
            os.unlink(self.partial)
        else:
            os.replace(self.partial, self.path)
        fsync_dir(self.path)
        with _suppress():
            os.unlink(self.state_path)
        self._release()


#: Suffix of the lock file that keeps two runs from writing the same output.
LOCK_SUFFIX: Final = ".rewardkit-lock"


def _take_lock(lock_path: str, path: str) -> int:
    """An exclusive ``flock`` on ``OUT.rewardkit-lock``, or :class:`InputError` at once.

    Two runs writing one output would interleave rows in the partial file and publish
    a corrupted result; the second one is told instead. The lock dies with the process,
    so a run killed with ``kill -9`` never blocks the next one.
    """
    import fcntl

    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise InputError(
            f"{path} is being written by another rewardkit run (lock {lock_path} is held); "
            "wait for it to finish or write to another file"
        ) from None
    return fd


def _jsonable(obj: Mapping[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(obj, default=_default))
    return loaded


def _jsonl_to_parquet(src: str, dest: str) -> None:
    from ._files import _import_pyarrow_parquet

    pq = _import_pyarrow_parquet()
    import pyarrow as pa

    with open(src, "rb") as f:
        rows = [orjson.loads(line) for line in f if line.strip()]
    try:
        table = pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputError(
            f"cannot write {dest} as Parquet ({exc}); the scored rows are kept in {src}, or "
            "write .jsonl instead"
        ) from exc
    directory = os.path.dirname(os.path.abspath(dest)) or "."
    fd, tmp = tempfile.mkstemp(prefix=".rewardkit-", suffix=".parquet", dir=directory)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except BaseException:
        with _suppress():
            os.unlink(tmp)
        raise
