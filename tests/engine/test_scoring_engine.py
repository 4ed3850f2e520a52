"""The scoring engine against real worker processes and rewards that misbehave.

Every hostile row must cost exactly that row: a hang or a C loop becomes
``timeout``, a segfault, ``os._exit``, a memory blow-up or an OOM kill becomes
``error``, and every other row still gets its score, whichever thread or event
loop the caller is in. Timeouts are 1 s so the whole file stays well under a
minute on two cores.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import hostile_rewards as hr
import pytest

import rewardkit as rk
from rewardkit import MissingColumnError, Outcome, RewardDefinitionError, Status
from rewardkit.engine import RewardStats, Scorer, score

TIMEOUT = 1.0

HOSTILE = [
    # (completion, expected status, words the reason must contain)
    ("ok", Status.OK, ""),
    ("sleep", Status.TIMEOUT, "timed out after 1.0 s"),
    ("ok", Status.OK, ""),
    ("spin", Status.TIMEOUT, "timed out after 1.0 s"),
    ("exit", Status.ERROR, "exited with code 3"),
    ("segfault", Status.ERROR, "crashed (signal SIGSEGV)"),
    ("ok", Status.OK, ""),
    ("oom", Status.ERROR, "MemoryError"),
    ("oomkill", Status.ERROR, "SIGKILL"),
    ("raise", Status.ERROR, "ValueError"),
    ("sysexit", Status.ERROR, "SystemExit"),
    ("ok", Status.OK, ""),
]


def rows_of(*completions: str) -> list[dict[str, Any]]:
    return [{"completion": c} for c in completions]


@pytest.fixture
def scorer() -> Any:
    with Scorer([hr.hostile], workers=2, timeout=TIMEOUT, chunk_size=4, memory_mb=2048) as s:
        yield s


def check_hostile(results: list[dict[str, Outcome]]) -> None:
    assert len(results) == len(HOSTILE)
    for i, (res, (text, status, words)) in enumerate(zip(results, HOSTILE, strict=True)):
        out = res["hostile"]
        assert out.status is status, (i, text, out)
        assert words in out.reason, (i, text, out.reason)
        if status is Status.OK:
            assert out.score == 1.0
        elif text not in ("raise", "oom", "sysexit"):  # engine-made reasons name the row
            assert f"row {i}" in out.reason, out.reason


# -- one hostile row costs one sample, from every kind of caller -------------------------


def test_hostile_rows_cost_one_sample_each_from_the_main_thread(scorer: Scorer) -> None:
    start = time.monotonic()
    check_hostile(scorer.score(rows_of(*(t for t, _, _ in HOSTILE))))
    # two 1 s timeouts on two workers, plus respawns: bounded, never a hang
    assert time.monotonic() - start < 10


def test_hostile_rows_cost_one_sample_each_from_a_worker_thread(scorer: Scorer) -> None:
    box: dict[str, Any] = {}

    def target() -> None:
        box["results"] = scorer.score(rows_of(*(t for t, _, _ in HOSTILE)))

    t = threading.Thread(target=target)
    t.start()
    t.join(30)
    assert not t.is_alive()
    check_hostile(box["results"])


def test_hostile_rows_inside_a_running_event_loop_never_block_it(scorer: Scorer) -> None:
    async def main() -> tuple[list[dict[str, Outcome]], float, int]:
        gaps: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:
            last = time.monotonic()
            while not stop.is_set():
                await asyncio.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        tick = asyncio.create_task(ticker())
        results = await scorer.ascore(rows_of(*(t for t, _, _ in HOSTILE)))
        stop.set()
        await tick
        return results, max(gaps), len(gaps)

    results, worst_gap, ticks = asyncio.run(main())
    check_hostile(results)
    assert ticks > 20  # the loop kept running while rows timed out in workers
    assert worst_gap < 0.5


def test_sync_score_works_when_called_inside_a_running_loop(scorer: Scorer) -> None:
    async def main() -> list[dict[str, Outcome]]:
        return scorer.score(rows_of("ok", "spin", "ok"))

    results = asyncio.run(main())
    assert [r["hostile"].status for r in results] == [Status.OK, Status.TIMEOUT, Status.OK]


def test_async_rewards_are_timed_out_whether_they_await_or_spin() -> None:
    with Scorer([hr.async_hostile], workers=2, timeout=TIMEOUT) as s:
        results = s.score(rows_of("ok", "sleep", "spin", "ok"))
    statuses = [r["async_hostile"].status for r in results]
    assert statuses == [Status.OK, Status.TIMEOUT, Status.TIMEOUT, Status.OK]


def test_batched_reward_that_hangs_costs_only_the_culprit_row() -> None:
    with Scorer([hr.batch_len], workers=2, timeout=TIMEOUT, chunk_size=4) as s:
        results = s.score(rows_of("a", "bb", "spin", "dddd", "eeeee"))
    outs = [r["batch_len"] for r in results]
    assert [o.status for o in outs] == [Status.OK] * 2 + [Status.TIMEOUT] + [Status.OK] * 2
    assert [o.score for o in outs if o.is_ok] == [1.0, 2.0, 4.0, 5.0]


def test_the_caller_process_installs_no_signal_handlers(scorer: Scorer) -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGALRM, signal.SIGCHLD, signal.SIGTERM)}
    scorer.score(rows_of("ok", "segfault", "spin"))
    after = {s: signal.getsignal(s) for s in before}
    assert after == before


# -- isolation routing -----------------------------------------------------------------


def test_rewards_run_in_workers_and_cheap_ones_inline_by_default() -> None:
    with Scorer([hr.whoami, hr.cheap_whoami], workers=1) as s:
        (res,) = s.score(rows_of("x"))
    assert res["whoami"].score != os.getpid()
    assert res["cheap_whoami"].score == os.getpid()


def test_isolation_process_sends_cheap_rewards_to_workers_too() -> None:
    with Scorer([hr.cheap_whoami], workers=1, isolation="process") as s:
        (res,) = s.score(rows_of("x"))
    assert res["cheap_whoami"].score != os.getpid()


def test_a_reward_defined_in_a_function_is_sent_by_value_and_isolated() -> None:
    @rk.reward
    def local_reward(completion: str) -> float:
        return float(os.getpid())

    with Scorer([local_reward], workers=1, timeout=TIMEOUT) as s:
        (res,) = s.score(rows_of("x"))
    assert res["local_reward"].status is Status.OK
    assert res["local_reward"].score != os.getpid()  # ran in a worker, not inline


def test_a_local_reward_that_hangs_costs_only_its_row_and_the_timeout() -> None:
    import time as _time

    @rk.reward
    def local_hang(completion: str) -> float:
        if completion == "hang":
            _time.sleep(600)
        return 1.0

    with Scorer([local_hang], workers=1, timeout=1.0) as s:
        got = s.score(rows_of("ok", "hang", "ok"))
    assert [r["local_hang"].status for r in got] == [Status.OK, Status.TIMEOUT, Status.OK]


def test_a_reward_that_cannot_be_sent_is_refused_not_run_without_its_timeout() -> None:
    import threading

    lock = threading.Lock()  # a lock cannot be pickled, so neither can the reward

    @rk.reward
    def holds_a_lock(completion: str) -> float:
        with lock:
            return 1.0

    with pytest.raises(RewardDefinitionError, match="isolation='inline'") as info:
        Scorer([holds_a_lock], workers=1)
    assert "holds_a_lock" in str(info.value) and "lock" in str(info.value).lower()
    with Scorer([holds_a_lock], isolation="inline") as s:  # the explicit opt-in still works
        assert s.score(rows_of("x"))[0]["holds_a_lock"].score == 1.0


SCRIPT = """
import os
import rewardkit as rk
from rewardkit.engine import Scorer

