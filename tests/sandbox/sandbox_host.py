"""Host-state probes for the sandbox suite: leftover processes, zombies and fds."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Collection

import pytest

from rewardkit.sandbox import SandboxPool

SLOT_UIDS = range(60000, 65000)
DRIVER_UIDS = range(70000, 75000)  # each slot's test driver runs as slot uid + 10000


def slot_processes(uids: Collection[int] | None = None) -> list[int]:
    """Host pids owned by a sandbox slot uid or its driver uid (none may exist between jobs).

    ``uids``: only these (one pool's: other worktrees' test runs use the same ranges)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as fh:
                for line in fh:
                    if line.startswith("Uid:"):
                        uid = int(line.split()[1])
                        if uids is not None:
                            if uid in uids:
                                found.append(int(name))
                        elif uid in SLOT_UIDS or uid in DRIVER_UIDS:
                            found.append(int(name))
                        break
        except OSError:
            continue
    return found


def pool_uids(pool: SandboxPool) -> set[int]:
    """The slot uids of ``pool``'s fork servers and of their test drivers."""
    uids = set()
    for worker in pool._all:
        uid = int(json.loads(worker.proc.args[-1])["jail"]["uid"])
        uids |= {uid, uid + DRIVER_UIDS.start - SLOT_UIDS.start}
    return uids


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
    assert slot_processes(pool_uids(pool)) == []
    assert server_children(pool) == []
    assert not os.path.exists("/usr/lib/" + marker)
    assert not os.path.exists(os.path.join(os.getcwd(), marker))
    with pytest.raises(BlockingIOError):
        listener.accept()
