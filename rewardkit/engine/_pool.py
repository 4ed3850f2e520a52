"""A pool of warm worker processes that enforces limits from outside the reward.

Why processes, and why the parent enforces the limits: a reward stuck in a C
loop (``sum(range(10**12))``, a sympy exponent tower) holds the GIL, so no thread
and no signal handler in that process can stop it, and ``SIGALRM`` only works on
the main thread anyway (math-verify#50). Killing the process from outside works
for any reward, sync or async, in any calling thread or event loop, and installs
no signal handler in the caller.

Design:

* one *slot* per worker: a thread in the caller that owns one worker process
  and a pipe to it. Slot threads take *pieces* (chunks of a task) from one
  bounded queue; a caller submitting faster than the pool drains waits.
* workers are fresh interpreters (:mod:`._launch`), never forks of the caller,
  so a large trainer process is never copied, no lock held by another thread is
  inherited and the caller's ``__main__`` is never re-imported. Each one
  imports what the rewards need right after it starts.
* each worker reports the start time of the sample it is running through shared
  memory; the slot waits on the socket and the process's pidfd until that
  sample's deadline, then kills the worker's process group (SIGKILL) and takes
  over a spare worker that was started (and warmed) in advance, so a respawn
  costs no import time; a new spare is started in the background.
* after a timeout or crash the culprit row gets ``TIMEOUT``/``ERROR``; the rest of
  the chunk goes back to the front of the queue, so only the culprit pays.
* pipelining: while a worker runs a piece of a cheap reward, its slot sends it the
  next one (at most two in flight), so the worker never waits for a round trip. The
  progress block names (chunk sequence number, row), so an overrun is charged to
  the right row; a piece queued behind the culprit never started and goes back to
  the queue unchanged.
"""

from __future__ import annotations

import functools
import pickle
import threading
import time
import weakref
from collections import deque
from concurrent.futures import Future
from multiprocessing.connection import wait
from typing import Any

from ..contract._reward import Reward
from ._executor import ExecutorConfig, Task, TaskResult, reward_blob
from ._launch import Worker
from ._pieces import LOAD_TIMEOUT_S, _Job, _Piece, _Sent
from ._recovery import _Recovery
from ._slot import _Slot
from ._worker import SEQ_LIMIT, decode_progress, unpack

__all__ = ["LOAD_TIMEOUT_S", "ProcessExecutor"]

#: How often the progress array is checked while a worker is still loading.
_LOAD_POLL_S = 0.01
#: Pieces a worker may hold at once: the one it runs and the next, sent ahead so the
#: worker starts it without waiting for a round trip through the slot thread.
_PIPELINE = 2
#: A piece is sent ahead only if the one before it should finish within this long
#: (from the reward's last measured cost per row), so a piece waiting behind a slow
#: one on a busy worker is never held back long while another worker could take it.
_PIPELINE_S = 0.02


