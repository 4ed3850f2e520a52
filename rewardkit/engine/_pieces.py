"""What the process pool moves around: a task's job, its pieces, and what is in flight.

A :class:`_Job` is one submitted task with its result future; a :class:`_Piece` is a
run of its rows handed to one worker; a :class:`_Sent` is a piece in flight with the
sequence number the worker reports progress under (see :mod:`._pool`).
"""

from __future__ import annotations

import signal
import threading
from concurrent.futures import Future

from ..contract._outcome import Outcome
from ._executor import Task, TaskResult

#: Time a worker may take to rebuild a reward (imports) before its first sample.
LOAD_TIMEOUT_S = 120.0
#: A piece that kills its worker before any sample starts is retried this often.
_MAX_START_ATTEMPTS = 3


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "stopped responding"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if name == "SIGKILL":
            return "was killed (signal SIGKILL, possibly by the out-of-memory killer)"
        return f"crashed (signal {name})"
    return f"exited with code {code}"


class _Job:
    """One submitted task: collects outcomes from however many pieces it was split into."""

    __slots__ = ("task", "blob", "outcomes", "latencies", "remaining", "future", "lock")

    def __init__(self, task: Task, blob: bytes) -> None:
        self.task = task
        self.blob = blob
        n = len(task.rows)
        self.outcomes: list[Outcome | None] = [None] * n
        self.latencies: list[float | None] = [None] * n
        self.remaining = n
        self.future: Future[TaskResult] = Future()
        self.lock = threading.Lock()

    def fill(self, pos: int, outcome: Outcome, latency: float | None) -> None:
        """Record one row; idempotent, so a row re-run after a failure is counted once."""
        with self.lock:
            if self.outcomes[pos] is not None or self.future.done():
                return
            self.outcomes[pos] = outcome
            self.latencies[pos] = latency
            self.remaining -= 1
            done = self.remaining == 0
        if done:
            outs = [o for o in self.outcomes if o is not None]
            self.future.set_result(TaskResult(outs, list(self.latencies)))

    def fill_many(
        self, positions: list[int], outcomes: list[Outcome], latencies: list[float]
    ) -> None:
        """Record several rows under one lock (:meth:`fill` for each, but cheaper)."""
        with self.lock:
            if self.future.done():
                return
            slots, lats = self.outcomes, self.latencies
            for pos, outcome, latency in zip(positions, outcomes, latencies, strict=True):
                if slots[pos] is None:
                    slots[pos] = outcome
                    lats[pos] = latency
                    self.remaining -= 1
            done = self.remaining == 0
        if done:
            outs = [o for o in self.outcomes if o is not None]
            self.future.set_result(TaskResult(outs, list(self.latencies)))

    def fail_rest(self, positions: list[int], reason: str) -> None:
        for pos in positions:
            self.fill(pos, Outcome.error(reason), None)


class _Piece:
    __slots__ = ("job", "positions", "attempts")

    def __init__(self, job: _Job, positions: list[int], attempts: int = 0) -> None:
        self.job = job
        self.positions = positions
        self.attempts = attempts


class _Sent:
    """A piece sent to a worker: its sequence number and how many rows came back."""

    __slots__ = ("piece", "seq", "received")

    def __init__(self, piece: _Piece, seq: int) -> None:
        self.piece = piece
        self.seq = seq
        self.received = 0
