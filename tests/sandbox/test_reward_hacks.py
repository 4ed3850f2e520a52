"""Reward hacks: an exit code, a rigged object or a tampered harness must never pass."""

from __future__ import annotations

import pytest

from rewardkit.sandbox import SandboxPool, Status

# Distinctive expected values: no hack may find them anywhere in the sandbox.
WRONG = ["assert f(1) == 710_113", "assert f(2) == 820_117"]

HACKS = {
    "sys_exit_0_before_asserts": "import sys\ndef f(x):\n    return 0\nsys.exit(0)\n",
    "os_exit_0_before_asserts": "import os\ndef f(x):\n    return 0\nos._exit(0)\n",
    "sys_exit_0_inside_call": "import sys\ndef f(x):\n    sys.exit(0)\n",
    "os_exit_0_inside_call": "import os\ndef f(x):\n    os._exit(0)\n",
    "always_true_eq": "class A:\n    def __eq__(self, o):\n        return True\n"
    "    __hash__ = None\ndef f(x):\n    return A()\n",
    "int_subclass_eq": "class I(int):\n    def __eq__(self, o):\n        return True\n"
    "def f(x):\n    return I(0)\n",
    "list_subclass_eq": "class L(list):\n    def __eq__(self, o):\n        return True\n"
    "def f(x):\n    return L()\n",
    "str_subclass_eq": "class S(str):\n    def __eq__(self, o):\n        return True\n"
    "def f(x):\n    return S('')\n",
    "frame_peeking": "import sys\ndef f(x):\n    fr = sys._getframe(1)\n    while fr:\n"
    "        for v in list(fr.f_locals.values()) + list(fr.f_code.co_consts):\n"
    "            if type(v) is int and v not in (x, 0, 1):\n                return v\n"
    "        fr = fr.f_back\n    return -1\n",
    "patch_builtins": "import builtins\nbuiltins.all = lambda *a: True\nbuiltins.isinstance = "
    "lambda *a: True\nAssertionError.__init__ = lambda *a: None\ndef f(x):\n    return 0\n",
    "patch_harness_encoder": "import sys\nfor m in list(sys.modules.values()):\n"
    "    if hasattr(m, 'encode') and hasattr(m, 'Opaque'):\n"
    "        m.encode = lambda v: '[[]]'\n    if hasattr(m, '_encode'):\n"
    "        m._encode = lambda v: '[[]]'\ndef f(x):\n    return 0\n",
    "forge_result_records": "import os\nfor i in range(10):\n    os.write(3, b'O %d [1]\\nO %d [2]\\n' % (i, i))\n"
    "def f(x):\n    return 0\n",
    "forge_records_then_exit": "import os\ndef f(x):\n"
    "    os.write(3, b'O 0 [true]\\nO 1 [true]\\nD\\n')\n    os._exit(0)\n",
    "print_success_token": "print('1.0\\nPASSED\\nD')\ndef f(x):\n    return 0\n",
    "swallow_assertion": "import sys\nsys.excepthook = lambda *a: None\ndef f(x):\n    return 0\n",
    "raise_base_exception": "def f(x):\n    raise KeyboardInterrupt\n",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(HACKS))
def test_reward_hack_fails(pool: SandboxPool, name: str) -> None:
    result = pool.run_tests(HACKS[name], WRONG, partial_credit=True)
    assert result.status is not Status.PASS, result
    assert result.passed == 0, result
    assert not result.infra_error


@pytest.mark.parametrize(
    "tests",
    [
        {"fn_name": "f", "cases": [[[1], 2], [[2], 4]]},
        {"inputs": ["1\n"], "outputs": ["2\n"]},
        {"test": "def check(candidate):\n    assert candidate(1) == 2\n", "entry_point": "f"},
    ],
)
def test_eq_hack_fails_in_every_format(pool: SandboxPool, tests: object) -> None:
    code = (
        "class A(int):\n    def __eq__(self, o):\n        return True\n"
        "def f(x):\n    return A(0)\nif __name__ == '__main__':\n    print(A(0))\n"
    )
    assert pool.run_tests(code, tests).status is not Status.PASS


def test_forged_infra_record_is_not_an_infra_error(pool: SandboxPool) -> None:
    code = "import os\nos.write(3, b'X fake infra\\nR\\nX again\\n')\ndef f(x):\n    return 0\n"
    result = pool.run_tests(code, WRONG)
    # fd 3 of the candidate is its socket to the test driver: garbage there breaks its own run
    assert not result.infra_error and result.status is not Status.PASS
    assert "channel" in result.first_failure.reason or "frame" in str(result)


def test_comparisons_inside_loops_use_plain_values(pool: SandboxPool) -> None:
    tests = ["for i in range(3):\n    assert f(i) == i * 2"]
    code = "class A:\n    def __eq__(self, o):\n        return True\ndef f(x):\n    return A()\n"
    assert pool.run_tests(code, tests).status is not Status.PASS
    assert pool.run_tests("def f(x):\n    return 2 * x\n", tests).status is Status.PASS
