"""The worker process: rebuild rewards by reference, score chunks, report back.

Runs in a fresh interpreter started by :mod:`._launch` (never a fork of the
caller, never an import of its ``__main__``), so a reward that segfaults, calls
``os._exit``, spins in C or eats memory takes down only this process; the parent
notices and replaces it.

Protocol over one :class:`multiprocessing.connection.Connection` (a Unix socket):

* parent → worker, once at start: ``("init", memory_mb, preload, warm)``;
* parent → worker: ``("run", seq, reward_blob, rows, indices, state)`` or ``("stop",)``;
  the parent may send the next chunk before the current one is done (pipelining):
  chunks are run one after the other, in the order they were sent;
* worker → parent: ``("part", seq, outcomes, latencies)`` at most every
  :data:`FLUSH_S` seconds while a chunk runs, then ``("done", seq, outcomes, latencies)``.

Progress goes through a two-slot shared block instead of the socket, so per-sample
bookkeeping costs no system call: slot 1 is the ``time.monotonic()`` at which the
current step started, slot 0 says which step (:func:`progress_code`: the chunk's
sequence number and the row's position in it, or "loading the chunk"). Slot 0 is
written after the time, so the parent, which reads it first, never pairs a new
step with an old time. The parent enforces the deadline from those two numbers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import io
import mmap
import os
import pickle
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection
from typing import Any

from ..contract._outcome import Outcome, Status
from ..contract._reward import Reward
from ._reaper import become_subreaper, descendants, kill_tree

__all__ = [
    "FLUSH_S",
    "SEQ_LIMIT",
    "decode_progress",
    "load_reward",
    "main",
    "pack",
    "progress_code",
    "unpack",
]

#: Partial results are sent at most this often, so a crash mid-chunk loses at most
#: this much finished work (which the parent re-runs).
FLUSH_S = 0.05
#: Chunk sequence numbers run from 1 to ``SEQ_LIMIT - 1`` and then wrap around; 0 is
#: never used, so a fresh (zeroed) progress block names no chunk.
SEQ_LIMIT = 1 << 20
_ROW_SPAN = float(1 << 32)


def progress_code(seq: int, pos: int) -> float:
    """Progress slot 0 for row ``pos`` of chunk ``seq`` (``pos == -1``: loading the chunk).

    Exact in a double: ``seq < 2**20`` and ``pos + 1 < 2**32``.
    """
    return seq * _ROW_SPAN + (pos + 1)


def decode_progress(code: float) -> tuple[int, int]:
    """``(seq, pos)`` from :func:`progress_code`."""
    seq, rest = divmod(int(code), 1 << 32)
    return seq, rest - 1


class _RefUnpickler(pickle.Unpickler):
    """Unpickler that rebuilds rewards defined in the caller's ``__main__`` script.

    In a worker, ``__main__`` is the worker's own boot code, so a reward from the
    user's script is loaded from the script's file instead.
    """

    def find_class(self, module: str, name: str) -> Any:
        if module == "rewardkit.references._refs" and name == "_rebuild_attribute":
            return _rebuild_attribute_here
        return super().find_class(module, name)


def _rebuild_attribute_here(module: str, qualname: str, source: str | None, *rest: Any) -> Any:
    from ..references._refs import _rebuild_attribute, load_file_module

    if module in ("__main__", "__mp_main__") and source:
        # Import the caller's script by path under a private name: its main block
        # does not run, and the worker's own __main__ is left alone.
        module = load_file_module(source).__name__
    return _rebuild_attribute(module, qualname, source, *rest)


def load_reward(blob: bytes) -> Reward:
    """Rebuild a reward pickled (by reference) in the parent."""
    obj = _RefUnpickler(io.BytesIO(blob)).load()
    if not isinstance(obj, Reward):
        raise TypeError(f"expected a Reward, got {type(obj).__name__}")
    return obj


def _limit_memory(memory_mb: int | None) -> None:
    if memory_mb is None:
        return
    try:
        import resource
    except ImportError:  # not on POSIX: no address-space limit available
        return
    limit = int(memory_mb) * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this worker when the thread that started it exits.

    Set here, after start, rather than in a ``preexec_fn`` of the threaded caller.
    If the caller died before that, the worker has been re-parented: exit at once.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
        except Exception:  # best effort: end-of-file on the socket also stops an idle worker
            pass
    if os.getppid() != parent:
        os._exit(0)


def _sendable(outcomes: list[Outcome]) -> list[Outcome]:
    """Replace outcomes whose extras cannot be pickled by an ERROR that says so."""
    out: list[Outcome] = []
    for o in outcomes:
        try:
            pickle.dumps(o, protocol=pickle.HIGHEST_PROTOCOL)
            out.append(o)
        except Exception as exc:
            out.append(
                Outcome.error(
                    f"the reward's outcome could not be sent back from the worker process "
                    f"({type(exc).__name__}: {exc}); keep extras JSON-like"
                )
            )
    return out


Packed = tuple[float | None, str, str, Any]


def pack(outcomes: list[Outcome]) -> list[Packed]:
    """Outcomes as plain tuples: pickling them costs a fraction of pickling dataclasses."""
    return [
        (o.score, o.status.value, o.reason, dict(o.extras) if o.extras else None) for o in outcomes
    ]


_STATUS = {s.value: s for s in Status}
# Outcomes were validated when the reward built them in the worker, so the parent
# rebuilds them without running __init__ again (a third of the cost), as long as
# the fields are the four that pack() sends.
_FIELDS = ("score", "status", "reason", "extras")
_FAST = tuple(f.name for f in dataclasses.fields(Outcome)) == _FIELDS


def unpack(packed: list[Packed]) -> list[Outcome]:
    if not _FAST:
        return [Outcome(s, Status(st), r, e or {}) for s, st, r, e in packed]
    new, put, status = object.__new__, object.__setattr__, _STATUS
    out = []
    for s, st, r, e in packed:
        o = new(Outcome)
        put(o, "score", s)
        put(o, "status", status[st])
        put(o, "reason", r)
        put(o, "extras", e or {})
        out.append(o)
    return out


def _send(
    conn: Connection, kind: str, seq: int, outcomes: list[Outcome], lats: list[float]
) -> None:
    try:
        conn.send((kind, seq, pack(outcomes), lats))
    except (pickle.PicklingError, TypeError, AttributeError):
        conn.send((kind, seq, pack(_sendable(outcomes)), lats))


def _score_one(
    rw: Reward,
    row: Mapping[str, Any],
    state: Mapping[str, Any] | None,
    index: int,
    loop: asyncio.AbstractEventLoop | None,
) -> Outcome:
    try:
        if loop is not None:
            return loop.run_until_complete(rw.ascore_batch([row], state=state, start=index))[0]
        return rw.score(row, state=state, index=index)
    except BaseException as exc:  # SystemExit and friends cost one sample, not the worker
        return Outcome.error(
            f"reward {rw.key!r} raised {type(exc).__name__} on row {index}: {exc}".rstrip(": "),
            exception=type(exc).__name__,
        )


def _run_chunk(
    conn: Connection,
    progress: Any,
    seq: int,
    rw: Reward,
    rows: Sequence[Mapping[str, Any]],
    indices: Sequence[int],
    state: Mapping[str, Any] | None,
    loop: asyncio.AbstractEventLoop | None,
) -> None:
    n = len(rows)
    if rw.batched:
        progress[1] = time.monotonic()
        progress[0] = progress_code(seq, 0)
        t0 = time.perf_counter()
        try:
            outs = list(rw.score_batch(rows, state=state, start=indices[0] if n else 0))
        except BaseException as exc:
            outs = [Outcome.error(f"batched reward {rw.key!r} raised {type(exc).__name__}")] * n
        per = (time.perf_counter() - t0) / max(n, 1)
        _send(conn, "done", seq, outs, [per] * n)
        return
    outcomes: list[Outcome] = []
    lats: list[float] = []
    last = time.monotonic()
    base = progress_code(seq, 0)
    for i, (row, index) in enumerate(zip(rows, indices, strict=True)):
        started = time.monotonic()
        progress[1] = started
        progress[0] = base + i
        t0 = time.perf_counter()
        outcomes.append(_score_one(rw, row, state, index, loop))
        lats.append(time.perf_counter() - t0)
        if i < n - 1 and time.monotonic() - last >= FLUSH_S:
            _send(conn, "part", seq, outcomes, lats)
            outcomes, lats = [], []
            last = time.monotonic()
    _send(conn, "done", seq, outcomes, lats)


def _preload(modules: Sequence[str]) -> None:
    """Import what the rewards need before any sample's clock starts (and before the
    memory limit, like a fork server's pre-imports)."""
    for name in modules:
        try:
            importlib.import_module(name)
        except BaseException:  # reported when a task actually needs it
            pass


