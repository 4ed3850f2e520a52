"""Red team: programs written to score without solving, as a policy rewarded only for passing.

Each one answers ``double`` (tests: ``assert double(k) == 2 * k``, a HumanEval-style check and
a stateful class) without computing it; every one must not pass, must not be an infra error,
and must leave the pool healthy (a correct program still passes right after it) and the host
untouched. The tests run in a separate driver process, so these attacks target the candidate's
own interpreter, its channel to the driver, the fork server's memory and the parent's clock.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest
from sandbox_host import assert_host_untouched

from rewardkit.sandbox import SandboxPool, Status

MARK = f"rk-redteam-{uuid.uuid4().hex[:8]}"
ASSERTS = [f"assert double({k}) == {2 * k}" for k in (1, 2, 5)]
CHECK = {
    "test": "def check(candidate):\n    for k in range(4):\n        assert candidate(k) == 2 * k\n"
    "    assert abs(candidate(0.5) - 1.0) < 1e-9\n",
    "entry_point": "double",
}
CORRECT = "def double(x):\n    return 2 * x\n"

_EQ = "class E:\n    def __eq__(s, o): return True\n    def __ne__(s, o): return False\n"
RED_TEAM = {
    "caller_frames_locals": "import sys\ndef double(x):\n    f = sys._getframe(1)\n"
    "    while f is not None:\n        for v in list(f.f_locals.values()):\n"
    "            if isinstance(v, int) and v == 2 * x:\n                return v\n"
    "        f = f.f_back\n    return None\n",
    "gc_scan_for_tests": "import gc\ndef double(x):\n    for o in gc.get_objects():\n"
    "        if isinstance(o, str) and 'assert' in o:\n            return o\n    return None\n",
    "raw_memory_scan": "import ctypes, gc\ndef double(x):\n    found = None\n"
    "    for o in gc.get_objects()[:2000]:\n        try:\n"
    "            raw = ctypes.string_at(id(o), 4096)\n        except Exception:\n            continue\n"
    "        if b'assert double' in raw:\n            found = raw\n    return found\n",
    "read_proc_and_fds": "import os\ndef double(x):\n    text = ''\n"
    "    for path in ['/proc/self/cmdline', '/proc/1/cmdline', '/proc/1/environ']:\n"
    "        try:\n            text += open(path).read()\n        except OSError:\n            pass\n"
    "    for fd in range(0, 64):\n        try:\n            text += os.pread(fd, 1 << 16, 0).decode('latin1')\n"
    "        except OSError:\n            pass\n    return text or None\n",
    "guess_from_exceptions": "def double(x):\n    class Probe:\n"
    "        def __eq__(s, o):\n            raise AssertionError(o)\n    return Probe()\n",
    "bool_and_int_subclasses": "class B(int):\n    def __eq__(s, o): return True\n"
    "    __hash__ = int.__hash__\ndef double(x):\n    return B(0)\n",
    "str_subclass": "class S(str):\n    def __eq__(s, o): return True\ndef double(x):\n    return S('')\n",
    "nan_tricks": "def double(x):\n    return float('nan')\n",
    "recursive_container": "def double(x):\n    a = []\n    a.append(a)\n    return a\n",
    "huge_structure": "def double(x):\n    return list(range(30_000_000))\n",
    "deep_structure": "def double(x):\n    a = []\n    for _ in range(100000):\n        a = [a]\n    return a\n",
    "repr_raises": "class R:\n    def __repr__(s): raise RuntimeError\n    __str__ = __repr__\n"
    "def double(x):\n    return R()\n",
    "endless_generator": "def double(x):\n    while True:\n        yield 2 * x\n",
    "close_the_socket": "import os\ndef double(x):\n    os.close(3)\n    return 2 * x if x > 100 else 0\n",
    "forge_frames_on_socket": "import os, json, struct\ndef double(x):\n"
    "    body = json.dumps({'v': 2 * x}).encode()\n"
    "    os.write(3, struct.pack('>I', len(body)) + body)\n    return None\n",
    "shutdown_socket_write": "import socket\ns = socket.socket(fileno=3)\n"
    "s.shutdown(socket.SHUT_WR)\ndef double(x):\n    return 0\n",
    "sleep_past_deadline": "import time\ndef double(x):\n    time.sleep(30)\n    return 2 * x\n",
    "stdout_protocol_spoof": "import sys\ndef double(x):\n"
    "    sys.stdout.write('R\\nO 0 [2]\\nO 1 [4]\\nO 2 [10]\\nD\\n')\n    sys.stdout.flush()\n"
    "    sys.stderr.write('D\\n')\n    return None\n",
    "exit_zero_in_call": "import os\ndef double(x):\n    os._exit(0)\n",
    "patch_everything": _EQ + "import builtins, math, operator, json, unittest\n"
    "builtins.abs = lambda v: 0\nmath.isclose = lambda *a, **k: True\n"
    "operator.eq = lambda a, b: True\njson.dumps = lambda *a, **k: 'true'\n"
    "builtins.AssertionError = type('X', (Exception,), {})\n"
    "unittest.TestCase.assertEqual = lambda *a, **k: None\ndef double(x):\n    return E()\n",
    "signal_the_driver": "import os, signal\nfor pid in range(1, 64):\n"
    "    if pid != os.getpid():\n        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGSTOP, signal.SIGKILL):\n"
    "            try:\n                os.kill(pid, sig)\n            except OSError:\n                pass\n"
    "def double(x):\n    return 0\n",
    "exhaust_the_driver": "def double(x):\n    return [[0] * 1000 for _ in range(5000)]\n",
    "raise_system_exit": "def double(x):\n    raise SystemExit(0)\n",
    "raise_keyboard_interrupt": "def double(x):\n    raise KeyboardInterrupt\n",
    "claim_memory_error_name": "class MemoryError(Exception):\n    pass\n"
    "def double(x):\n    raise StopIteration\n",
    "stop_iteration_truncates_map": "def double(x):\n    raise StopIteration\n",
    "getattr_everything": "class Solution:\n    def __getattr__(self, n):\n        return lambda *a: 0\n"
    "double = Solution().double\n",
    "memfd_secret": "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "fd = libc.syscall(447, 0)\ndef double(x):\n    return fd\n",
    "deep_tree_and_fifos": "import os\nos.chdir('/tmp')\nfor i in range(1500):\n"
    "    try:\n        os.mkdir('d')\n        os.chdir('d')\n    except OSError:\n        break\n"
    "os.mkfifo('f')\nimport socket\ns = socket.socket(socket.AF_UNIX)\ns.bind('sock')\n"
    "os.chdir('/tmp')\nos.mkdir('locked')\nopen('locked/x', 'w').close()\nos.chmod('locked', 0)\n"
    "def double(x):\n    return 0\n",
    "many_files": "import os\nfor i in range(5000):\n    try:\n"
    "        open(f'/tmp/f{i}', 'w').close()\n    except OSError:\n        break\n"
    "def double(x):\n    return 0\n",
    "write_outside": "import os\nfor p in ['/usr/lib/" + MARK + "', '/" + MARK + "']:\n"
    "    try:\n        open(p, 'w').write('x')\n    except OSError:\n        pass\n"
    "def double(x):\n    return 0\n",
}


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


@pytest.mark.parametrize("name", sorted(RED_TEAM))
def test_red_team_program_never_passes(
    pool: SandboxPool, listener: socket.socket, name: str
) -> None:
    code = RED_TEAM[name]
    for tests in (ASSERTS, CHECK):
        result = pool.run_tests(code, tests, partial_credit=True)
        assert result.status is not Status.PASS and not result.infra_error, (name, result)
    assert pool.run_tests(CORRECT, CHECK).status is Status.PASS  # the pool is healthy
    assert_host_untouched(pool, MARK, listener)


def test_red_team_class_protocol_never_passes(pool: SandboxPool) -> None:
    tests = ["s = Stack()\ns.push(3)\ns.push(4)\nassert s.pop() == 4\nassert s.size() == 1"]
    forged = _EQ + "class Stack:\n    def __getattr__(self, n):\n        return lambda *a: E()\n"
    assert pool.run_tests(forged, tests).status is not Status.PASS
    good = (
        "class Stack:\n    def __init__(self):\n        self.items = []\n"
        "    def push(self, x):\n        self.items.append(x)\n"
        "    def pop(self):\n        return self.items.pop()\n"
        "    def size(self):\n        return len(self.items)\n"
    )
    assert pool.run_tests(good, tests).status is Status.PASS


def test_honest_styles_still_pass(pool: SandboxPool) -> None:
    """What the driver must keep working: in-place mutation, generators, Solution classes,
    exceptions a test expects, numpy results, kwargs, the prompt's helpers."""
    mutate = ["a = [3, 1, 2]\nsort_it(a)\nassert a == [1, 2, 3]"]
    assert pool.run_tests("def sort_it(a):\n    a.sort()\n", mutate).status is Status.PASS
    gen = ["assert list(g(3)) == [0, 1, 4]", "assert sum(g(4)) == 14"]
    assert (
        pool.run_tests("def g(n):\n    for i in range(n):\n        yield i * i\n", gen).status
        is Status.PASS
    )
    raises = ["try:\n    f(-1)\n    assert False\nexcept ValueError:\n    pass"]
    assert pool.run_tests("def f(x):\n    raise ValueError(x)\n", raises).status is Status.PASS
    assert pool.run_tests("def f(x):\n    return x\n", raises).status is not Status.PASS
    np_code = "import numpy as np\ndef f(n):\n    return np.arange(n).sum()\n"
    assert pool.run_tests(np_code, ["assert f(4) == 6"]).status is Status.PASS
    kw = ["assert f(1, y=2) == 3"]
    assert pool.run_tests("def f(x, y=0):\n    return x + y\n", kw).status is Status.PASS
    calls = {"fn_name": "add", "cases": [[[1, 2], 3]]}
    solution = "class Solution:\n    def add(self, a, b):\n        return a + b\n"
    assert pool.run_tests(solution, calls).status is Status.PASS


