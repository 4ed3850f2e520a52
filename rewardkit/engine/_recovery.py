"""Timeouts and crashes in the process pool: charge the culprit row, requeue the rest.

When a worker overruns a sample's deadline or dies, only the row it was running
pays (``TIMEOUT``/``ERROR`` naming the row and the cause); pieces sent ahead that
never started go back to the queue unchanged, the rest of the culprit's piece is
retried, and the slot takes over a warm spare worker. A mixin of the pool.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ..contract._outcome import Outcome
from ._pieces import _MAX_START_ATTEMPTS, LOAD_TIMEOUT_S, _describe_exit, _Piece, _Sent
from ._slot import _Slot
from ._worker import decode_progress


class _Recovery:
    """Failure handling of :class:`~._pool._Pool` (which provides the methods below)."""

    def requeue(self, piece: _Piece) -> None:
        raise NotImplementedError

    def fresh_worker(self) -> Any:
        raise NotImplementedError

    @staticmethod
    def _find(inflight: deque[_Sent], seq: int) -> int | None:
        raise NotImplementedError

    def _accept(self, inflight: deque[_Sent], msg: tuple[Any, ...]) -> bool:
        raise NotImplementedError

    def _retry(self, piece: _Piece, received: int, why: str) -> None:
        rest = piece.positions[received:]
        if not rest:
            return
        if piece.attempts + 1 >= _MAX_START_ATTEMPTS:
            piece.job.fail_rest(rest, f"{why} (tried {_MAX_START_ATTEMPTS} times)")
        else:
            self.requeue(_Piece(piece.job, rest, piece.attempts + 1))

    def _overrun(
        self, slot: _Slot, k: int | None, at: int, limit: float | None, loading: bool
    ) -> None:
        slot.kill()
        inflight = list(slot.inflight)
        slot.inflight.clear()
        k = k or 0
        # Pieces queued behind the culprit never started: back to the queue, unchanged.
        for sent in reversed(inflight[k + 1 :]):
            self.requeue(sent.piece)
        culprit = inflight[k]
        piece, received = culprit.piece, culprit.received
        key = piece.job.task.reward.key
        if loading:
            piece.job.fail_rest(
                piece.positions[received:],
                f"the worker did not load reward {key!r} within {LOAD_TIMEOUT_S!r} s",
            )
        else:
            row = piece.job.task.indices[piece.positions[min(at, len(piece.positions) - 1)]]
            out = Outcome.timeout(
                f"reward {key!r} timed out after {float(limit or 0)!r} s on row {row}; "
                "its worker was killed and replaced",
                limit_s=limit,
            )
            self._blame(piece, received, at, out, limit)
        # Pieces before the culprit had all their results read (the worker runs them
        # in order); anything left of them is re-run, counted as a failed try.
        for sent in reversed(inflight[:k]):
            self._retry(sent.piece, sent.received, "the worker was killed")
        self._restart(slot)

    def _crashed(self, slot: _Slot) -> None:
        worker = slot.worker
        inflight = slot.inflight
        conn = None if worker is None else worker.conn
        while conn is not None and inflight:
            try:  # a result sent just before the worker died still counts
                if not conn.poll():
                    break
                msg = conn.recv()
            except (EOFError, OSError):
                break
            self._accept(inflight, msg)
        at = (0, -1) if worker is None else decode_progress(worker.progress[0])
        code = slot.kill()
        pending = list(inflight)
        inflight.clear()
        if not pending:
            self._restart(slot)
            return
        what = _describe_exit(code)
        k = self._find(deque(pending), at[0])
        if k is None:
            k = 0
            at = (pending[0].seq, -1)
        for sent in reversed(pending[k + 1 :]):  # never started: back unchanged
            self.requeue(sent.piece)
        culprit = pending[k]
        piece, received = culprit.piece, culprit.received
        job = piece.job
        key = job.task.reward.key
        if at[1] < received:
            # It died outside any sample (loading the reward or between samples).
            self._retry(piece, received, f"the worker {what} while loading reward {key!r}")
        else:
            row = job.task.indices[piece.positions[at[1]]]
            out = Outcome.error(
                f"worker {what} while scoring row {row} with reward {key!r}; "
                "the worker was replaced",
                exitcode=code,
            )
            self._blame(piece, received, at[1], out, None)
        for sent in reversed(pending[:k]):
            self._retry(sent.piece, sent.received, f"the worker {what}")
        self._restart(slot)

    def _blame(
        self, piece: _Piece, received: int, at: int, out: Outcome, latency: float | None
    ) -> None:
        job, positions = piece.job, piece.positions
        if job.task.reward.batched and len(positions) - received > 1:
            # One call scored the whole chunk, so the culprit is unknown: run each row alone.
            for pos in reversed(positions[received:]):
                self.requeue(_Piece(job, [pos]))
            return
        job.fill(positions[at], out, latency)
        rest = positions[received:at] + positions[at + 1 :]
        if rest:
            self.requeue(_Piece(job, rest))

    def _restart(self, slot: _Slot) -> None:
        try:
            slot.start()
        except Exception:  # run() retries before the next piece
            pass

    # -- shutdown --------------------------------------------------------------------
