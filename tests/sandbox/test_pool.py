"""Core behaviour: test formats, statuses, partial credit, limits and resource hygiene."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from sandbox_host import open_fds, ready_pairs, strays

from rewardkit.sandbox import (
    Limits,
    SandboxPool,
    SandboxUnavailableError,
    Status,
    TestFormatError,
    choose_tier,
)

DOUBLE = "def f(x):\n    return 2 * x\n"


def test_correct_assert_suite_passes(pool: SandboxPool) -> None:
    result = pool.run_tests(DOUBLE, ["assert f(2) == 4", "assert f(0) == 0"])
    assert (result.status, result.passed, result.total) == (Status.PASS, 2, 2)
    assert result.first_failure is None and not result.infra_error
    assert result.fraction == 1.0 and result.usage.wall_s > 0


def test_wrong_answer_names_the_first_failed_test(pool: SandboxPool) -> None:
    result = pool.run_tests(DOUBLE, ["assert f(2) == 4", "assert f(3) == 7", "assert f(1) == 2"])
    assert result.status is Status.FAIL
    assert result.first_failure is not None and result.first_failure.index == 1
    assert "f(3) == 7" in result.first_failure.reason and "got 6" in result.first_failure.reason


def test_partial_credit_keeps_going(pool: SandboxPool) -> None:
    tests = ["assert f(2) == 4", "assert f(3) == 7", "assert f(1) == 2"]
    result = pool.run_tests(DOUBLE, tests, partial_credit=True)
    assert (result.passed, result.total) == (2, 3)
    assert result.fraction == pytest.approx(2 / 3)


def test_partial_credit_resumes_after_a_timeout(pool: SandboxPool) -> None:
    code = DOUBLE + "def spin():\n    while True:\n        pass\n"
    tests = ["assert f(1) == 2", "assert spin()", "assert f(2) == 4"]
    result = pool.run_tests(code, tests, partial_credit=True)
    assert [t.status for t in result.tests] == [Status.PASS, Status.TIMEOUT, Status.PASS]
    assert result.status is Status.TIMEOUT and result.passed == 2


def test_max_tests_caps_the_suite(pool: SandboxPool) -> None:
    result = pool.run_tests(DOUBLE, [f"assert f({i}) == {2 * i}" for i in range(10)], max_tests=3)
    assert (result.status, result.total) == (Status.PASS, 3)


def test_stdin_stdout_cases(pool: SandboxPool) -> None:
    code = "a, b = map(int, input().split())\nprint(a + b)\n"
    tests = {"inputs": ["1 2\n", "5 5\n"], "outputs": ["3\n", "10"]}
    assert pool.run_tests(code, tests).status is Status.PASS
    wrong = pool.run_tests(code, {"inputs": ["1 2\n"], "outputs": ["4\n"]})
    assert wrong.status is Status.FAIL and "wrong output" in wrong.first_failure.reason  # type: ignore[union-attr]


def test_stdout_needs_every_line(pool: SandboxPool) -> None:
    """Printing only the first expected line must not pass (no zip truncation)."""
    result = pool.run_tests("print(1)\n", {"inputs": [""], "outputs": ["1\n2\n"]})
    assert result.status is Status.FAIL


def test_stdout_float_tolerance(pool: SandboxPool) -> None:
    tests = {"inputs": [""], "outputs": ["0.3333333\n"]}
    code = "print(1 / 3)\n"
    assert pool.run_tests(code, tests).status is Status.FAIL
    assert pool.run_tests(code, tests, float_tolerance=1e-6).status is Status.PASS


def test_function_call_cases(pool: SandboxPool) -> None:
    tests = {"fn_name": "f", "cases": [[[2], 4], [[5], 10]]}
    assert pool.run_tests(DOUBLE, tests).status is Status.PASS
    apps = {"fn_name": "f", "inputs": [[1], [2]], "outputs": [2, 5]}
    result = pool.run_tests(DOUBLE, apps, partial_credit=True)
    assert (result.passed, result.total) == (1, 2)


def test_leetcode_style_method(pool: SandboxPool) -> None:
    code = "class Solution:\n    def add(self, a, b):\n        return a + b\n"
    assert pool.run_tests(code, {"fn_name": "add", "cases": [[[1, 2], 3]]}).status is Status.PASS


def test_humaneval_check_style(pool: SandboxPool) -> None:
    tests = {
        "test": "def check(candidate):\n    assert candidate(1) == 2\n"
        "    for x in range(3):\n        assert candidate(x) == 2 * x\n",
        "entry_point": "f",
    }
    result = pool.run_tests(DOUBLE, tests)
    assert (result.status, result.total) == (Status.PASS, 2)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("def f(:\n", Status.RUNTIME_ERROR),  # syntax error
        ("def f(x):\n    return 1 / 0\n", Status.RUNTIME_ERROR),
        ("def f(x):\n    return bytearray(4 << 30)\n", Status.MEMORY),
        ("def f(x):\n    while True:\n        pass\n", Status.TIMEOUT),
        ("def f(x):\n    while True:\n        print('x' * 1000)\n", Status.OUTPUT_LIMIT),
        ("def f(x):\n    import ctypes\n    return ctypes.string_at(0)\n", Status.RUNTIME_ERROR),
    ],  # fmt: skip
)
def test_distinct_statuses(pool: SandboxPool, code: str, status: Status) -> None:
    result = pool.run_tests(code, ["assert f(1) == 2"])
    assert result.status is status, result.first_failure
    assert not result.infra_error


def test_execute_returns_raw_observations(pool: SandboxPool) -> None:
    result = pool.execute("import sys\nprint(sys.stdin.read().upper())\n", stdin="abc")
    assert result.status is Status.PASS and result.stdout == "ABC\n" and result.completed


def test_bad_test_format_is_rejected(pool: SandboxPool) -> None:
    with pytest.raises(TestFormatError, match="expected 'inputs'"):
        pool.run_tests(DOUBLE, {"unknown": 1})
    with pytest.raises(ValueError, match="not supported"):
        pool.run_tests(DOUBLE, ["assert True"], language="cobol")


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="memory_mb"):
        Limits(memory_mb=0)


def test_probe_fails_closed_without_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REWARDKIT_SANDBOX_UNSAFE", raising=False)
    with pytest.raises(SandboxUnavailableError, match="allow_unsafe=True"):
        choose_tier({"tier": None, "errors": {"root": "no"}})
    assert choose_tier({"tier": None}, allow_unsafe=True) == "unsafe"
    monkeypatch.setenv("REWARDKIT_SANDBOX_UNSAFE", "1")
    assert choose_tier({"tier": None}) == "unsafe"


def test_no_leaks_after_many_jobs(pool: SandboxPool) -> None:
    """Hundreds of jobs (some killed) leave no process, zombie or fd behind."""
    for _ in pool._all:  # every server then holds a ready pair (and its fds)
        pool.run_tests(DOUBLE, ["assert f(1) == 2"])
    _wait_for_pair(pool, count=len(pool._all))
    time.sleep(0.1)  # let each server finish closing its pair's child ends
    fds = open_fds()
    server_fds = [open_fds(w.proc.pid) for w in pool._all]
    for i in range(300):
        code = DOUBLE if i % 50 else "import os\nos.fork()\nwhile True:\n    pass\n"
        pool.run_tests(code, ["assert f(1) == 2"], timeout=0.2)
    _wait_for_pair(pool, count=len(pool._all))
    assert open_fds() == fds
    deadline = time.monotonic() + 2  # a server may still be closing its pair's child ends
    while [open_fds(w.proc.pid) for w in pool._all] != server_fds:
        assert time.monotonic() < deadline, [open_fds(w.proc.pid) for w in pool._all]
        time.sleep(0.02)
    assert strays(pool) == ([], [])


def test_unsafe_mode_runs_only_on_explicit_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    from rewardkit.sandbox import _probe

    monkeypatch.setitem(_probe._cache, "report", {"tier": None, "errors": {"root": "test"}})
    monkeypatch.delenv("REWARDKIT_SANDBOX_UNSAFE", raising=False)
    with pytest.raises(SandboxUnavailableError):
        SandboxPool(workers=1)
    with SandboxPool(workers=1, allow_unsafe=True) as unsafe:
        assert unsafe.tier == "unsafe"
        assert unsafe.run_tests(DOUBLE, ["assert f(2) == 4"]).status is Status.PASS
        assert unsafe.run_tests(DOUBLE, ["assert f(2) == 5"]).status is Status.FAIL


def test_a_server_killed_mid_job_is_replaced_and_the_job_retried() -> None:
    """The retry runs on a fresh server and gives the job's real verdict, not infra_error."""
    with SandboxPool(workers=1, limits=Limits(test_timeout=3.0, total_timeout=6.0)) as one:
        first = one._all[0].proc.pid
        killer = threading.Timer(0.2, os.kill, (first, signal.SIGKILL))
        killer.start()
        code = "import time\ndef f(x):\n    time.sleep(0.6)\n    return 2 * x\n"
        result = one.run_tests(code, ["assert f(1) == 2"])
        killer.join()
        assert result.status is Status.PASS, result
        assert [w.proc.pid for w in one._all] != [first]
        assert one.run_tests(DOUBLE, ["assert f(2) == 4"]).status is Status.PASS