def main(argv: Sequence[str]) -> None:
    """Entry point of a worker process; ``argv`` comes from :mod:`._launch`.

    ``argv``: the socket's descriptor, the progress block's descriptor, the pid of
    the parent and a display name.
    """
    conn_fd, prog_fd, parent = int(argv[0]), int(argv[1]), int(argv[2])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent(parent)
    subreaper = become_subreaper()  # daemons a reward starts stay in our tree
    for fd in (conn_fd, prog_fd):  # keep them out of anything a reward spawns
        os.set_inheritable(fd, False)
    conn = Connection(conn_fd)
    progress = memoryview(mmap.mmap(prog_fd, 16)).cast("d")
    os.close(prog_fd)
    try:
        kind, memory_mb, preload, warm = conn.recv()
    except (EOFError, OSError):
        return
    if kind != "init":
        return
    _preload(preload)
    _limit_memory(memory_mb)
    cache: dict[bytes, Reward] = {}
    for blob in warm:  # pay import costs now, before any sample's clock starts
        try:
            cache[blob] = load_reward(blob)
        except BaseException:  # reported when a task actually needs it
            pass
    serve(conn, progress, cache, reap=subreaper)


def serve(
    conn: Connection, progress: Any, cache: dict[bytes, Reward], *, reap: bool = False
) -> None:
    """Score chunks until the parent says stop or goes away."""
    loop: asyncio.AbstractEventLoop | None = None
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg[0] != "run":
            return
        _, seq, blob, rows, indices, state = msg
        # The clock of "loading this chunk" (rebuilding its reward) starts now.
        progress[1] = time.monotonic()
        progress[0] = progress_code(seq, -1)
        rw = cache.get(blob)
        if rw is None:
            try:
                rw = cache[blob] = load_reward(blob)
            except BaseException as exc:
                err = Outcome.error(
                    f"could not rebuild the reward in the worker process "
                    f"({type(exc).__name__}: {exc})"
                )
                _send(conn, "done", seq, [err] * len(rows), [0.0] * len(rows))
                continue
        if rw.is_async and not rw.batched and loop is None:
            loop = asyncio.new_event_loop()
        _run_chunk(conn, progress, seq, rw, rows, indices, state, loop if rw.is_async else None)
        del rows, state
        if reap and descendants(os.getpid(), limit=1):
            # a process the reward started (a daemon, a forgotten subprocess) dies with
            # its call, so nothing a reward starts outlives the run
            kill_tree(os.getpid(), reap=True)
