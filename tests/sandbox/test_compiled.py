"""C and C++: compiled with gcc/g++ inside the sandbox, then run per stdin/stdout case.

Bounded for CI like the hostile suite: tight limits (1 s per test, 512 MiB), network attacks
only target loopback addresses (127.0.0.0/8).
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator

import pytest
from sandbox_host import assert_host_untouched, strays

from rewardkit.sandbox import LanguageUnavailableError, SandboxPool, Status

pytestmark = pytest.mark.skipif(
    shutil.which("gcc") is None or shutil.which("g++") is None, reason="no gcc/g++ here"
)

NOT_PASS = {s for s in Status if s not in (Status.PASS, Status.INFRA_ERROR)}
MARK = f"rk-compiled-{uuid.uuid4().hex[:8]}"
SUM = {"inputs": ["1 2\n", "40 2\n", "-5 5\n"], "outputs": ["3\n", "42\n", "0\n"]}
C_SUM = """#include <stdio.h>
int main(void) {
    long a, b;
    if (scanf("%ld %ld", &a, &b) != 2) return 1;
    printf("%ld\\n", a + b);
    return 0;
}
"""
CPP_SUM = """#include <iostream>
#include <vector>
int main() {
    std::vector<long> v(2);
    std::cin >> v[0] >> v[1];
    std::cout << v[0] + v[1] << std::endl;
}
"""


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def _host_clean(pool: SandboxPool) -> None:
    assert strays(pool) == ([], [])


def test_correct_c_and_cpp_pass(pool: SandboxPool) -> None:
    for language, code in (("c", C_SUM), ("cpp", CPP_SUM), ("c++", CPP_SUM)):
        result = pool.run_tests(code, SUM, language=language)
        assert result.status is Status.PASS, (language, result)
        assert (result.passed, result.total) == (3, 3)
    _host_clean(pool)


def test_float_tolerance_applies(pool: SandboxPool) -> None:
    code = '#include <stdio.h>\nint main(void){ printf("%.9f\\n", 1.0 / 3.0); return 0; }\n'
    tests = {"inputs": [""], "outputs": ["0.333333"]}
    assert pool.run_tests(code, tests, language="c").status is Status.FAIL
    ok = pool.run_tests(code, tests, language="c", float_tolerance=1e-5)
    assert ok.status is Status.PASS


def test_wrong_answer_fails_with_partial_credit(pool: SandboxPool) -> None:
    wrong = C_SUM.replace("a + b", "a * b")  # right for "-5 5"? no: -25; all three wrong
    result = pool.run_tests(wrong, SUM, language="c", partial_credit=True)
    assert result.status is Status.FAIL
    assert result.total == 3 and result.passed < 3
    assert "wrong output" in result.first_failure.reason  # type: ignore[union-attr]


def test_compile_error_is_a_runtime_error_with_the_message(pool: SandboxPool) -> None:
    result = pool.run_tests("int main(void) { return undefined_name; }\n", SUM, language="c")
    assert result.status is Status.RUNTIME_ERROR
    reason = result.first_failure.reason  # type: ignore[union-attr]
    assert reason.startswith("compile error:") and "undefined_name" in reason
    assert result.passed == 0 and result.total == 3
    _host_clean(pool)


def test_nonzero_exit_and_crash_are_runtime_errors(pool: SandboxPool) -> None:
    exit3 = pool.run_tests("int main(void){ return 3; }\n", SUM, language="c")
    assert exit3.first_failure is not None and exit3.status is Status.RUNTIME_ERROR
    assert "exit code 3" in exit3.first_failure.reason
    segv = pool.run_tests("int main(void){ return *(volatile int *)0; }\n", SUM, language="c")
    assert segv.first_failure is not None and segv.status is Status.RUNTIME_ERROR
    assert "SIGSEGV" in segv.first_failure.reason


def test_infinite_loop_times_out(pool: SandboxPool) -> None:
    result = pool.run_tests("int main(void){ for (;;) {} }\n", SUM, language="c")
    assert result.status is Status.TIMEOUT
    assert result.usage.wall_s < 4.0
    _host_clean(pool)


HOSTILE_C = {
    "fork_bomb": "#include <unistd.h>\nint main(void){ for (;;) fork(); }\n",
    "memory_bomb": "#include <stdlib.h>\n#include <string.h>\n#include <stdio.h>\n"
    "int main(void){ for (;;) { char *p = malloc(64 << 20); memset(p, 1, 64 << 20); }"
    ' puts("3"); }\n',
    "stdout_flood": '#include <stdio.h>\nint main(void){ for (;;) puts("3"); }\n',
    "daemon": "#include <unistd.h>\n#include <stdio.h>\nint main(void){ if (fork() == 0) {"
    ' setsid(); sleep(30); } puts("daemon"); return 0; }\n',  # must not outlive the job
    "write_outside": '#include <stdio.h>\nint main(void){ FILE *f = fopen("/usr/lib/'
    + MARK
    + '", "w"); FILE *g = fopen("'
    + os.path.join(os.getcwd(), MARK)
    + '", "w");'
    ' if (!f && !g) return 1; puts("3"); return 0; }\n',
    "read_root": '#include <stdio.h>\nint main(void){ FILE *f = fopen("/root/.bashrc", "r");'
    ' FILE *g = fopen("/proc/1/environ", "r"); if (!f && !g) return 1; puts("3"); }\n',
    "nested_userns": "#define _GNU_SOURCE\n#include <sched.h>\n#include <stdio.h>\n"
    'int main(void){ if (unshare(CLONE_NEWUSER) != 0) return 1; puts("3"); }\n',
}


@pytest.mark.parametrize("name", sorted(HOSTILE_C))
def test_hostile_c_is_contained(pool: SandboxPool, name: str, listener: socket.socket) -> None:
    tests = {"inputs": ["1 2\n"], "outputs": ["3\n"]}
    result = pool.run_tests(HOSTILE_C[name], tests, language="c")
    assert result.status in NOT_PASS, (name, result)
    assert_host_untouched(pool, MARK, listener)


def test_compiled_binary_cannot_connect_to_loopback(
    pool: SandboxPool, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    code = f"""#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
