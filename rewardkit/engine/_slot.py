"""One slot of the process pool: a caller-side thread's worker process, pipe and wake-up fd.

The slot owns exactly one worker at a time; :mod:`._pool` decides what it runs and
:mod:`._recovery` replaces its worker after a timeout or crash.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from typing import TYPE_CHECKING

from ._launch import Worker
from ._pieces import _Sent

if TYPE_CHECKING:
    from ._pool import _Pool


class _Slot:
    """One worker process, owned by one slot thread."""

    def __init__(self, pool: _Pool, number: int) -> None:
        self.pool = pool
        self.number = number
        self.lock = threading.Lock()
        self.worker: Worker | None = None
        #: Pieces sent to the worker and not done yet, oldest (the running one) first.
        self.inflight: deque[_Sent] = deque()
        self.seq = 0
        #: Set (under the pool's condition) while the slot thread would send another
        #: piece ahead but the queue is empty; a submitter then wakes it through the pipe.
        self.wants = False
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)

    def wake(self) -> None:
        try:
            os.write(self.wake_w, b"x")
        except OSError:  # full (a wakeup is pending anyway) or closed
            pass

    def drain_wake(self) -> None:
        try:
            os.read(self.wake_r, 512)
        except OSError:
            pass

    def close_pipe(self) -> None:
        for fd in (self.wake_r, self.wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def alive(self) -> bool:
        w = self.worker
        return w is not None and w.alive()

    def start(self) -> None:
        """Take over the pool's spare worker (or start one) and replace the spare."""
        worker = self.pool.fresh_worker()
        with self.lock:
            if self.pool.closed:
                self.pool.discard(worker)
                raise RuntimeError("the scorer was closed")
            self.worker = worker

    def kill(self) -> int | None:
        """SIGKILL the worker (if running), reap it and return its exit code."""
        with self.lock:
            worker, self.worker = self.worker, None
        return None if worker is None else worker.kill()