def test_jobs_get_fresh_random_state(pool: SandboxPool) -> None:
    """Jobs are forked without CPython's at-fork hooks; ``random`` is still re-seeded in
    each one (candidate and driver), as ``os.fork`` would: no two jobs share a sequence."""
    code = "import random\nvalue = random.getrandbits(64)\nprint(value)\n"
    seen = {pool.execute(code).stdout.strip() for _ in range(6)}
    assert len(seen) == 6 and "" not in seen
    tests = ["import random\nx = random.getrandbits(64)", "assert f() == x"]
    reasons = set()
    for _ in range(4):  # the failure names both observed operands: 1 and the driver's x
        result = pool.run_tests("def f():\n    return 1\n", tests)
        assert result.status is Status.FAIL
        reasons.add(result.first_failure.reason)  # type: ignore[union-attr]
    assert len(reasons) == 4


def test_threads_work_in_jobs(pool: SandboxPool) -> None:
    code = (
        "import threading\nfrom concurrent.futures import ThreadPoolExecutor\n"
        "def f(n):\n    with ThreadPoolExecutor(4) as ex:\n"
        "        return sum(ex.map(lambda x: x * x, range(n)))\n"
        "def g():\n    out = []\n    t = threading.Thread(target=out.append, args=(7,))\n"
        "    t.start()\n    t.join()\n    return out + [threading.current_thread().name]\n"
    )
    tests = ["assert f(10) == 285", "assert g() == [7, 'MainThread']"]
    assert pool.run_tests(code, tests).status is Status.PASS


