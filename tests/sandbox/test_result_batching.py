"""The fork server reads the result pipe in batches: deadlines and attribution must not change."""

from __future__ import annotations

import time

from rewardkit.sandbox import SandboxPool, Status

CODE = "def f(x):\n    while x < 0:\n        pass\n    return x\n"


def test_timeout_after_many_fast_steps(pool: SandboxPool) -> None:
    tests = [f"assert f({i}) == {i}" for i in range(40)] + ["assert f(-1) == 0"]
    start = time.monotonic()
    result = pool.run_tests(CODE, tests, partial_credit=True, timeout=0.5)
    assert time.monotonic() - start < 3.0
    assert result.passed == 40
    assert result.first_failure is not None
    assert (result.first_failure.index, result.first_failure.status) == (40, Status.TIMEOUT)


def test_fast_steps_then_crash_is_attributed(pool: SandboxPool) -> None:
    code = "import os\ndef f(x):\n    if x == 25:\n        os._exit(3)\n    return x\n"
    tests = [f"assert f({i}) == {i}" for i in range(30)]
    result = pool.run_tests(code, tests, partial_credit=True)
    assert result.passed == 29
    assert result.first_failure is not None and result.first_failure.index == 25
    assert result.first_failure.status is not Status.PASS


def test_large_observations_arrive_whole(pool: SandboxPool) -> None:
    code = "def f(x):\n    return 'y' * 100000 + str(x)\n"
    tests = [f"assert f({i}) == {'y' * 100000 + str(i)!r}" for i in range(12)]
    result = pool.run_tests(code, tests, partial_credit=True)
    assert result.status is Status.PASS and result.passed == 12


def test_each_slow_call_gets_its_own_deadline(pool: SandboxPool) -> None:
    """Records of steps whose replies were waiting are written together; a test's deadline
    must still start at its own step, never at an earlier one's."""
    code = "import time\ndef f(x):\n    time.sleep(0.3 if x % 2 else 0)\n    return x\n"
    tests = [f"assert f({i}) == {i}" for i in range(8)]
    result = pool.run_tests(code, tests, partial_credit=True, timeout=0.6)
    assert result.status is Status.PASS and result.passed == 8