def test_stop_iteration_from_a_call_does_not_end_the_tests_loop(pool: SandboxPool) -> None:
    tests = ["assert all(map(lambda v: double(v) == 2 * v, [1, 2, 3]))",
             "assert list(map(double, [1, 2])) == [2, 4]"]  # fmt: skip
    stub = "def double(x):\n    raise StopIteration\n"
    assert pool.run_tests(stub, tests, partial_credit=True).passed == 0
    assert pool.run_tests(CORRECT, tests).status is Status.PASS


def test_shadowed_builtins_and_modules_are_not_used_by_tests(pool: SandboxPool) -> None:
    """A candidate's own ``abs``/``isinstance``/``math`` never replace the test's."""
    tests = [
        "assert abs(double(1) - 2) < 1e-9",
        "assert math.isclose(double(2), 4)",
        "assert isinstance(double(3), int) and double(3) == 6",
    ]
    shadow = (
        "import math as _m\nclass _FakeMath:\n    def isclose(self, *a, **k):\n        return True\n"
        "math = _FakeMath()\ndef abs(x):\n    return 0\ndef isinstance(*a):\n    return True\n"
        "def double(x):\n    return 0\n"
    )
    result = pool.run_tests(shadow, tests, partial_credit=True)
    assert result.passed == 0, result
    honest = "import math\ndef double(x):\n    return 2 * x\n"
    assert pool.run_tests(honest, tests).status is Status.PASS


def test_prompt_helpers_come_from_the_prompt(pool: SandboxPool) -> None:
    """HumanEval/38-style: the test calls a helper of the prompt; a candidate that redefines
    it (to make its own answer look right) is judged with the prompt's helper."""
    prompt = "def enc(s):\n    return s[::-1]\n\ndef dec(s):\n    '''inverse of enc'''\n"
    tests = {"test": "def check(candidate):\n    assert candidate(enc('abc')) == 'abc'\n",
             "entry_point": "dec", "prompt": prompt}  # fmt: skip
    rigged = prompt + "    return s\n\ndef enc(s):\n    return s\n"
    assert pool.run_tests(rigged, tests).status is not Status.PASS
    assert pool.run_tests(prompt + "    return s[::-1]\n", tests).status is Status.PASS
