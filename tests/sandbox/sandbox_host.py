"""Host-state probes for the sandbox suite: leftover processes, zombies and fds."""

from __future__ import annotations

import os
import socket

import pytest

from rewardkit.sandbox import SandboxPool

SLOT_UIDS = range(60000, 65000)


def slot_processes() -> list[int]:
    """Host pids owned by a sandbox slot uid (there must be none between jobs)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as fh:
                for line in fh:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) in SLOT_UIDS:
                            found.append(int(name))
                        break
        except OSError:
            continue
    return found


def server_children(pool: SandboxPool) -> list[str]:
    """Children (including zombies) of the pool's fork servers."""
    out = []
    for worker in pool._all:
        pid = worker.proc.pid
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as fh:
                out += fh.read().split()
        except OSError:
            continue
    return out


def open_fds(pid: int | str = "self") -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def assert_host_untouched(pool: SandboxPool, marker: str, listener: socket.socket) -> None:
    """After a hostile job: no stray processes, no marker file outside the jail, no connection."""
    assert slot_processes() == []
    assert server_children(pool) == []
    assert not os.path.exists("/usr/lib/" + marker)
    assert not os.path.exists(os.path.join(os.getcwd(), marker))
    with pytest.raises(BlockingIOError):
        listener.accept()
