"""Hostile programs: each must end in a non-pass status with the host untouched.

Bounded for CI: limits are tight (1 s per test, 512 MiB), every loop is capped, and network
attacks only ever target loopback addresses (127.0.0.0/8).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest
from sandbox_host import assert_host_untouched

from rewardkit.sandbox import SandboxPool, Status

NOT_PASS = {s for s in Status if s not in (Status.PASS, Status.INFRA_ERROR)}
MARK = f"rk-hostile-{uuid.uuid4().hex[:8]}"


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    """A TCP listener on loopback that must never see a connection from the sandbox."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


HOSTILE = {
    "fork_bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    "thread_bomb": "import threading, time\nts = []\nfor _ in range(100000):\n"
    "    t = threading.Thread(target=time.sleep, args=(60,))\n    t.start()\n    ts.append(t)\n",
    "memory_bomb": "chunks = []\nwhile True:\n    chunks.append(bytearray(64 << 20))\n",
    "infinite_loop": "while True:\n    pass\n",
    "long_c_call": "sum(range(10**12))\n",
    "deep_recursion": "import sys\nsys.setrecursionlimit(10**7)\ndef r(n):\n    return r(n + 1) + 1\nr(0)\n",
    "disk_fill": "with open('fill', 'wb') as fh:\n    while True:\n        fh.write(b'x' * (1 << 20))\n",
    "sparse_file": "with open('sparse', 'wb') as fh:\n    fh.truncate(1 << 40)\n",
    "fd_exhaustion": "fs = [open('/dev/null') for _ in range(100000)]\n",
    "dev_shm_fill": "with open('/dev/shm/fill', 'wb') as fh:\n    while True:\n        fh.write(b'x' * (1 << 20))\n",
    "stdout_flood": "while True:\n    print('x' * 10000)\n",
    "stderr_flood": "import sys\nwhile True:\n    sys.stderr.write('x' * 10000)\n",
    "closed_stdout": "import os\nos.close(1)\nos.close(2)\nwhile True:\n    pass\n",
    "blocking_stdin": "while True:\n    input()\n",
    "setsid_escape": "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
    "        time.sleep(60)\n    os._exit(0)\nwhile True:\n    pass\n",
    "udp_loopback": "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "s.sendto(b'x', ('127.0.0.1', 9))\n",
    "ipv6_loopback": "import socket\nsocket.create_connection(('::1', 9), timeout=0.5)\n",
    "raw_socket": "import socket\nsocket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)\n",
    "netlink_socket": "import socket\nsocket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)\n",
    "packet_socket": "import socket\nsocket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n",
    "write_system_dir": "open('/usr/lib/" + MARK + "', 'w').write('x')\n",
    "write_repo": "open('" + os.getcwd() + "/" + MARK + "', 'w').write('x')\n",
    "read_root_home": "import os\nprint(os.listdir('/root'))\nopen('/root/.bashrc').read()\n",
    "read_host_proc": "print(open('/proc/1/environ').read())\n",
    "nested_userns": "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "assert libc.unshare(0x10000000) == 0, ctypes.get_errno()\n",
    "mount_tmpfs": "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "assert libc.mount(b'x', b'/tmp', b'tmpfs', 0, None) == 0\n",
    "setuid_root": "import os\nos.setuid(0)\n",
    "chroot_escape": "import os\nos.chroot('/tmp')\n",
    "ptrace_parent": "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "assert libc.ptrace(16, {host_pid}, 0, 0) == 0\n",
    "signal_parent": "import os, signal\nos.kill({host_pid}, signal.SIGUSR2)\n",
    "kill_everything": "import os, signal\nos.kill(-1, signal.SIGKILL)\nraise SystemExit(1)\n",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program_is_contained(
    pool: SandboxPool, name: str, listener: socket.socket
) -> None:
    code = HOSTILE[name].replace("{host_pid}", str(os.getpid()))
    result = pool.run_tests(code, ["assert True"])
    assert result.status in NOT_PASS, (name, result)
    assert_host_untouched(pool, MARK, listener)


def test_tcp_connect_to_a_live_loopback_listener_fails(
    pool: SandboxPool, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=0.5)\n"
    result = pool.run_tests(code, ["assert True"])
    assert result.status is Status.RUNTIME_ERROR
    assert "PermissionError" in result.first_failure.reason  # type: ignore[union-attr]
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_environment_is_empty(pool: SandboxPool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "secret-token")
    code = "import os\nenv = dict(os.environ)\n"
    result = pool.run_tests(
        code, ["assert 'HF_TOKEN' not in env", "assert 'RAY_ADDRESS' not in env"]
    )
    assert result.status is Status.PASS


def test_expected_values_never_enter_the_sandbox(pool: SandboxPool) -> None:
    """The sandbox can see the call, not the literal it is compared with."""
    code = (
        "import gc, sys\n"
        "def f(x):\n"
        "    seen = repr([o for o in gc.get_objects() if isinstance(o, (str, int))])\n"
        "    return 'LEAK' if '987654321' in seen else 0\n"
    )
    result = pool.run_tests(code, ["assert f(1) == 987654321"])
    assert result.status is Status.FAIL
    assert "got 0" in result.first_failure.reason  # type: ignore[union-attr]


def test_jobs_do_not_see_each_others_files(pool: SandboxPool) -> None:
    pool.run_tests("open('/tmp/left-behind', 'w').write('x')\n", ["assert True"])
    pool.run_tests("open('/dev/shm/left-behind', 'w').write('x')\n", ["assert True"])
    code = "import os\nleft = os.listdir('/tmp') + os.listdir('/dev/shm')\n"
    for _ in range(4):  # lands on every worker
        assert pool.run_tests(code, ["assert left == []"]).status is Status.PASS