int main(void) {{
    struct sockaddr_in a = {{0}};
    a.sin_family = AF_INET;
    a.sin_port = htons({port});
    a.sin_addr.s_addr = htonl(0x7f000001);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) {{ perror("socket"); return 2; }}
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {{ perror("connect"); return 3; }}
    puts("3");
    return 0;
}}
"""
    result = pool.run_tests(code, {"inputs": [""], "outputs": ["3"]}, language="c")
    assert result.status is Status.RUNTIME_ERROR, result
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_tests_must_be_stdio(pool: SandboxPool) -> None:
    from rewardkit.sandbox import TestFormatError

    with pytest.raises(TestFormatError, match="stdin/stdout"):
        pool.run_tests(C_SUM, ["assert True"], language="c")


def test_missing_compiler_fails_closed(pool: SandboxPool, monkeypatch: pytest.MonkeyPatch) -> None:
    from rewardkit.contract._outcome import Status as OutcomeStatus
    from rewardkit.rewards.code import code_tests
    from rewardkit.sandbox import _suite, ray_pool

    monkeypatch.setattr(ray_pool, "selected_pool", lambda: pool)
    out = code_tests.score({"completion": f"```c\n{C_SUM}```", "tests": SUM, "language": "c"})
    assert (out.status, out.score) == (OutcomeStatus.OK, 1.0)
    out = code_tests.score({"completion": f"```cpp\n{CPP_SUM}```", "tests": SUM, "language": "C++"})
    assert (out.status, out.score) == (OutcomeStatus.OK, 1.0)
    monkeypatch.setattr(_suite.shutil, "which", lambda name: None)
    with pytest.raises(LanguageUnavailableError, match="no gcc"):
        pool.run_tests(C_SUM, SUM, language="c")
    out = code_tests.score({"completion": f"```c\n{C_SUM}```", "tests": SUM, "language": "c"})
    assert out.status is OutcomeStatus.NOT_APPLICABLE
    assert "language 'c' not available: no gcc" in out.reason