@rk.reward
def from_main(completion: str) -> float:
    return float(os.getpid())

def run():
    print("RUN", flush=True)
    with Scorer([from_main], workers=2, timeout=5) as s:
        pids = {r["from_main"].score for r in s.score([{"completion": str(i)} for i in range(4)])}
    print("INLINE" if pids == {float(os.getpid())} else "ISOLATED", flush=True)
"""


@pytest.mark.parametrize(
    ("guarded", "expected"),
    [
        (True, ["RUN", "ISOLATED"]),  # workers import the script without its main block
        (False, ["RUN", "ISOLATED"]),  # no guard: the reward travels by value, no re-run
    ],
)
def test_workers_never_rerun_the_callers_main_script(
    tmp_path: Path, guarded: bool, expected: list[str]
) -> None:
    script = tmp_path / "train.py"
    tail = 'if __name__ == "__main__":\n    run()\n' if guarded else "run()\n"
    script.write_text(SCRIPT + tail)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [sys.executable, "-W", "ignore", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == expected, proc.stderr


# -- results: order, determinism, composites, cache, stats --------------------------------


def test_order_is_preserved_and_matches_inline_scoring() -> None:
    rows = [{"completion": "x" * (i % 7) + str(i), "answer": str(i % 3)} for i in range(60)]
    rewards = [hr.length, hr.is_answer, hr.has_digit]
    with Scorer(rewards, workers=2, chunk_size=3, isolation="process") as s:
        isolated = s.score(rows)
    with Scorer(rewards, isolation="inline") as s:
        inline = s.score(rows)
    assert isolated == inline
    assert [r["length"].score for r in isolated] == [float(len(r["completion"])) for r in rows]


def test_the_same_input_gives_identical_outcomes_across_runs() -> None:
    rows = rows_of("ok", "raise", "segfault", "ok", "exit")
    runs = []
    for _ in range(2):
        with Scorer([hr.hostile], workers=2, timeout=TIMEOUT, chunk_size=2) as s:
            runs.append([{k: o.to_dict() for k, o in r.items()} for r in s.score(rows)])
    assert runs[0] == runs[1]


def test_composites_combine_leaves_scored_in_workers() -> None:
    combo = rk.gate(hr.has_digit, hr.is_answer, name="digit_then_answer")
    total = rk.weighted([(hr.is_answer, 2.0), (hr.length, 0.5)], name="total")
    routed = rk.route("kind", {"len": hr.length, "ans": hr.is_answer}, name="routed")
    rows = [
        {"completion": "7", "answer": "7", "kind": "len"},
        {"completion": "seven", "answer": "seven", "kind": "ans"},
        {"completion": "8", "answer": "7", "kind": "other"},
    ]
    with Scorer([combo, total, routed], workers=2) as s:
        results = s.score(rows)
    for row, res in zip(rows, results, strict=True):
        for comp in (combo, total, routed):
            assert res[comp.key] == comp.score(row), comp.key
    assert results[0]["total"].score == 2.5
    assert results[2]["routed"].status is Status.NOT_APPLICABLE


def test_duplicate_completions_are_scored_once_and_cached() -> None:
    group = ["42", "\\boxed{42}", "42", "42", "forty-two", "\\boxed{42}", "42", "42"]
    with Scorer([hr.length], workers=1) as s:
        first = s.score(rows_of(*group))
        stats = s.stats["length"]
        assert stats.calls == 3 and stats.cache_hits == 5
        second = s.score(rows_of(*group))
        stats = s.stats["length"]
        assert stats.calls == 3 and stats.cache_hits == 13
    assert first == second
    assert [r["length"].score for r in first] == [float(len(g)) for g in group]


def test_errors_are_not_cached_across_calls_and_cache_can_be_off() -> None:
    with Scorer([hr.hostile], workers=1, timeout=TIMEOUT, cache=False) as s:
        s.score(rows_of("ok", "ok", "raise"))
        assert s.stats["hostile"].cache_hits == 0
        assert s.stats["hostile"].calls == 3


def test_stats_count_statuses_and_latency(scorer: Scorer) -> None:
    scorer.score(rows_of("ok", "raise", "ok", "sleep", "ok"))
    st = scorer.stats["hostile"]
    assert isinstance(st, RewardStats)
    assert st.n == 5
    assert st.counts[Status.OK] == 3
    assert st.counts[Status.ERROR] == 1 and st.counts[Status.TIMEOUT] == 1
    assert st.latency_p50_ms is not None and st.latency_p50_ms < 1000
    assert st.latency_p99_ms is not None and st.latency_p99_ms >= 1000  # the timeout
    assert st.to_dict()["counts"]["timeout"] == 1


def test_score_iter_streams_in_order() -> None:
    def gen() -> Any:
        for i in range(25):
            yield {"completion": "y" * i}

    with Scorer([hr.length], workers=2) as s:
        scores = [r["length"].score for r in s.score_iter(gen(), batch_size=4)]
    assert scores == [float(i) for i in range(25)]


def test_one_call_score_accepts_reference_strings() -> None:
    rows = [{"completion": "<think>a</think>\n<answer>4</answer>"}]
    out = score(rows, ["think_format", f"{hr.__file__}:length"], workers=1)
    assert out[0]["think_format"].status is Status.OK
    assert out[0]["length"].score == float(len(rows[0]["completion"]))


def test_bind_fails_fast_on_a_missing_column() -> None:
    with Scorer([hr.is_answer], isolation="inline") as s:
        with pytest.raises(MissingColumnError, match="answer"):
            s.bind(["completion", "prompt"], where="val.jsonl")
        s.bind(["completion", "answer"])


def test_invalid_arguments_are_rejected_with_the_valid_choices() -> None:
    with pytest.raises(ValueError, match="valid ones are 'auto', 'process', 'inline'"):
        Scorer([hr.length], isolation="thread")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        Scorer([hr.length], timeout=0)
    with pytest.raises(ValueError, match="key 'length'"):
        Scorer([hr.length, hr.length])


def test_ray_backend_without_its_module_says_so() -> None:
    if importlib.util.find_spec("rewardkit.engine._ray") is not None:
        pytest.skip("the Ray backend is present")
    with pytest.raises(NotImplementedError, match="backend='ray'"):
        Scorer([hr.length], backend="ray")


def test_a_closed_scorer_refuses_work() -> None:
    s = Scorer([hr.length], workers=1)
    s.close()
    s.close()
    with pytest.raises(RuntimeError, match="closed"):
        s.score(rows_of("x"))


# -- worker processes: fresh interpreters that hold nothing of the caller's ----------------


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_workers_get_no_unrelated_descriptors_and_lead_their_own_session() -> None:
    r, w = os.pipe()
    os.set_inheritable(r, True)  # even an inheritable descriptor stays with the caller
    mine = os.readlink(f"/proc/self/fd/{r}")
    try:
        with Scorer([hr.worker_facts], workers=1) as s:
            (res,) = s.score(rows_of("x"))
    finally:
        os.close(r)
        os.close(w)
    out = res["worker_facts"]
    pid = int(out.score)
    assert pid != os.getpid()
    assert out.extras["sid"] == pid  # killpg(pid) reaches whatever the reward spawned
    held = dict(out.extras["fds"])
    assert mine not in held.values()
    for fd in ("0", "1", "2"):
        held.pop(fd, None)
    # besides stdio: the socket to the parent and the shared progress block
    kinds = sorted(t.split(":")[0] if ":" in t else "file" for t in held.values())
    assert len(held) <= 2 and kinds.count("socket") == 1, held


KILLED_PARENT = """
import sys, time
sys.path.insert(0, sys.argv[1])
import hostile_rewards as hr
from rewardkit.engine import Scorer

s = Scorer([hr.whoami], workers=2, timeout=60)
pids = {int(r["whoami"].score) for r in s.score([{"completion": str(i)} for i in range(8)])}
print(" ".join(map(str, sorted(pids))), flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_die_with_a_caller_killed_by_sigkill() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    here = os.path.dirname(os.path.abspath(__file__))
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_PARENT, here], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert pids and proc.pid not in pids
    proc.kill()
    proc.wait(10)
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in pids if os.path.exists(f"/proc/{p}") and not _zombie(p)]
    assert not alive, f"workers {alive} outlived their caller"


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
