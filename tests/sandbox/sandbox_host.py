"""Host-state probes for the sandbox suite: leftover processes, zombies and fds."""

from __future__ import annotations

import json
import os
import socket
import time
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


def _status(pid: int | str) -> dict[str, list[str]]:
    with open(f"/proc/{pid}/status") as fh:
        return {k: v.split() for k, _, v in (line.partition(":") for line in fh)}


def ready_pairs(pool: SandboxPool) -> set[int]:
    """Pids of the pairs the fork servers forked ahead of the next test job (see
    rewardkit/sandbox/_ready.py), recognised strictly: per server at most one driver (pid 1 of
    its namespace; root tier: driver uid) and one candidate (pid 2 there; root tier: slot uid),
    children of the server (userns tier: of its one supervisor, counted too), alone in a pid
    namespace that nothing else shares. A process left over from a job can never match: its
    namespace died with its driver."""
    if pool.tier == "root":
        _settle(pool)
    found: set[int] = set()
    for worker in pool._all:
        uid = int(json.loads(worker.proc.args[-1])["jail"]["uid"])
        driver_uid = uid + DRIVER_UIDS.start - SLOT_UIDS.start
        try:
            members = _children(worker.proc.pid)
            owners = set(members)
            if pool.tier == "userns":  # server -> supervisor A -> driver, candidate
                if len(members) != 1:
                    continue
                members = _children(members[0])
                owners |= set(members)
            info = {c: (_status(c), os.readlink(f"/proc/{c}/ns/pid")) for c in members}
        except OSError:
            continue
        roles = {int(st["NSpid"][-1]): (c, int(st["Uid"][0])) for c, (st, _) in info.items()}
        if len(info) != 2 or set(roles) != {1, 2}:
            continue
        (driver, d_uid), (candidate, c_uid) = roles[1], roles[2]
        if pool.tier == "root" and (d_uid, c_uid) != (driver_uid, uid):
            continue
        namespace = info[driver][1]
        if info[candidate][1] != namespace:
            continue
        sharing = [n for n in os.listdir("/proc") if n.isdigit() and _readlink_ns(n) == namespace]
        if sorted(int(n) for n in sharing) == sorted([driver, candidate]):
            found |= owners
    return found


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(c) for c in fh.read().split()]


def _settle(pool: SandboxPool, timeout: float = 5.0) -> None:
    """Wait while a server's newest pair is still being confined (its processes still have
    the server's uid 0): the server forks it right after sending a reply."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = False
        for worker in pool._all:
            try:
                with open(f"/proc/{worker.proc.pid}/task/{worker.proc.pid}/children") as fh:
                    children = fh.read().split()
                pending |= any(int(_status(c)["Uid"][0]) == 0 for c in children)
            except OSError:
                continue
        if not pending:
            return
        time.sleep(0.02)


def _readlink_ns(pid: str) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def open_fds(pid: int | str = "self") -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def strays(pool: SandboxPool, timeout: float = 2.0) -> tuple[list[int], list[str]]:
    """Processes of ``pool``'s uids, and children of its fork servers, other than the servers'
    ready pairs: both must be empty between jobs. A server forks its pair right after its
    reply, so a pair still being made is looked at again (for up to ``timeout`` seconds); a
    process left over from a job stays a stray."""
    deadline = time.monotonic() + timeout
    while True:
        ready = ready_pairs(pool)
        found = (
            [p for p in slot_processes(pool_uids(pool)) if p not in ready],
            [c for c in server_children(pool) if int(c) not in ready],
        )
        if found == ([], []) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def assert_host_untouched(pool: SandboxPool, marker: str, listener: socket.socket) -> None:
    """After a hostile job: no stray processes (a fork server's ready pair for the next job
    is not one, see :func:`ready_pairs`), no marker file outside the jail, no connection."""
    assert strays(pool) == ([], [])
    assert not os.path.exists("/usr/lib/" + marker)
    assert not os.path.exists(os.path.join(os.getcwd(), marker))
    with pytest.raises(BlockingIOError):
        listener.accept()