def test_test_jobs_are_served_by_pairs_forked_ahead() -> None:
    """After a test job each fork server holds one ready pair (driver + candidate, alone in
    a fresh pid namespace); a script job, or a job with other limits, never runs beside it,
    and after a script job no pair is made (the next job may well be one too)."""
    with SandboxPool(workers=1) as one:
        assert ready_pairs(one) == set()
        for _ in range(3):
            assert one.run_tests(DOUBLE, ["assert f(1) == 2"]).status is Status.PASS
        size = _PAIR_SIZE[one.tier]
        first = _wait_for_pair(one)
        assert len(first) == size
        assert one.run_tests(DOUBLE, ["assert f(2) == 4"]).status is Status.PASS
        second = _wait_for_pair(one, other_than=frozenset(first))
        assert len(second) == size and not second & first  # used, and a fresh pair made
        cpu = "import resource\ndef f():\n    return resource.getrlimit(resource.RLIMIT_CPU)[0]\n"
        total = one.limits.total_timeout
        assert one.run_tests(cpu, [f"assert f() == {int(total) + 2}"]).status is Status.PASS
        longer = total + 5  # another CPU limit: the waiting pair must not serve this job
        result = one.run_tests(cpu, [f"assert f() == {int(longer) + 2}"], timeout=longer)
        assert result.status is Status.PASS
        assert len(_wait_for_pair(one)) == size
        assert one.execute("print(1)").stdout == "1\n"  # killed the pair, made no other
        assert strays(one) == ([], []) and ready_pairs(one) == set()


_PAIR_SIZE = {"root": 2, "userns": 3}  # userns: the pair's supervisor process counts too


def _wait_for_pair(
    pool: SandboxPool, other_than: frozenset[int] = frozenset(), count: int = 1
) -> set[int]:
    """A server forks its next pair right after replying: wait (bounded) for ``count``
    servers' pairs."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        pair = ready_pairs(pool)
        if len(pair) == _PAIR_SIZE[pool.tier] * count and not pair & other_than:
            return pair
        time.sleep(0.02)
    return ready_pairs(pool)