class _Pool(_Recovery):
    """State shared by the slot threads; kept apart from :class:`ProcessExecutor` so
    the executor can be garbage-collected (its finalizer then closes the pool)."""

    def __init__(self, cfg: ExecutorConfig, max_pending: int) -> None:
        self.cfg = cfg
        # Imported by every worker before its memory limit and first sample.
        mods = {"rewardkit"}
        for rw in cfg.warm:
            mod = getattr(rw.fn, "__module__", None)
            if rw.provider != "user" and mod:
                mods.add(mod)
        warm = [pickle.dumps(rw, protocol=pickle.HIGHEST_PROTOCOL) for rw in cfg.warm]
        self.init = ("init", cfg.memory_mb, sorted(mods), warm)
        self.max_pending = max_pending
        self.cond = threading.Condition()
        self.queue: deque[_Piece] = deque()
        self.live: dict[int, _Job] = {}
        self.closed = False
        #: Slot threads blocked in :meth:`take` (they get new pieces before any is
        #: sent ahead to a busy worker).
        self.waiting = 0
        #: Last measured seconds per row, by reward key (decides what is sent ahead).
        self.cost: dict[str, float] = {}
        self.blobs: dict[int, tuple[Reward, bytes]] = {}
        self.spare_lock = threading.Lock()
        self.spare: Worker | None = None
        self.started = 0
        self.slots = [_Slot(self, i) for i in range(cfg.workers)]
        self.threads = [
            threading.Thread(target=self.serve, args=(s,), name=f"rewardkit-slot-{i}", daemon=True)
            for i, s in enumerate(self.slots)
        ]
        for t in self.threads:
            t.start()

    # -- worker processes ------------------------------------------------------------
    def _new_worker(self) -> Worker:
        with self.spare_lock:
            self.started += 1
            number = self.started
        return Worker(self.init, f"rewardkit-worker-{number}")

    def fresh_worker(self) -> Worker:
        """A started worker for a slot: the spare if it is still alive, else a new one.

        Must be called from a slot thread: a worker dies with the thread that
        started it (``PR_SET_PDEATHSIG``), and slot threads live until :meth:`close`.
        """
        with self.spare_lock:
            worker, self.spare = self.spare, None
        if worker is not None and not worker.alive():
            worker.kill()
            worker = None
        if worker is None:
            worker = self._new_worker()
        self.refill_spare()
        return worker

    def refill_spare(self) -> None:
        """Start a spare worker if there is none; it warms up while nobody waits."""
        with self.spare_lock:
            if self.spare is not None or self.closed:
                return
        try:
            spare = self._new_worker()
        except Exception:  # tried again at the next respawn
            return
        with self.spare_lock:
            keep = self.spare is None and not self.closed
            if keep:
                self.spare = spare
        if not keep:
            spare.kill()

    def discard(self, worker: Worker) -> None:
        worker.kill()

    # -- submission ---------------------------------------------------------------
    def blob(self, rw: Reward) -> bytes:
        return reward_blob(self.blobs, rw)

    def submit(self, task: Task) -> Future[TaskResult]:
        job = _Job(task, self.blob(task.reward))
        if not task.rows:
            job.future.set_result(TaskResult([], []))
            return job.future
        with self.cond:
            while len(self.queue) >= self.max_pending and not self.closed:
                self.cond.wait()
            if self.closed:
                raise RuntimeError("the scorer was closed")
            self.live[id(job)] = job
            job.future.add_done_callback(functools.partial(self._forget, id(job)))
            self.queue.append(_Piece(job, list(range(len(task.rows)))))
            self._notify()
        return job.future

    def _forget(self, key: int, _future: Future[TaskResult]) -> None:
        with self.cond:
            self.live.pop(key, None)

    def requeue(self, piece: _Piece) -> None:
        """Put unfinished rows back at the front: they belong to a batch already admitted."""
        with self.cond:
            self.queue.appendleft(piece)
            self._notify()

    def _notify(self) -> None:
        """Wake idle slot threads, and a busy one that would send a piece ahead when
        the queue holds more pieces than idle slots will take. Called under ``cond``."""
        self.cond.notify_all()
        if len(self.queue) > self.waiting and not self.closed:
            for slot in self.slots:
                if slot.wants:
                    slot.wants = False
                    slot.wake()
                    break

    def take(self, slot: _Slot) -> _Piece | None:
        with self.cond:
            slot.wants = False
            self.waiting += 1
            try:
                while not self.queue and not self.closed:
                    self.cond.wait()
            finally:
                self.waiting -= 1
            if self.closed:
                return None
            piece = self.queue.popleft()
            self.cond.notify_all()
            return piece

    def take_nowait(self, slot: _Slot) -> _Piece | None:
        """A piece to send ahead, unless an idle slot thread should take it instead."""
        with self.cond:
            if self.closed or len(self.queue) <= self.waiting:
                slot.wants = not self.closed
                return None
            slot.wants = False
            piece = self.queue.popleft()
            self.cond.notify_all()
            return piece

    # -- slot thread ----------------------------------------------------------------
    def serve(self, slot: _Slot) -> None:
        try:
            slot.start()
        except Exception:  # retried when the first piece arrives
            pass
        while True:
            piece = self.take(slot)
            if piece is None:
                break
            try:
                self.run(slot, piece)
            except BaseException as exc:  # never leave a caller waiting on a lost row
                why = f"internal engine error ({type(exc).__name__}: {exc})"
                for sent in slot.inflight or [_Sent(piece, 0)]:
                    sent.piece.job.fail_rest(sent.piece.positions[sent.received :], why)
                slot.inflight.clear()
                slot.kill()
        slot.kill()
        with self.cond:
            slot.wants = False
        slot.close_pipe()

    def run(self, slot: _Slot, piece: _Piece) -> None:
        """Run ``piece`` and, pipelined behind it, whatever else this slot picks up,
        until the worker has nothing in flight."""
        if not slot.alive():
            slot.kill()
            try:
                slot.start()
            except Exception as exc:
                piece.job.fail_rest(piece.positions, f"could not start a worker process ({exc})")
                return
        worker = slot.worker
        assert worker is not None
        inflight = slot.inflight
        if self._send(slot, piece) is not None:
            return
        conn, prog = worker.conn, worker.progress
        waitables = [*worker.waitables(), slot.wake_r]
        head_since = time.monotonic()  # when the head piece became the worker's next job
        while inflight:
            if len(inflight) < _PIPELINE and self._cheap(inflight[-1]):
                nxt = self.take_nowait(slot)
                if nxt is not None:
                    failed = self._send(slot, nxt)
                    if failed is not None:
                        # The worker died: the loop below notices; this piece never ran.
                        self.requeue(failed)
            at, started = decode_progress(prog[0]), prog[1]
            k = self._find(inflight, at[0])
            loading = k is None or at[1] < 0
            if k is None:
                # Between chunks (the progress names one already done): the head is
                # being received and unpickled.
                started = head_since
            limit = LOAD_TIMEOUT_S if loading else self.cfg.timeout
            left = None if limit is None else started + limit - time.monotonic()
            if left is not None and left <= 0 and not conn.poll():
                self._overrun(slot, k, at[1], limit, loading)
                return
            if loading and left is not None:
                # The load limit is long; poll so the first sample's (shorter) clock
                # is noticed as soon as the worker starts it.
                left = min(left, _LOAD_POLL_S)
            ready = wait(waitables, timeout=left)
            if conn in ready:
                try:
                    msg = conn.recv()
                except (EOFError, OSError):
                    self._crashed(slot)
                    return
                if self._accept(inflight, msg):
                    head_since = time.monotonic()
            elif slot.wake_r in ready:
                slot.drain_wake()
            elif ready:  # the process exited
                self._crashed(slot)
                return

    def _send(self, slot: _Slot, piece: _Piece) -> _Piece | None:
        """Send ``piece`` to the slot's worker; returns it if the worker is gone."""
        job, positions = piece.job, piece.positions
        task = job.task
        worker = slot.worker
        assert worker is not None
        slot.seq = slot.seq % (SEQ_LIMIT - 1) + 1
        rows = [task.rows[p] for p in positions]
        indices = [task.indices[p] for p in positions]
        try:
            worker.conn.send(("run", slot.seq, job.blob, rows, indices, task.state))
        except (OSError, EOFError):  # the worker died
            if not slot.inflight:  # while idle: not these rows' fault, but count the try
                slot.kill()
                self._retry(piece, 0, "the worker process died before it started")
                return None
            return piece
        except Exception as exc:
            job.fail_rest(
                positions,
                f"rows {indices[0]}..{indices[-1]} could not be sent to a worker process "
                f"({type(exc).__name__}: {exc})",
            )
            return None
        slot.inflight.append(_Sent(piece, slot.seq))
        return None

    def _cheap(self, sent: _Sent) -> bool:
        """Whether the rest of ``sent`` should finish soon, so that queueing another
        piece behind it on the same worker cannot hold that piece back for long."""
        cost = self.cost.get(sent.piece.job.task.reward.key)
        return cost is not None and cost * (len(sent.piece.positions) - sent.received) < (
            _PIPELINE_S
        )

    @staticmethod
    def _find(inflight: deque[_Sent], seq: int) -> int | None:
        for k, sent in enumerate(inflight):
            if sent.seq == seq:
                return k
        return None

    def _accept(self, inflight: deque[_Sent], msg: tuple[Any, ...]) -> bool:
        """Record a result message for the head piece; True once that piece is done."""
        kind, seq, packed, lats = msg
        head = inflight[0]
        if seq != head.seq:
            raise RuntimeError(f"worker answered chunk {seq}, expected {head.seq}")
        outs = unpack(packed)
        piece = head.piece
        piece.job.fill_many(piece.positions[head.received : head.received + len(outs)], outs, lats)
        head.received += len(outs)
        if lats:
            self.cost[piece.job.task.reward.key] = sum(lats) / len(lats)
        if kind == "done":
            inflight.popleft()
            return True
        return False

    def close(self) -> None:
        with self.cond:
            if self.closed:
                return
            self.closed = True
            live = list(self.live.values())
            self.queue.clear()
            self.cond.notify_all()
        for job in live:
            if not job.future.done():
                try:
                    job.future.set_exception(
                        RuntimeError("the scorer was closed before this task finished")
                    )
                except Exception:  # resolved concurrently by a slot thread
                    pass
        for slot in self.slots:
            slot.kill()
        with self.spare_lock:
            spare, self.spare = self.spare, None
        if spare is not None:
            spare.kill()
        me = threading.current_thread()
        for t in self.threads:
            if t is not me:
                t.join(5)


class ProcessExecutor:
    """The local :class:`~rewardkit.engine.Executor`: warm worker processes with hard limits.

    Args:
        config: workers, per-call timeout, per-worker memory limit and the rewards
            to pre-load.
        max_pending: chunks that may wait in the queue before :meth:`submit` blocks.
    """

    def __init__(self, config: ExecutorConfig, *, max_pending: int | None = None) -> None:
        if config.workers < 1:
            raise ValueError(f"workers must be at least 1, got {config.workers}")
        self.config = config
        self._pool = _Pool(config, max_pending or 8 * config.workers)
        self._finalizer = weakref.finalize(self, self._pool.close)

    def submit(self, task: Task) -> Future[TaskResult]:
        return self._pool.submit(task)

    def close(self) -> None:
        self._finalizer()
