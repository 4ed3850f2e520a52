"""The pool sends a worker its next chunk before the current one is done (pipelining).

A chunk queued behind a culprit on the same worker never started when the worker
is killed, so it goes back to the queue unchanged: only the culprit row pays.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import hostile_rewards as hr
import pytest

from rewardkit import Status
from rewardkit.engine._executor import ExecutorConfig, Task
from rewardkit.engine._pool import ProcessExecutor


def rows_of(*completions: str) -> list[dict[str, Any]]:
    return [{"completion": c} for c in completions]


@pytest.mark.parametrize(("bad", "status"), [("sleep", Status.TIMEOUT), ("exit", Status.ERROR)])
def test_a_failure_with_a_chunk_queued_behind_it_costs_only_the_culprit_row(
    bad: str, status: Status
) -> None:
    ex = ProcessExecutor(ExecutorConfig(workers=1, timeout=1.0, memory_mb=None))
    try:
        # Warm up: the pool learns the reward is cheap, so it sends chunks ahead.
        warm = ex.submit(Task(hr.hostile, rows_of("w0", "w1"), [0, 1])).result(60)
        assert [o.status for o in warm.outcomes] == [Status.OK] * 2
        slot = ex._pool.slots[0]
        most = 0
        stop = threading.Event()

        def watch() -> None:
            nonlocal most
            while not stop.is_set():
                most = max(most, len(slot.inflight))
                time.sleep(0.001)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        first = ex.submit(Task(hr.hostile, rows_of("a", bad, "b", "c"), [0, 1, 2, 3]))
        second = ex.submit(Task(hr.hostile, rows_of("d", "e", "f", "g"), [4, 5, 6, 7]))
        r1, r2 = first.result(60), second.result(60)
        stop.set()
        watcher.join()
        assert most == 2, "the second chunk was never queued on the busy worker"
        assert [o.status for o in r1.outcomes] == [Status.OK, status, Status.OK, Status.OK]
        assert "row 1" in r1.outcomes[1].reason
        assert [o.status for o in r2.outcomes] == [Status.OK] * 4
        assert [o.score for o in r2.outcomes] == [1.0] * 4
        # The pool still works, with a fresh worker.
        again = ex.submit(Task(hr.hostile, rows_of("h", "i"), [0, 1])).result(60)
        assert [o.status for o in again.outcomes] == [Status.OK] * 2
    finally:
        ex.close()
