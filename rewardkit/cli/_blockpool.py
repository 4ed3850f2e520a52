"""A minimal pool of forked block scorers for ``rewardkit score`` on large JSONL files.

Why not :class:`multiprocessing.pool.Pool`: its children share queue locks, and a
child killed while holding one (Ctrl-C, ``terminate()``) can leave
``Pool.terminate()`` waiting forever. Here every child has its own pipe and
nothing is shared, so killing the children can never wedge the parent. Blocks are
dealt round-robin, one outstanding per child, and results are read back in the
same order, so the output needs no reordering (and a child blocked writing a
large result can never deadlock a parent blocked sending it the next block).
"""

from __future__ import annotations

import multiprocessing
import signal
import traceback
from collections.abc import Callable
from typing import Any

__all__ = ["BlockWorkers"]


class _Failure:
    def __init__(self, text: str) -> None:
        self.text = text


def _serve(conn: Any, fn: Callable[..., Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            result: Any = fn(*job)
        except BaseException:
            result = _Failure(traceback.format_exc())
        conn.send(result)


class BlockWorkers:
    """``nproc`` forked children calling ``fn``; job ``i`` goes to child ``i % nproc``."""

    def __init__(self, nproc: int, fn: Callable[..., Any]) -> None:
        ctx = multiprocessing.get_context("fork")
        self._procs: list[Any] = []
        self._conns: list[Any] = []
        for _ in range(nproc):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(child, fn), daemon=True)
            proc.start()
            child.close()
            self._procs.append(proc)
            self._conns.append(parent)

    @property
    def size(self) -> int:
        return len(self._procs)

    def submit(self, index: int, args: tuple[Any, ...]) -> None:
        self._conns[index % len(self._conns)].send(args)

    def result(self, index: int) -> Any:
        slot = index % len(self._conns)
        try:
            out = self._conns[slot].recv()
        except EOFError:
            code = self._procs[slot].exitcode
            raise RuntimeError(f"scoring process {slot} died (exit code {code})") from None
        if isinstance(out, _Failure):
            raise RuntimeError(f"scoring process {slot} failed:\n{out.text}")
        return out

    def close(self) -> None:
        """Ask every child to finish, then make sure none is left."""
        for conn in self._conns:
            try:
                conn.send(None)
            except OSError:
                pass
        for proc in self._procs:
            proc.join(timeout=5)
        self.kill()

    def kill(self) -> None:
        for proc in self._procs:
            if proc.is_alive():
                proc.kill()
        for proc in self._procs:
            proc.join()
        for conn in self._conns:
            conn.close()
        self._procs, self._conns = [], []
